// The default pack's kill and deny rules, for real. The pack ships them in
// `mode audit`; this test switches them to `mode enforce` from an overlay
// directory, the way users opt in, and adds `except process.cgroup_id != C`
// so they act only in a cgroup C the test creates. Each rule then meets the
// behaviour it names, done by a child the test starts in C: the child is
// killed (or its call refused) and the alert says so. The same behaviour
// outside C is left alone. A last test checks that every kill/deny rule of
// the pack has a case here, so a new one cannot ship untested.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>

#include "compiler/frontend.h"
#include "runtime/kernel_mounts.h"
#include "tests/agent/agent_process.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The pack's kill/deny rules and what each does when enforced.
constexpr const char* kMemfdExecRule = "fileless_memfd_exec";
constexpr const char* kMinerRule = "crypto_miner_process";
constexpr const char* kShellConnectRule = "shell_connects_out";
constexpr const char* kPreloadRule = "ld_preload_file_modified";
constexpr const char* kMiningPortRule = "connect_to_mining_pool_port";
constexpr const char* kMassRenameRule = "mass_file_rename";
const std::set<std::string> kTestedRules = {kMemfdExecRule, kMinerRule,      kShellConnectRule,
                                            kPreloadRule,   kMiningPortRule, kMassRenameRule};

