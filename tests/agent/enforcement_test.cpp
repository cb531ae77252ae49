// `action kill` for real: the agent (`vigil run`) kills, from the kernel, a
// binary this test starts, before that binary runs a single instruction; it
// leaves every other process alone; with --audit it only reports; its guards
// hold (it never kills itself); and a rule that would kill too many distinct
// executables is switched to audit with an alert. Every process a rule here
// can match is one this test started from its own temporary directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "tests/agent/agent_process.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class Enforcement : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
    work_ = fs::temp_directory_path() /
            ("vigil-enforce-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(work_);
    fs::create_directories(work_ / "bin");
  }
  void TearDown() override { fs::remove_all(work_); }

  // A copy of touch(1) under the test's directory: the rules match its path.
  fs::path binary(const std::string& name) {
    fs::path path = work_ / "bin" / name;
    fs::copy_file("/usr/bin/touch", path, fs::copy_options::overwrite_existing);
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }

  void write_policy(const std::string& text) { std::ofstream(work_ / "p.vigil") << text; }

  std::string kill_rule(const std::string& condition) const {
    return "rule kill_marked {\n  on exec\n  when " + condition +
           "\n  severity critical\n  output \"killed {process.exe}\"\n  action kill\n}\n";
  }

  // Runs `program marker` and returns its wait status.
  static int run(const fs::path& program, const fs::path& marker) {
    pid_t child = fork();
    if (child == 0) {
      execl(program.c_str(), program.c_str(), marker.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
  }

  static bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }
  static bool exited_cleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

  // Rule alerts whose process ran `exe`, waiting up to `timeout` for `count`.
  static std::vector<json> alerts_for(
      const testing::AgentProcess& agent, const fs::path& exe, size_t count,
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::vector<json> found;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      found.clear();
      for (const json& alert : agent.alerts())
        if (alert.value("origin", "") == "rule" &&
            alert["process"].value("exe", "") == exe.string())
          found.push_back(alert);
      if (found.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return found;
  }

  fs::path work_;
};

TEST_F(Enforcement, KillOnExecStopsTheBinaryBeforeItRunsAndSparesOthers) {
  fs::path victim = binary("victim");
  fs::path bystander = binary("bystander");
  write_policy(kill_rule("process.exe == \"" + victim.string() + "\""));
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();

  for (int round = 0; round < 3; ++round) {
    fs::path marker = work_ / ("victim-ran-" + std::to_string(round));
    int status = run(victim, marker);
    EXPECT_TRUE(killed(status)) << "round " << round << ": wait status " << status;
    // touch creates the file with its first system call: had the binary run
    // one instruction of main, it would exist.
    EXPECT_FALSE(fs::exists(marker)) << "the killed binary ran";
    fs::path other = work_ / ("bystander-ran-" + std::to_string(round));
    EXPECT_TRUE(exited_cleanly(run(bystander, other)));
    EXPECT_TRUE(fs::exists(other)) << "a process no rule matched was affected";
  }

  std::vector<json> alerts = alerts_for(agent, victim, 3);
  ASSERT_EQ(alerts.size(), 3u) << agent.log();
  for (const json& alert : alerts) {
    EXPECT_EQ(alert["rule"], "kill_marked");
    EXPECT_EQ(alert["action"], "killed");
    EXPECT_FALSE(alert.contains("action_reason"));
    EXPECT_EQ(alert["event"]["type"], "exec");
  }
  EXPECT_TRUE(alerts_for(agent, bystander, 1, std::chrono::seconds(1)).empty());
  json status = agent.status();
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["kernel_killed"], 3);
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

TEST_F(Enforcement, AuditModeActsOnNothingButReportsEverything) {
  fs::path victim = binary("victim");
  write_policy(kill_rule("process.exe == \"" + victim.string() + "\""));
  testing::AgentProcess agent(
      work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch", "--audit"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  for (int round = 0; round < 3; ++round) {
    fs::path marker = work_ / ("ran-" + std::to_string(round));
    EXPECT_TRUE(exited_cleanly(run(victim, marker)));
    EXPECT_TRUE(fs::exists(marker));
  }
  std::vector<json> alerts = alerts_for(agent, victim, 3);
  ASSERT_EQ(alerts.size(), 3u) << agent.log();
  for (const json& alert : alerts) {
    EXPECT_EQ(alert["action"], "would_kill");
    EXPECT_EQ(alert["action_reason"], "agent in audit mode (--audit)");
  }
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

// `action deny` on exec needs BPF LSM, which this kernel refuses: with
// `fallback kill` the process is killed instead, before it runs; a rule in
// `mode audit` only reports.
TEST_F(Enforcement, DenyOnExecFallsBackToKillWithoutBpfLsmAndModeAuditOnlyReports) {
  fs::path victim = binary("victim");
  fs::path watched = binary("watched");
  write_policy("rule deny_victim {\n  on exec\n  when process.exe == \"" + victim.string() +
               "\"\n  action deny\n  fallback kill\n}\n"
               "rule audited_kill {\n  on exec\n  when process.exe == \"" +
               watched.string() + "\"\n  action kill\n  mode audit\n}\n");
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  EXPECT_TRUE(killed(run(victim, work_ / "victim-ran")));
  EXPECT_FALSE(fs::exists(work_ / "victim-ran"));
  EXPECT_TRUE(exited_cleanly(run(watched, work_ / "watched-ran")));
  EXPECT_TRUE(fs::exists(work_ / "watched-ran"));
  std::vector<json> denied = alerts_for(agent, victim, 1);
  ASSERT_EQ(denied.size(), 1u) << agent.log();
  EXPECT_EQ(denied[0]["action"], "killed");
  std::vector<json> audited = alerts_for(agent, watched, 1);
  ASSERT_EQ(audited.size(), 1u) << agent.log();
  EXPECT_EQ(audited[0]["action"], "would_kill");
  EXPECT_EQ(audited[0]["action_reason"], "rule in audit mode");
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

// The agent is a process like any other to a rule: a kill rule that matches
// it must report, not kill it.
TEST_F(Enforcement, TheAgentNeverKillsItself) {
  fs::path metrics = work_ / "metrics.prom";
  write_policy("rule kill_the_agent {\n  on file.open\n  when process.exe == \"" +
               fs::canonical(VIGIL_BINARY).string() + "\" and file.path startswith \"" +
               work_.string() + "/\"\n  action kill\n}\n");
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch",
                                      "--metrics-file", metrics.string()});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  // The agent rewrites its metrics file every second.
  std::vector<json> alerts;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (alerts.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const json& alert : agent.alerts())
      if (alert.value("rule", "") == "kill_the_agent") alerts.push_back(alert);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(alerts.empty()) << agent.log();
  EXPECT_EQ(alerts[0]["action"], "would_kill");
  EXPECT_EQ(alerts[0]["action_reason"], "the agent never kills itself");
  EXPECT_FALSE(agent.exited());
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

// --kill-limit 2: two distinct executables are killed; the third would make
// it three within a minute, so the kernel switches the rule to audit for
// good, the third runs, and the agent raises vigil.kill_limit_reached.
TEST_F(Enforcement, ARuleThatWouldKillTooManyExecutablesIsSwitchedToAudit) {
  std::vector<fs::path> victims = {binary("victim-1"), binary("victim-2"), binary("victim-3")};
  write_policy(
      kill_rule("process.exe startswith \"" + (work_ / "bin" / "victim-").string() + "\""));
  testing::AgentProcess agent(
      work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch", "--kill-limit", "2"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();

  EXPECT_TRUE(killed(run(victims[0], work_ / "ran-1")));
  EXPECT_TRUE(killed(run(victims[0], work_ / "ran-1b")));  // the same executable again
  EXPECT_TRUE(killed(run(victims[1], work_ / "ran-2")));
  EXPECT_TRUE(exited_cleanly(run(victims[2], work_ / "ran-3")));
  EXPECT_TRUE(exited_cleanly(run(victims[0], work_ / "ran-1c")));  // the rule stays in audit
  EXPECT_TRUE(fs::exists(work_ / "ran-3"));
  EXPECT_FALSE(fs::exists(work_ / "ran-1"));

  std::vector<json> third = alerts_for(agent, victims[2], 1);
  ASSERT_EQ(third.size(), 1u) << agent.log();
  EXPECT_EQ(third[0]["action"], "would_kill");
  EXPECT_NE(third[0]["action_reason"].get<std::string>().find("kill limit"), std::string::npos);
  std::vector<json> first = alerts_for(agent, victims[0], 3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[2]["action"], "would_kill");

  size_t limit_alerts = 0;
  for (const json& alert : agent.alerts())
    if (alert.value("rule", "") == "vigil.kill_limit_reached") {
      ++limit_alerts;
      EXPECT_EQ(alert["origin"], "agent");
      EXPECT_EQ(alert["severity"], "critical");
      EXPECT_NE(alert["output"].get<std::string>().find("kill_marked"), std::string::npos);
    }
  EXPECT_EQ(limit_alerts, 1u);
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

}  // namespace
}  // namespace vigil
