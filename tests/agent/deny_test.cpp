// `action deny` on net.connect and net.bind for real: the agent attaches its deny
// programs (cgroup/connect4, connect6) to a cgroup this test creates, never
// to the machine's root. A process in that cgroup, or in a cgroup below it,
// gets EPERM for the denied destination and connects anywhere else; a
// process outside it is not affected (its connect is reported as
// would_deny). Each call gives exactly one alert. The cgroups are removed
// even when the test fails.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "runtime/kernel_mounts.h"
#include "tests/agent/agent_process.h"
#include "tests/agent/loopback.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing::connect_loopback;
using testing::LoopbackListener;

// Runs `call` in a child moved into `cgroup` (empty: stays where the test
// is); returns what it returned (0 or an errno), -1 if the child failed.
template <typename Call>
int in_cgroup(const fs::path& cgroup, Call call) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    if (!cgroup.empty()) std::ofstream(cgroup / "cgroup.procs") << getpid() << std::flush;
    int result = call();
    ssize_t ignored = write(pipe_fds[1], &result, sizeof result);
    (void)ignored;
    _exit(0);
  }
  close(pipe_fds[1]);
  int result = -1;
  if (read(pipe_fds[0], &result, sizeof result) != sizeof result) result = -1;
  close(pipe_fds[0]);
  waitpid(child, nullptr, 0);
  return result;
}

int connect_from(const fs::path& cgroup, int family, uint16_t port) {
  return in_cgroup(cgroup, [&] { return connect_loopback(family, port); });
}

class Deny : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
    std::string error;
    std::optional<std::string> root = runtime::ensure_cgroup2(&error);
    ASSERT_TRUE(root) << "cgroup v2 is required for action deny: " << error;
    cgroup_ = fs::path(*root) / ("vigil-deny-test-" + std::to_string(getpid()));
    fs::create_directory(cgroup_);
    fs::create_directory(cgroup_ / "inner");
    work_ = fs::temp_directory_path() / ("vigil-deny-" + std::to_string(getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_);
  }
  void TearDown() override {
    // Children have exited (connect_from waits), so the cgroups are empty.
    std::error_code ignored;
    fs::remove(cgroup_ / "inner", ignored);
    fs::remove(cgroup_, ignored);
    fs::remove_all(work_, ignored);
  }

  std::vector<json> rule_alerts(
      const testing::AgentProcess& agent, size_t count,
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::vector<json> found;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      found.clear();
      for (const json& alert : agent.alerts())
        if (alert.value("rule", "") == "deny_test_port") found.push_back(alert);
      if (found.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return found;
  }

  fs::path cgroup_;
  fs::path work_;
};

TEST_F(Deny, InsideTheCgroupTheDestinationIsRefusedAndEverythingElseWorks) {
  LoopbackListener denied4(AF_INET), allowed4(AF_INET), denied6(AF_INET6);
  ASSERT_NE(denied4.port, 0);
  ASSERT_NE(allowed4.port, 0);
  ASSERT_NE(denied6.port, 0);
  std::ofstream(work_ / "p.vigil")
      << "rule deny_test_port {\n  on net.connect\n  when net.dport in [" << denied4.port << ", "
      << denied6.port
      << "]\n  severity high\n  output \"connect to {net.daddr}:{net.dport}\"\n"
         "  action deny\n}\n";
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch",
                                      "--deny-cgroup", cgroup_.string()});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();

  // In the cgroup and in a cgroup below it: refused, IPv4 and IPv6.
  EXPECT_EQ(connect_from(cgroup_, AF_INET, denied4.port), EPERM);
  EXPECT_EQ(connect_from(cgroup_ / "inner", AF_INET, denied4.port), EPERM);
  EXPECT_EQ(connect_from(cgroup_, AF_INET6, denied6.port), EPERM);
  // Other destinations from the same cgroup: unaffected.
  EXPECT_EQ(connect_from(cgroup_, AF_INET, allowed4.port), 0);
  // Outside the cgroup: the rule matches but nothing is refused.
  EXPECT_EQ(connect_from({}, AF_INET, denied4.port), 0);

  std::vector<json> alerts = rule_alerts(agent, 4);
  ASSERT_EQ(alerts.size(), 4u) << agent.log();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(alerts[i]["action"], "denied") << alerts[i].dump();
    EXPECT_FALSE(alerts[i].contains("action_reason"));
  }
  EXPECT_EQ(alerts[0]["event"]["fields"]["net.daddr"], "127.0.0.1");
  EXPECT_EQ(alerts[0]["event"]["fields"]["net.dport"], denied4.port);
  EXPECT_EQ(alerts[2]["event"]["fields"]["net.daddr"], "::1");
  EXPECT_EQ(alerts[2]["event"]["fields"]["net.family"], "inet6");
  EXPECT_EQ(alerts[3]["action"], "would_deny");
  EXPECT_NE(alerts[3]["action_reason"].get<std::string>().find("outside the deny cgroup"),
            std::string::npos);
  // Exactly one alert per call: no second report from the tracepoint.
  EXPECT_EQ(rule_alerts(agent, 5, std::chrono::milliseconds(500)).size(), 4u);
  EXPECT_EQ(agent.stop(), 0) << agent.log();
  // With the agent gone, nothing is refused any more.
  EXPECT_EQ(connect_from(cgroup_, AF_INET, denied4.port), 0);
}