bool killed(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

bool exited_with(int status, int code) {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

// One agent for the whole suite: the pack plus the overlay, deny programs on C.
class PackEnforcement : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
    std::string error;
    std::optional<std::string> root = runtime::ensure_cgroup2(&error);
    ASSERT_TRUE(root) << "cgroup v2 is required: " << error;
    cgroup_ = fs::path(*root) / ("vigil-pack-test-" + std::to_string(getpid()));
    work_ = fs::temp_directory_path() / ("vigil-pack-" + std::to_string(getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_ / "overlay");
    fs::create_directories(work_ / "bin");
    fs::create_directory(cgroup_);
    struct stat info{};
    ASSERT_EQ(stat(cgroup_.c_str(), &info), 0);
    // On cgroup v2 a cgroup's id is its directory's inode number.
    cgroup_id_ = info.st_ino;

    std::ofstream overlay(work_ / "overlay" / "enforce.vigil");
    for (const std::string& rule : kTestedRules)
      overlay << "extend rule " << rule
              << " {\n  mode enforce\n  except process.cgroup_id != " << cgroup_id_ << "\n}\n";
    overlay.close();

    agent_ = std::make_unique<testing::AgentProcess>(
        work_, std::vector<std::string>{"--policies", std::string(VIGIL_SOURCE_DIR) + "/policies",
                                        "--policies", (work_ / "overlay").string(), "--no-watch",
                                        "--deny-cgroup", cgroup_.string()});
    ASSERT_TRUE(agent_->wait_for_log("generation 1 live", 1, std::chrono::seconds(120)))
        << agent_->log();
  }

  static void TearDownTestSuite() {
    if (agent_) {
      EXPECT_EQ(agent_->stop(), 0) << agent_->log();
    }
    agent_.reset();
    std::error_code ignored;
    fs::remove(cgroup_, ignored);  // children have been waited for: it is empty
    fs::remove_all(work_, ignored);
  }

  void SetUp() override { ASSERT_TRUE(agent_) << "the agent did not start"; }

  // Runs `body` in a child, inside C when `inside`; returns its wait status.
  static int run_child(bool inside, const std::function<int()>& body) {
    pid_t child = fork();
    if (child == 0) {
      if (inside) std::ofstream(cgroup_ / "cgroup.procs") << getpid() << std::flush;
      _exit(body());
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
  }

  // Alerts of `rule` whose process is `pid`, waiting up to `timeout` for one.
  static std::vector<json> alerts_of(const std::string& rule, pid_t pid,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::vector<json> found;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      found.clear();
      for (const json& alert : agent_->alerts())
        if (alert.value("rule", "") == rule && alert["process"].value("tgid", -1) == pid)
          found.push_back(alert);
      if (!found.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return found;
  }

  // A copy of /usr/bin/true named `name` in the test's directory.
  static fs::path copy_of_true(const std::string& name) {
    fs::path path = work_ / "bin" / name;
    fs::copy_file("/usr/bin/true", path, fs::copy_options::overwrite_existing);
    fs::permissions(path, fs::perms::owner_all);
    return path;
  }

  // What a child did: its wait status, and the alerts of a rule about it.
  struct Outcome {
    int status = 0;
    std::vector<json> alerts;
  };

  // Runs `body` in a child, in C when `inside`, and collects `rule`'s alerts
  // about it (waiting for one only inside C, where the rule acts). The child
  // sends its pid before `body` runs, so its alerts can be found after it is
  // dead.
  static Outcome act(bool inside, const std::string& rule, const std::function<int()>& body) {
    int fds[2];
    if (pipe(fds) != 0) return {-1, {}};
    Outcome outcome;
    outcome.status = run_child(inside, [&] {
      pid_t self = getpid();
      ssize_t ignored = write(fds[1], &self, sizeof self);
      (void)ignored;
      return body();
    });
    pid_t pid = -1;
    if (read(fds[0], &pid, sizeof pid) != sizeof pid) pid = -1;
    close(fds[0]);
    close(fds[1]);
    outcome.alerts =
        alerts_of(rule, pid, inside ? std::chrono::seconds(10) : std::chrono::seconds(0));
    return outcome;
  }

  // The child died of SIGKILL, and the rule's one alert about it says so.
  static void expect_killed(const Outcome& outcome) {
    EXPECT_TRUE(killed(outcome.status)) << "wait status " << outcome.status;
    ASSERT_EQ(outcome.alerts.size(), 1u) << agent_->log();
    EXPECT_EQ(outcome.alerts[0]["action"], "killed");
  }

  static inline fs::path cgroup_;
  static inline fs::path work_;
  static inline uint64_t cgroup_id_ = 0;
  static inline std::unique_ptr<testing::AgentProcess> agent_;
};

TEST_F(PackEnforcement, FilelessExecFromMemfdIsKilled) {
  auto exec_memfd = [] {
    int memfd = static_cast<int>(memfd_create("payload", MFD_CLOEXEC));
    int binary = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
    if (memfd < 0 || binary < 0) return 2;
    char buffer[65536];
    for (ssize_t n; (n = read(binary, buffer, sizeof buffer)) > 0;)
      if (write(memfd, buffer, static_cast<size_t>(n)) != n) return 3;
    char* const argv[] = {const_cast<char*>("payload"), nullptr};
    fexecve(memfd, argv, environ);
    return 4;
  };
  Outcome inside = act(true, kMemfdExecRule, exec_memfd);
  ASSERT_NO_FATAL_FAILURE(expect_killed(inside));
  Outcome outside = act(false, kMemfdExecRule, exec_memfd);
  EXPECT_TRUE(exited_with(outside.status, 0)) << "wait status " << outside.status;
}

TEST_F(PackEnforcement, CryptoMinerIsKilledBeforeItRuns) {
  fs::path miner = copy_of_true("xmrig");
  auto exec_miner = [&] {
    execl(miner.c_str(), "xmrig", "-o", "stratum+tcp://pool.example:3333", nullptr);
    return 127;
  };
  Outcome inside = act(true, kMinerRule, exec_miner);
  ASSERT_NO_FATAL_FAILURE(expect_killed(inside));
  Outcome outside = act(false, kMinerRule, exec_miner);
  EXPECT_TRUE(exited_with(outside.status, 0)) << "wait status " << outside.status;
}

TEST_F(PackEnforcement, ShellConnectingOutIsKilledAtConnect) {
  // bash's /dev/tcp: the shell itself connects, as in `bash -i >& /dev/tcp/…`.
  // 192.0.2.1 (TEST-NET-1) never answers; a killed shell never writes.
  fs::path marker = work_ / "shell-went-on";
  Outcome inside = act(true, kShellConnectRule, [&] {
    std::string script = "exec 3<>/dev/tcp/192.0.2.1/80; echo > " + marker.string();
    execl("/bin/bash", "bash", "-c", script.c_str(), nullptr);
    return 127;
  });
  ASSERT_NO_FATAL_FAILURE(expect_killed(inside));
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(PackEnforcement, LdSoPreloadWriteIsDeniedOrKilled) {
  // O_WRONLY without O_CREAT or O_TRUNC: even if nothing stopped the open, it
  // would change nothing (and fails with ENOENT where the file is absent).
  Outcome inside = act(true, kPreloadRule, [] {
    int fd = open("/etc/ld.so.preload", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
    return fd >= 0 ? 0 : (errno == EPERM ? 10 : 11);
  });
  ASSERT_EQ(inside.alerts.size(), 1u) << agent_->log();
  // With BPF LSM the open fails with EPERM; without it `fallback kill` kills.
  if (inside.alerts[0]["action"] == "denied") {
    EXPECT_TRUE(exited_with(inside.status, 10)) << "wait status " << inside.status;
  } else {
    EXPECT_EQ(inside.alerts[0]["action"], "killed");
    EXPECT_TRUE(killed(inside.status)) << "wait status " << inside.status;
  }
}

TEST_F(PackEnforcement, MiningPoolPortConnectIsRefused) {
  // 192.0.2.1 (TEST-NET-1) never answers: a non-blocking connect that is not
  // refused is left in progress.
  auto connect_pool_port = [] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(3333);
    inet_pton(AF_INET, "192.0.2.1", &address.sin_addr);
    int result = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    int error = result == 0 ? 0 : errno;
    close(fd);
    return error == EPERM ? 10 : error == EINPROGRESS ? 11 : 12;
  };
  Outcome inside = act(true, kMiningPortRule, connect_pool_port);
  EXPECT_TRUE(exited_with(inside.status, 10)) << "wait status " << inside.status;
  ASSERT_EQ(inside.alerts.size(), 1u) << agent_->log();
  EXPECT_EQ(inside.alerts[0]["action"], "denied");
  Outcome outside = act(false, kMiningPortRule, connect_pool_port);
  EXPECT_TRUE(exited_with(outside.status, 11)) << "wait status " << outside.status;
}

TEST_F(PackEnforcement, MassRenameIsKilledAtTheThreshold) {
  fs::path files = work_ / "files";
  fs::create_directories(files);
  constexpr int kFiles = 200;
  for (int i = 0; i < kFiles; ++i) std::ofstream(files / std::to_string(i)) << "data";
  Outcome inside = act(true, kMassRenameRule, [&] {
    for (int i = 0; i < kFiles; ++i) {
      std::string from = (files / std::to_string(i)).string();
      if (rename(from.c_str(), (from + ".locked").c_str()) != 0) return 2;
    }
    return 0;
  });
  ASSERT_NO_FATAL_FAILURE(expect_killed(inside));
  // Killed at the 30th rename (sys_enter: that rename still completes).
  size_t renamed = 0;
  for (const auto& entry : fs::directory_iterator(files))
    if (entry.path().extension() == ".locked") ++renamed;
  EXPECT_GE(renamed, 30u);
  EXPECT_LE(renamed, 31u);
}

TEST_F(PackEnforcement, EveryKillOrDenyRuleOfThePackIsTestedHere) {
  FrontEndResult result = run_front_end({std::string(VIGIL_SOURCE_DIR) + "/policies"});
  ASSERT_TRUE(result.policy) << "the pack does not compile";
  std::set<std::string> acting;
  for (const ir::Rule& rule : result.policy->rules)
    if (rule.action != Action::Alert) acting.insert(rule.name);
  EXPECT_EQ(acting, kTestedRules)
      << "a kill/deny rule of the pack needs a real-kernel case in this file";
  for (const ir::Rule& rule : result.policy->rules) {
    if (rule.action != Action::Alert) {
      EXPECT_EQ(rule.mode, ir::Mode::Audit) << rule.name << " must ship in mode audit";
    }
  }
}

}  // namespace
}  // namespace vigil
