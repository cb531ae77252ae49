// Enforcement latency: from the system call that triggers an `action kill`
// rule to the process being dead, as its parent sees it (waitpid() reports
// SIGKILL). Each child records CLOCK_MONOTONIC in memory shared with the
// parent just before the triggering call; the parent reads the clock when
// waitpid() returns.
//
// Mode `exec` (kill on exec), in one run:
//   1. baseline_before: no agent; the child execs a copy of true(1) that
//      exits at once (the cost of exec + exit + being reaped);
//   2. the agent (`vigil run`) starts with one kill rule on the path of that
//      copy; then, alternating, `unmatched` (exec of a second copy no rule
//      matches: exec + exit with the agent attached) and `kill` (exec of the
//      matched copy: exec until dead);
//   3. baseline_after: the agent is stopped, step 1 again (drift check).
// Prints one JSON object with every latency in ns; bench/report takes the
// medians and percentiles. Root required.
//
//   vigil-bench-enforcement [--mode exec|rename-threshold|open|connect] [--runs N]
//                           [--vigil PATH]
//
// Mode `rename-threshold`: the same phases, the child renaming 20 paths; the
// rule kills at the 20th rename of a process within 10 s (the ransomware
// case); the latency runs from just before the 20th rename.
//
// Modes `open` and `connect`: a kill rule on file.open (a path) and on
// net.connect (a UDP connect to a loopback port, and the child's comm), each
// hook's kill at the system call's entry.
//
// A new mode is one more Scenario: its rule, and the child's work before and
// at the trigger.
//
// The only processes this program signals are its own children: the agent
// (which also gets SIGKILL by PR_SET_PDEATHSIG if this program dies) and the
// short-lived benchmark children.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;

#ifndef VIGIL_BINARY
#define VIGIL_BINARY "vigil"
#endif

constexpr int kWarmUpRuns = 5;
constexpr unsigned kChildTimeoutSeconds = 10;

int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Written by the child, read by the parent once the child is reaped.
struct SharedClock {
  volatile int64_t trigger_ns;
};

// What a child does: the work before the trigger, then the triggering call.
// It records the clock in `clock` immediately before that call and never
// returns (exec, or _exit).
using Trigger = void (*)(const fs::path& target, SharedClock* clock);

struct Scenario {
  const char* mode;
  const char* description;
  std::string (*policy)(const fs::path& matched);  // the kill rule on `matched`
  Trigger trigger;
};

[[noreturn]] void exec_trigger(const fs::path& target, SharedClock* clock) {
  const char* argv[] = {target.c_str(), nullptr};
  clock->trigger_ns = monotonic_ns();
  execv(target.c_str(), const_cast<char* const*>(argv));
  _exit(127);
}

std::string exec_kill_policy(const fs::path& matched) {
  return "rule bench_kill {\n  on exec\n  when process.exe == \"" + matched.string() +
         "\"\n  severity critical\n  output \"bench kill {process.exe}\"\n  action kill\n}\n";
}

// Ransomware-like: a threshold rule kills at the kRenameThreshold-th rename
// of one process. The child renames paths that start with the target's path
// (they need not exist: the syscall is counted at its entry), records the
// clock before the last one, and exits if it survives.
constexpr int kRenameThreshold = 20;

[[noreturn]] void rename_trigger(const fs::path& target, SharedClock* clock) {
  for (int i = 1; i <= kRenameThreshold; ++i) {
    std::string from = target.string() + ".doc" + std::to_string(i);
    std::string to = from + ".locked";
    if (i == kRenameThreshold) clock->trigger_ns = monotonic_ns();
    rename(from.c_str(), to.c_str());
  }
  _exit(0);
}

std::string rename_threshold_policy(const fs::path& matched) {
  return "rule bench_kill {\n  on file.rename\n  when file.path startswith \"" + matched.string() +
         ".doc\"\n  threshold " + std::to_string(kRenameThreshold) +
         " within 10s by process.tgid\n  severity critical\n"
         "  output \"bench kill {process.exe}\"\n  action kill\n}\n";
}