// bind(2) to 127.0.0.1:`port` from a child in `cgroup`: 0 or the errno.
int bind_from(const fs::path& cgroup, uint16_t port) {
  return in_cgroup(cgroup, [&] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    int result = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 ? 0 : errno;
    close(fd);
    return result;
  });
}

TEST_F(Deny, BindToADeniedPortIsRefusedInsideTheCgroupOnly) {
  // Two ports the kernel just handed out, so free now.
  uint16_t denied = 0, allowed = 0;
  {
    LoopbackListener a(AF_INET), b(AF_INET);
    denied = a.port;
    allowed = b.port;
  }
  ASSERT_NE(denied, 0);
  std::ofstream(work_ / "p.vigil")
      << "rule deny_test_port {\n  on net.bind\n  when net.sport == " << denied
      << "\n  action deny\n}\n";
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch",
                                      "--deny-cgroup", cgroup_.string()});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  EXPECT_EQ(bind_from(cgroup_, denied), EPERM);
  EXPECT_EQ(bind_from(cgroup_, allowed), 0);
  EXPECT_EQ(bind_from({}, denied), 0);
  std::vector<json> alerts = rule_alerts(agent, 2);
  ASSERT_EQ(alerts.size(), 2u) << agent.log();
  EXPECT_EQ(alerts[0]["action"], "denied");
  EXPECT_EQ(alerts[0]["event"]["fields"]["net.sport"], denied);
  EXPECT_EQ(alerts[1]["action"], "would_deny");
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

TEST_F(Deny, AuditModeRefusesNothing) {
  LoopbackListener denied4(AF_INET);
  ASSERT_NE(denied4.port, 0);
  std::ofstream(work_ / "p.vigil")
      << "rule deny_test_port {\n  on net.connect\n  when net.dport == " << denied4.port
      << "\n  action deny\n}\n";
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch",
                                      "--deny-cgroup", cgroup_.string(), "--audit"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  EXPECT_EQ(connect_from(cgroup_, AF_INET, denied4.port), 0);
  std::vector<json> alerts = rule_alerts(agent, 1);
  ASSERT_EQ(alerts.size(), 1u) << agent.log();
  EXPECT_EQ(alerts[0]["action"], "would_deny");
  EXPECT_EQ(alerts[0]["action_reason"], "agent in audit mode (--audit)");
  EXPECT_EQ(agent.stop(), 0) << agent.log();
}

// Deny on exec needs BPF LSM, which this kernel refuses: an enforcing agent
// must refuse the policy with a clear message, not run it as an alert.
TEST_F(Deny, DenyThatNeedsBpfLsmIsRefusedWhenEnforcing) {
  std::ofstream(work_ / "p.vigil")
      << "rule deny_exec_marker {\n  on exec\n  when process.exe == \"/nonexistent/vigil-marker\"\n"
         "  action deny\n}\n";
  testing::AgentProcess agent(work_, {"--policies", (work_ / "p.vigil").string(), "--no-watch"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!agent.exited() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(agent.exited()) << agent.log();
  EXPECT_NE(agent.stop(), 0);
  std::string log = agent.log();
  EXPECT_NE(log.find("rule deny_exec_marker"), std::string::npos) << log;
  EXPECT_NE(log.find("needs BPF LSM"), std::string::npos) << log;
  EXPECT_NE(log.find("fallback kill"), std::string::npos) << log;
}

}  // namespace
}  // namespace vigil
