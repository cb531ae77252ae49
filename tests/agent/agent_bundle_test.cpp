// `vigil run --bundle`: hosts run bundles compiled elsewhere, with no
// compiler (the compile worker is made unreachable here). The agent reloads
// when the bundle file changes, keeps the running generation when the new
// bundle is broken, reports both through `vigil status`, and reopens its
// alert file on SIGUSR1 (logrotate).
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/agent/agent_process.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int compile(const fs::path& policies, const fs::path& bundle) {
  std::string command = std::string(VIGIL_BINARY) + " compile " + policies.string() + " -o " +
                        bundle.string() + " > /dev/null";
  return std::system(command.c_str());
}

void write_policy(const fs::path& file, const std::string& watched) {
  std::ofstream(file) << "rule bundle_open {\n  on file.open\n  when file.path == \"" << watched
                      << "\"\n  output \"opened {file.path}\"\n}\n";
}

void open_file(const fs::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CREAT, 0600);
  if (fd >= 0) close(fd);
}

// Alerts for `path`, waiting up to `timeout` for at least `count` of them.
std::vector<json> alerts_for(const testing::AgentProcess& agent, const fs::path& path, size_t count,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::vector<json> found;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    found.clear();
    for (const json& alert : agent.alerts())
      if (alert["event"]["fields"].value("file.path", "") == path.string()) found.push_back(alert);
    if (found.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return found;
}

TEST(AgentBundle, RunsReloadsAndSurvivesABrokenBundleWithoutACompiler) {
  ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
  fs::path work = fs::temp_directory_path() / ("vigil-bundle-" + std::to_string(getpid()));
  fs::remove_all(work);
  fs::create_directories(work / "policies");
  fs::path bundle = work / "pack.bpf.o";
  write_policy(work / "policies" / "p.vigil", (work / "a").string());
  ASSERT_EQ(compile(work / "policies", bundle), 0);

  testing::AgentProcess agent(work, {"--bundle", bundle.string()},
                              {{"VIGIL_COMPILE_WORKER", "/nonexistent/vigil-compile-worker"}});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  open_file(work / "a");
  std::vector<json> first = alerts_for(agent, work / "a", 1);
  ASSERT_EQ(first.size(), 1u) << agent.log();
  EXPECT_EQ(first[0]["generation"], 1);
  EXPECT_EQ(first[0]["output"], "opened " + (work / "a").string());

  json status = agent.status();
  ASSERT_TRUE(status.is_object()) << "vigil status failed";
  EXPECT_EQ(status["generation"], 1);
  EXPECT_EQ(status["source"], bundle.string());
  EXPECT_FALSE(status["hooks"].empty());

  // A new bundle: generation 2 watches b instead of a.
  write_policy(work / "policies" / "p.vigil", (work / "b").string());
  ASSERT_EQ(compile(work / "policies", bundle), 0);
  ASSERT_TRUE(agent.wait_for_log("generation 2 live")) << agent.log();
  open_file(work / "a");
  open_file(work / "b");
  std::vector<json> second = alerts_for(agent, work / "b", 1);
  ASSERT_EQ(second.size(), 1u) << agent.log();
  EXPECT_EQ(second[0]["generation"], 2);
  EXPECT_EQ(alerts_for(agent, work / "a", 2, std::chrono::milliseconds(500)).size(), 1u)
      << "a is no longer watched";

  // A broken bundle: the reload fails, generation 2 goes on.
  std::ofstream(bundle, std::ios::trunc) << "not an ELF object";
  ASSERT_TRUE(agent.wait_for_log("reload failed")) << agent.log();
  status = agent.status();
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["generation"], 2);
  EXPECT_TRUE(status["last_failure"].is_object()) << status.dump();
  EXPECT_FALSE(status["last_failure"].value("error", "").empty()) << status.dump();

  // logrotate: the file is moved away, SIGUSR1, new alerts go to a new file.
  fs::rename(agent.alerts_path(), agent.alerts_path().string() + ".1");
  agent.signal(SIGUSR1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!fs::exists(agent.alerts_path()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(agent.alerts_path())) << "the alert file was not reopened\n"
                                               << agent.log();
  open_file(work / "b");
  std::vector<json> rotated = alerts_for(agent, work / "b", 1);
  ASSERT_EQ(rotated.size(), 1u) << agent.log();
  EXPECT_EQ(rotated[0]["generation"], 2);

  EXPECT_EQ(agent.stop(), 0) << agent.log();
  EXPECT_EQ(agent.log().find("compile worker"), std::string::npos) << agent.log();
  fs::remove_all(work);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// With --no-watch, a policy change does nothing until SIGHUP asks for it.
TEST(AgentSignals, SighupReloadsAPolicyDirectoryThatIsNotWatched) {
  ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
  fs::path work = fs::temp_directory_path() / ("vigil-sighup-" + std::to_string(getpid()));
  fs::remove_all(work);
  fs::create_directories(work / "policies");
  write_policy(work / "policies" / "p.vigil", (work / "a").string());
  testing::AgentProcess agent(work, {"--policies", (work / "policies").string(), "--no-watch"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();

  write_policy(work / "policies" / "p.vigil", (work / "b").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(agent.count_in_log("reloading"), 0u) << "--no-watch reloaded on a file change";
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_for_log("generation 2 live")) << agent.log();
  EXPECT_NE(agent.log().find("reloading (SIGHUP)"), std::string::npos) << agent.log();
  open_file(work / "b");
  std::vector<json> alerts = alerts_for(agent, work / "b", 1);
  ASSERT_EQ(alerts.size(), 1u) << agent.log();
  EXPECT_EQ(alerts[0]["generation"], 2);
  EXPECT_EQ(agent.stop(), 0) << agent.log();
  fs::remove_all(work);
}

}  // namespace
}  // namespace vigil