// Kill at the system call's entry (sys_enter_openat): the child opens
// TARGET.secret (it need not exist) and exits if it survives.
[[noreturn]] void open_trigger(const fs::path& target, SharedClock* clock) {
  std::string path = target.string() + ".secret";
  clock->trigger_ns = monotonic_ns();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  _exit(0);
}

std::string open_kill_policy(const fs::path& matched) {
  return "rule bench_kill {\n  on file.open\n  when file.path == \"" + matched.string() +
         ".secret\"\n  severity critical\n  output \"bench kill {process.exe}\"\n  action "
         "kill\n}\n";
}

// Kill at sys_enter_connect: the child connects a UDP socket (no listener,
// no packet: the call only sets the peer) to 127.0.0.1 at the target's port,
// and exits if it survives. The rule names the child's comm too, so nothing
// else connecting to that port is at risk.
constexpr const char* kConnectComm = "vigil-bench-kc";

uint16_t connect_port(const fs::path& target) {
  return target.filename() == "victim" ? 47001 : 47002;
}

[[noreturn]] void connect_trigger(const fs::path& target, SharedClock* clock) {
  prctl(PR_SET_NAME, kConnectComm);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(connect_port(target));
  clock->trigger_ns = monotonic_ns();
  int ignored = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  (void)ignored;
  _exit(0);
}

std::string connect_kill_policy(const fs::path& matched) {
  return "rule bench_kill {\n  on net.connect\n  when net.dport == " +
         std::to_string(connect_port(matched)) + " and process.comm == \"" + kConnectComm +
         "\"\n  severity critical\n  output \"bench kill {process.exe}\"\n  action kill\n}\n";
}

const Scenario kScenarios[] = {
    {"exec", "kill on exec: execve() of the matched binary until waitpid() sees SIGKILL",
     exec_kill_policy, exec_trigger},
    {"rename-threshold",
     "threshold kill: the 20th rename() of one process until waitpid() sees SIGKILL (the "
     "baseline: the 20th rename and exit)",
     rename_threshold_policy, rename_trigger},
    {"open", "kill on file.open: open() of the matched path until waitpid() sees SIGKILL",
     open_kill_policy, open_trigger},
    {"connect", "kill on net.connect: connect() to the matched port until waitpid() sees SIGKILL",
     connect_kill_policy, connect_trigger},
};

// The child being waited for, for the SIGALRM watchdog and signal cleanup.
volatile pid_t g_child = -1;
volatile pid_t g_agent = -1;

void on_alarm(int) {
  if (g_child > 0) kill(g_child, SIGKILL);
}

void on_interrupt(int signal_number) {
  if (g_child > 0) kill(g_child, SIGKILL);
  if (g_agent > 0) kill(g_agent, SIGKILL);
  _exit(128 + signal_number);
}

struct Sample {
  int64_t latency_ns = 0;
  int status = 0;
};

// Forks a child that runs `trigger` on `target`; the time from its trigger to
// waitpid() returning in the parent. A child still alive after
// kChildTimeoutSeconds is killed and the run fails.
bool measure(Trigger trigger, const fs::path& target, SharedClock* clock, Sample* sample,
             std::string* error) {
  clock->trigger_ns = 0;
  pid_t child = fork();
  if (child < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (child == 0) trigger(target, clock);
  g_child = child;
  alarm(kChildTimeoutSeconds);
  int status = 0;
  pid_t reaped;
  while ((reaped = waitpid(child, &status, 0)) < 0 && errno == EINTR) {
  }
  int64_t end = monotonic_ns();
  alarm(0);
  g_child = -1;
  if (reaped != child) {
    *error = std::string("waitpid: ") + std::strerror(errno);
    return false;
  }
  if (clock->trigger_ns == 0) {
    *error = "the child died before its trigger (wait status " + std::to_string(status) + ")";
    return false;
  }
  sample->latency_ns = end - clock->trigger_ns;
  sample->status = status;
  return true;
}

bool killed(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}
bool exited_cleanly(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// `vigil run` with its log, alerts and status socket in `work`. SIGKILL on
// destruction if still running, and by the kernel if this program dies.
class Agent {
 public:
  Agent(const std::string& vigil, const fs::path& work, const fs::path& policy)
      : log_(work / "agent.log"), alerts_(work / "alerts.jsonl") {
    std::vector<std::string> args = {vigil,
                                     "run",
                                     "--policies",
                                     policy.string(),
                                     "--no-watch",
                                     "--output",
                                     "file:" + alerts_.string() + ",format=json",
                                     "--status-socket",
                                     (work / "vigil.sock").string()};
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int null = open("/dev/null", O_WRONLY);
      if (log < 0 || null < 0) _exit(126);
      dup2(null, 1);
      dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    g_agent = pid_;
  }
  ~Agent() { stop(); }

  // Until the log says `text`; false if the agent exited or time ran out.
  bool wait_for_log(const std::string& text, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (log().find(text) != std::string::npos) return true;
      if (exited()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Alerts of `rule` with action "killed", waiting up to `timeout` for `want`.
  int killed_alerts(const std::string& rule, int want, std::chrono::seconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int count = 0;
    do {
      count = 0;
      std::ifstream in(alerts_);
      std::string line;
      while (std::getline(in, line)) {
        nlohmann::json alert = nlohmann::json::parse(line, nullptr, false);
        if (alert.is_object() && alert.value("rule", "") == rule &&
            alert.value("action", "") == "killed")
          ++count;
      }
      if (count >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return count;
  }

  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      g_agent = -1;
      return true;
    }
    return false;
  }

  // SIGTERM, then SIGKILL after 20 s.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!exited() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      g_agent = -1;
    }
  }

 private:
  fs::path log_, alerts_;
  pid_t pid_ = -1;
};

// `runs` runs of the child's trigger on `target`, each expected to end as
// `expect` says; false (with the reason) at the first that does not.
bool run_phase(const Scenario& scenario, const fs::path& target, int runs, bool expect_kill,
               SharedClock* clock, std::vector<int64_t>* latencies, std::string* error) {
  for (int i = 0; i < runs; ++i) {
    Sample sample;
    if (!measure(scenario.trigger, target, clock, &sample, error)) return false;
    bool as_expected = expect_kill ? killed(sample.status) : exited_cleanly(sample.status);
    if (!as_expected) {
      *error = target.filename().string() + ": expected " +
               (expect_kill ? "SIGKILL" : "a clean exit") + ", got " + describe(sample.status);
      return false;
    }
    if (latencies) latencies->push_back(sample.latency_ns);
  }
  return true;
}

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "vigil-bench-enforcement: " << problem << "\n";
  std::cerr << "usage: vigil-bench-enforcement [--mode exec|rename-threshold|open|connect] "
               "[--runs N] [--vigil PATH]\n";
  return 2;
}

struct Options {
  std::string mode = "exec";
  int runs = 200;
  std::string vigil = VIGIL_BINARY;
};

int run(const Options& options, const Scenario& scenario, const fs::path& work) {
  // The same binary (a copy of true(1)) under two names: the rule matches one.
  fs::create_directories(work / "bin");
  const fs::path matched = work / "bin" / "victim";
  const fs::path unmatched = work / "bin" / "bystander";
  for (const fs::path& copy : {matched, unmatched}) {
    fs::copy_file("/usr/bin/true", copy, fs::copy_options::overwrite_existing);
    fs::permissions(copy, fs::perms::owner_all);
  }
  std::ofstream(work / "bench.vigil") << scenario.policy(matched);

  void* shared =
      mmap(nullptr, sizeof(SharedClock), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    std::cerr << "vigil-bench-enforcement: mmap: " << std::strerror(errno) << "\n";
    return 1;
  }
  auto* clock = static_cast<SharedClock*>(shared);
  std::string error;
  auto fail = [&](const std::string& phase) {
    std::cerr << "vigil-bench-enforcement: " << phase << ": " << error << "\n";
    return 1;
  };

  std::vector<int64_t> before, unmatched_ns, kill_ns, after;
  if (!run_phase(scenario, matched, kWarmUpRuns, false, clock, nullptr, &error) ||
      !run_phase(scenario, matched, options.runs, false, clock, &before, &error))
    return fail("baseline (no agent)");

  double agent_start_ms = 0;
  int alerts = 0;
  {
    auto started = std::chrono::steady_clock::now();
    Agent agent(options.vigil, work, work / "bench.vigil");
    if (!agent.wait_for_log("generation 1 live", std::chrono::seconds(120))) {
      std::cerr << "vigil-bench-enforcement: the agent did not start; its log:\n" << agent.log();
      return 1;
    }
    agent_start_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (!run_phase(scenario, unmatched, kWarmUpRuns, false, clock, nullptr, &error))
      return fail("unmatched (agent running)");
    if (!run_phase(scenario, matched, kWarmUpRuns, true, clock, nullptr, &error))
      return fail("kill (agent running)");
    for (int i = 0; i < options.runs; ++i) {
      if (!run_phase(scenario, unmatched, 1, false, clock, &unmatched_ns, &error))
        return fail("unmatched (agent running)");
      if (!run_phase(scenario, matched, 1, true, clock, &kill_ns, &error))
        return fail("kill (agent running)");
    }
    // Every kill must have been reported (warm-up runs included).
    int want = options.runs + kWarmUpRuns;
    alerts = agent.killed_alerts("bench_kill", want, std::chrono::seconds(10));
    if (alerts != want) {
      std::cerr << "vigil-bench-enforcement: " << want << " kills, but " << alerts
                << " \"killed\" alerts; the agent's log:\n"
                << agent.log();
      return 1;
    }
    agent.stop();
  }
  if (!run_phase(scenario, matched, kWarmUpRuns, false, clock, nullptr, &error) ||
      !run_phase(scenario, matched, options.runs, false, clock, &after, &error))
    return fail("baseline after the agent");

  nlohmann::json result = {
      {"mode", scenario.mode},
      {"description", scenario.description},
      {"runs", options.runs},
      {"agent_start_ms", agent_start_ms},
      {"killed_alerts", alerts},
      {"latency_ns",
       {{"baseline_before", before},
        {"unmatched", unmatched_ns},
        {"kill", kill_ns},
        {"baseline_after", after}}},
  };
  std::cout << result.dump() << "\n";

  auto median_us = [](std::vector<int64_t> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2] / 1000.0;
  };
  std::fprintf(stderr,
               "%s: kill %.0f us, unmatched %.0f us, baseline (no agent) %.0f / %.0f us "
               "(medians of %d)\n",
               scenario.mode, median_us(kill_ns), median_us(unmatched_ns), median_us(before),
               median_us(after), options.runs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--mode") {
      options.mode = value;
    } else if (flag == "--runs") {
      char* end = nullptr;
      long runs = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || runs < 1 || runs > 100000) return usage("--runs must be 1..100000");
      options.runs = static_cast<int>(runs);
    } else if (flag == "--vigil") {
      options.vigil = value;
    } else {
      return usage("unknown option " + flag);
    }
  }
  const Scenario* scenario = nullptr;
  for (const Scenario& candidate : kScenarios)
    if (options.mode == candidate.mode) scenario = &candidate;
  if (!scenario) return usage("unknown mode " + options.mode);
  if (geteuid() != 0) {
    std::cerr << "vigil-bench-enforcement: run as root (the agent loads BPF programs)\n";
    return 1;
  }
  if (access(options.vigil.c_str(), X_OK) != 0)
    return usage("cannot run the agent binary " + options.vigil + " (use --vigil PATH)");

  struct sigaction alarm_action{};
  alarm_action.sa_handler = on_alarm;  // no SA_RESTART: waitpid() sees EINTR
  sigaction(SIGALRM, &alarm_action, nullptr);
  struct sigaction interrupt_action{};
  interrupt_action.sa_handler = on_interrupt;
  sigaction(SIGINT, &interrupt_action, nullptr);
  sigaction(SIGTERM, &interrupt_action, nullptr);

  char directory[] = "/tmp/vigil-bench-enforce-XXXXXX";
  if (!mkdtemp(directory)) {
    std::cerr << "vigil-bench-enforcement: mkdtemp: " << std::strerror(errno) << "\n";
    return 1;
  }
  int result = run(options, *scenario, directory);
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  return result;
}
