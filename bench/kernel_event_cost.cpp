// In-kernel cost of vigil's generated matchers, and policy -> verified
// program latency. For N rules on one event kind (default file.open: a
// realistic mix of exact, prefix, suffix, glob and contains path tests with
// process exceptions and int conditions, none matching the loop below):
//   1. compile (front end + code generation + Clang) and load (verifier);
//   2. time the event's system-call loop (bench/syscall_loops.h) with no
//      program attached (the baseline);
//   3. attach, enable BPF run-time statistics, time the same loop again, and
//      read the hook program's run_time_ns / run_cnt: ns per event in BPF.
// Prints one JSON object. Root required.
//
//   vigil-bench-kernel --rules N [--iterations M] [--mix realistic|exact]
//                      [--event file.open|exec|net.connect] [--match none|all]
//                      [--clang-binary clang-19]
//   vigil-bench-kernel --rules N --bpftrace [--event E] [--match none|all] [--iterations M]
//   vigil-bench-kernel --floor [--event E] [--iterations M]
//
// --mix exact: N rules of one equality test each, a filter bpftrace can
// express too (file.open: `file.path == "/etc/bench/secret-i"`; exec:
// `process.exe == "/opt/bench/tool-i"`; net.connect: `net.dport == 20000+i`),
// none matching the loop. --event exec and net.connect have only this mix.
// --match all: every rule matches every event of the loop (each rule's set
// is {what the loop does, rule i's own value}), so vigil writes one record
// per event to its ring buffer; a thread of this process drains it (counts
// the records, nothing more), and the sample says how many were submitted,
// dropped and drained.
// --bpftrace runs the same filter instead of vigil and reports its
// program's run time per event the same way (or, when bpftrace cannot load
// it, "loaded": false and the reason): with --match none one probe whose
// predicate ORs the N tests, with --match all one probe per rule (each rule
// prints its own line, as each vigil rule makes its own alert; bpftrace's
// output goes to /dev/null), the cost per event then being the sum over the
// N programs. --floor: an empty program (`return 0`) on the event's
// tracepoint, the least any BPF program costs there.
// --clang-binary: also time that clang binary on the same generated C and
// headers (`-target bpf -O2 -g`), next to the in-process compile.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/syscall_loops.h"
#include "compiler/bpfcc/compile_worker.h"
#include "compiler/bpfcc/embedded_headers.h"
#include "compiler/codegen/generate.h"
#include "compiler/driver/compile_policies.h"
#include "compiler/frontend.h"
#include "runtime/attachments.h"
#include "runtime/bundle_loader.h"
#include "runtime/kernel_mounts.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using vigil::bench::LoopEvent;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// What the benchmark needs to know about one event kind.
struct EventSpec {
  LoopEvent loop;
  const char* vigil_program;  // vigil's capture program for the loop's system call
  const char* category;       // the tracepoint the loop fires: category/name
  const char* tracepoint;
};

EventSpec event_spec(LoopEvent event) {
  switch (event) {
    case LoopEvent::FileOpen:
      return {event, "vigil_file_open_openat", "syscalls", "sys_enter_openat"};
    case LoopEvent::Exec:
      return {event, "vigil_exec_sched_process_exec", "sched", "sched_process_exec"};
    case LoopEvent::NetConnect:
      return {event, "vigil_net_connect_connect", "syscalls", "sys_enter_connect"};
  }
  return {};
}

// The kernel keeps 15 characters of a program's name; bpftrace names its
// programs after the tracepoint.
std::string kernel_program_name(const EventSpec& spec) {
  return std::string(spec.tracepoint).substr(0, 15);
}

constexpr int kFirstRulePort = 20000;

// Rule i's own value: nothing the loop does.
std::string rule_value(LoopEvent event, int i) {
  switch (event) {
    case LoopEvent::FileOpen: return "\"/etc/bench/secret-" + std::to_string(i) + "\"";
    case LoopEvent::Exec: return "\"/opt/bench/tool-" + std::to_string(i) + "\"";
    case LoopEvent::NetConnect: return std::to_string(kFirstRulePort + i);
  }
  return "";
}

// What the loop does, as a rule value.
std::string loop_value(LoopEvent event, const vigil::bench::LoopTarget& target) {
  switch (event) {
    case LoopEvent::FileOpen: return "\"" + target.open_path + "\"";
    case LoopEvent::Exec: return "\"" + target.exec_binary + "\"";
    case LoopEvent::NetConnect: return std::to_string(target.connect_port);
  }
  return "";
}

const char* vigil_field(LoopEvent event) {
  switch (event) {
    case LoopEvent::FileOpen: return "file.path";
    case LoopEvent::Exec: return "process.exe";
    case LoopEvent::NetConnect: return "net.dport";
  }
  return "";
}

// match none: `field == value_i`; match all: `field in [loop value, value_i]`.
void write_exact_policy(const fs::path& directory, LoopEvent event, int rules, bool all_match,
                        const vigil::bench::LoopTarget& target) {
  std::ofstream out(directory / "bench.vigil");
  for (int i = 0; i < rules; ++i) {
    out << "rule bench_" << i << " {\n  on " << vigil::bench::loop_event_name(event) << "\n  when "
        << vigil_field(event);
    if (all_match)
      out << " in [" << loop_value(event, target) << ", " << rule_value(event, i) << "]";
    else
      out << " == " << rule_value(event, i);
    out << "\n}\n\n";
  }
}

void write_realistic_policy(const fs::path& directory, int rules) {
  std::ofstream out(directory / "bench.vigil");
  out << "list bench_trusted = [\"apt\", \"dpkg\", \"ansible-playboo\", \"puppet\"]\n\n";
  for (int i = 0; i < rules; ++i) {
    out << "rule bench_" << i << " {\n  on file.open\n  when ";
    switch (i % 6) {
      case 0: out << "file.path == \"/etc/bench/secret-" << i << "\""; break;
      case 1: out << "file.path startswith \"/opt/app-" << i << "/\" and file.write"; break;
      case 2: out << "file.path endswith \".key-" << i << "\""; break;
      case 3: out << "file.path glob \"/home/*/.config/app-" << i << "/**\""; break;
      case 4: out << "file.path contains \"/.secret-" << i << "/\" and process.uid != 0"; break;
      case 5:
        out << "file.path in [\"/var/lib/bench/" << i << "/a\", \"/var/lib/bench/" << i
            << "/b\"] and file.flags > " << 64 + i;
        break;
    }
    out << "\n  except process.comm in bench_trusted or process.exe startswith \"/usr/lib/bench-"
        << i << "/\"\n}\n\n";
  }
}

// One bpftrace test of the event against a rule value (as rule_value and
// loop_value spell it). The connect port is compared in network byte
// order, as connect() receives it.
std::string bpftrace_test(LoopEvent event, const std::string& value) {
  switch (event) {
    case LoopEvent::FileOpen:
    case LoopEvent::Exec: return "str(args->filename) == " + value;
    case LoopEvent::NetConnect:
      return "((struct sockaddr_in *)args->uservaddr)->sin_port == " +
             std::to_string(htons(static_cast<uint16_t>(std::stoi(value))));
  }
  return "";
}

// match none: one probe, its predicate the OR of the N tests. match all:
// one probe per rule (the loop's value or rule i's), each printing a line.
std::string bpftrace_script(const EventSpec& spec, int rules, bool all_match,
                            const vigil::bench::LoopTarget& target) {
  const std::string probe = std::string("tracepoint:") + spec.category + ":" + spec.tracepoint;
  std::string script;
  if (!all_match) {
    std::string filter;
    for (int i = 0; i < rules; ++i)
      filter += (i ? " || " : "") + bpftrace_test(spec.loop, rule_value(spec.loop, i));
    return probe + " /" + filter + "/ { printf(\"bench %d\\n\", pid); }\n";
  }
  for (int i = 0; i < rules; ++i)
    script += probe + " /" + bpftrace_test(spec.loop, loop_value(spec.loop, target)) + " || " +
              bpftrace_test(spec.loop, rule_value(spec.loop, i)) + "/ { printf(\"bench_" +
              std::to_string(i) + " %d\\n\", pid); }\n";
  return script;
}

// One timed loop; exits the benchmark (with the reason) if a call fails.
double timed_loop(LoopEvent event, const vigil::bench::LoopTarget& target, long iterations) {
  std::string error;
  double ns = vigil::bench::loop_ns(event, target, iterations, &error);
  if (ns < 0) {
    std::cerr << "vigil-bench-kernel: the " << vigil::bench::loop_event_name(event)
              << " loop failed: " << error << "\n";
    std::exit(1);
  }
  return ns;
}

struct LoopCost {
  double syscall_ns = 0;  // per call with the program(s) attached
  double bpf_ns = 0;      // the programs' run_time_ns over the loop / events
  uint64_t runs = 0;      // events: the most run_cnt grew over the loop, of the programs
};

struct ProgramStats {
  uint64_t run_time_ns = 0;
  uint64_t run_cnt = 0;
};

bool program_stats(int prog_fd, ProgramStats* stats) {
  bpf_prog_info info{};
  uint32_t length = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &length) != 0) return false;
  *stats = {info.run_time_ns, info.run_cnt};
  return true;
}

// Times the loop with `prog_fds` attached (all on the loop's tracepoint) and
// BPF statistics on (the caller keeps `stats` open). False if a program's
// info cannot be read.
bool attached_loop(const std::vector<int>& prog_fds, LoopEvent event,
                   const vigil::bench::LoopTarget& target, long iterations, LoopCost* cost) {
  timed_loop(event, target, std::max(1L, iterations / 10));  // warm up
  std::vector<ProgramStats> before(prog_fds.size()), after(prog_fds.size());
  for (size_t i = 0; i < prog_fds.size(); ++i)
    if (!program_stats(prog_fds[i], &before[i])) return false;
  cost->syscall_ns = timed_loop(event, target, iterations);
  uint64_t time = 0;
  for (size_t i = 0; i < prog_fds.size(); ++i) {
    if (!program_stats(prog_fds[i], &after[i])) return false;
    time += after[i].run_time_ns - before[i].run_time_ns;
    cost->runs = std::max(cost->runs, after[i].run_cnt - before[i].run_cnt);
  }
  cost->bpf_ns = cost->runs ? double(time) / cost->runs : 0;
  return true;
}

// BPF_ENABLE_STATS for the lifetime of this object.
class RunTimeStats {
 public:
  RunTimeStats() : fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)) {}
  ~RunTimeStats() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// The loop with nothing of ours attached.
double baseline_ns(LoopEvent event, const vigil::bench::LoopTarget& target, long iterations) {
  timed_loop(event, target, std::max(1L, iterations / 10));  // warm up
  return timed_loop(event, target, iterations);
}

// The ids of the tracepoint programs named `name` loaded after `after_id`.
std::vector<uint32_t> find_programs(const std::string& name, uint32_t after_id) {
  std::vector<uint32_t> found;
  uint32_t id = after_id;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0 && std::string(info.name) == name &&
        info.type == BPF_PROG_TYPE_TRACEPOINT)
      found.push_back(id);
    close(fd);
  }
  return found;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Why bpftrace could not load or attach its programs, from its -v output:
// the verifier's last complaint (the line before "processed N insns"), else
// its last ERROR.
std::string bpftrace_failure(const std::string& output) {
  std::istringstream lines(output);
  std::string line, previous, last_error;
  while (std::getline(lines, line)) {
    if (line.rfind("processed ", 0) == 0 && line.find(" insns") != std::string::npos &&
        !previous.empty())
      return "verifier: " + previous;
    if (line.rfind("ERROR:", 0) == 0 && line.find("RLIMIT_MEMLOCK") == std::string::npos) {
      last_error = line.substr(7);
      // The system call that failed, when bpftrace says (E2BIG from
      // PERF_EVENT_IOC_SET_BPF past 64 programs on one tracepoint).
      if (previous.rfind("ioctl(", 0) == 0) last_error += " (" + previous + ")";
    }
    previous = line;
  }
  return last_error.empty() ? "bpftrace exited without loading its program" : last_error;
}

// Runs `bpftrace -v script` (-v: the verifier's log when a load fails; no
// more output when it succeeds) with its output in `log`; the child's pid.
pid_t start_bpftrace(const fs::path& script, const fs::path& log) {
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_WRONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (null < 0 || out < 0) _exit(126);
    dup2(null, 1);
    dup2(out, 2);
    execlp("bpftrace", "bpftrace", "-v", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

void stop_child(pid_t child) {
  kill(child, SIGINT);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(child, nullptr, WNOHANG) == child) return;
    usleep(100000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

json sample_head(const char* engine, const EventSpec& spec, const char* mix, bool all_match,
                 int rules, long iterations) {
  return {{"engine", engine},
          {"event", vigil::bench::loop_event_name(spec.loop)},
          {"match", all_match ? "all" : "none"},
          {"mix", mix},
          {"rules", rules},
          {"iterations", iterations}};
}

// The same loop with bpftrace running the same filter as `--mix exact`.
int run_bpftrace(const fs::path& directory, const EventSpec& spec, int rules, bool all_match,
                 const vigil::bench::LoopTarget& target, long iterations) {
  const fs::path script = directory / "bench.bt";
  const fs::path log = directory / "bpftrace.log";
  std::ofstream(script) << bpftrace_script(spec, rules, all_match, target);
  json result = sample_head("bpftrace", spec, "exact", all_match, rules, iterations);
  result["probes"] = all_match ? rules : 1;
  result["baseline_syscall_ns"] = baseline_ns(spec.loop, target, iterations);
  uint32_t before_start = 0;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) before_start = id;

  const size_t expected = all_match ? rules : 1;
  auto started = Clock::now();
  pid_t child = start_bpftrace(script, log);
  std::vector<uint32_t> ids;
  bool exited = false;
  while ((ids = find_programs(kernel_program_name(spec), before_start)).size() < expected &&
         elapsed_ms(started) < 300000) {
    if (waitpid(child, nullptr, WNOHANG) == child) {
      exited = true;
      break;
    }
    usleep(50000);
  }
  double attach_ms = elapsed_ms(started);
  usleep(500000);  // bpftrace attaches after loading
  // Loaded but failed to attach (E2BIG past 64 programs on one tracepoint):
  // bpftrace exits, which this notices here.
  if (!exited && waitpid(child, nullptr, WNOHANG) == child) exited = true;
  if (exited || ids.size() < expected) {
    if (!exited) stop_child(child);
    result["loaded"] = false;
    result["error"] = exited ? bpftrace_failure(read_text(log))
                             : "bpftrace's programs did not appear within 300 s";
    std::cout << result.dump() << "\n";
    return 0;
  }
  std::vector<int> prog_fds;
  for (uint32_t id : ids) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd >= 0) prog_fds.push_back(fd);
  }
  RunTimeStats stats;
  LoopCost cost;
  bool ok = prog_fds.size() == ids.size() && stats.ok() &&
            attached_loop(prog_fds, spec.loop, target, iterations, &cost);
  for (int fd : prog_fds) close(fd);
  stop_child(child);
  if (!ok || cost.runs == 0) {
    std::cerr << "vigil-bench-kernel: could not measure bpftrace's programs\n";
    return 1;
  }
  result["loaded"] = true;
  result["start_ms"] = attach_ms;
  result["with_engine_syscall_ns"] = cost.syscall_ns;
  result["bpf_ns_per_event"] = cost.bpf_ns;
  result["bpf_runs"] = cost.runs;
  std::cout << result.dump() << "\n";
  return 0;
}

// An empty program on the event's tracepoint, attached through a perf event
// as libbpf attaches tracepoint programs.
int run_floor(const EventSpec& spec, const vigil::bench::LoopTarget& target, long iterations) {
  std::string error;
  std::optional<std::string> tracefs = vigil::runtime::ensure_tracefs(&error);
  if (!tracefs) {
    std::cerr << "vigil-bench-kernel: " << error << "\n";
    return 1;
  }
  double baseline = baseline_ns(spec.loop, target, iterations);
  int tracepoint_id = std::atoi(
      read_text(fs::path(*tracefs) / "events" / spec.category / spec.tracepoint / "id").c_str());
  bpf_insn program[2] = {};
  program[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  program[1].code = BPF_JMP | BPF_EXIT;
  int prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "vigil_floor", "GPL", program, 2, nullptr);
  perf_event_attr attr{};
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof attr;
  attr.config = tracepoint_id;
  int event_fd =
      tracepoint_id > 0
          ? static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC))
          : -1;
  if (prog_fd < 0 || event_fd < 0 || ioctl(event_fd, PERF_EVENT_IOC_SET_BPF, prog_fd) != 0 ||
      ioctl(event_fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
    std::cerr << "vigil-bench-kernel: cannot attach an empty program to " << spec.tracepoint
              << "\n";
    return 1;
  }
  RunTimeStats stats;
  LoopCost cost;
  bool ok = stats.ok() && attached_loop({prog_fd}, spec.loop, target, iterations, &cost);
  close(event_fd);
  close(prog_fd);
  if (!ok || cost.runs == 0) {
    std::cerr << "vigil-bench-kernel: could not measure the empty program\n";
    return 1;
  }
  json result = {{"engine", "floor"},
                 {"event", vigil::bench::loop_event_name(spec.loop)},
                 {"iterations", iterations},
                 {"baseline_syscall_ns", baseline},
                 {"with_engine_syscall_ns", cost.syscall_ns},
                 {"bpf_ns_per_event", cost.bpf_ns},
                 {"bpf_runs", cost.runs}};
  std::cout << result.dump() << "\n";
  return 0;
}

// Wall time of `clang` compiling the same C with the same headers, or a
// negative number (with a message) if it cannot.
double clang_binary_ms(const std::string& clang, const fs::path& policy_dir,
                       const fs::path& directory) {
  vigil::FrontEndResult front_end = vigil::run_front_end({policy_dir.string()});
  if (!front_end.policy) return -1;
  vigil::codegen::GeneratedSource generated = vigil::codegen::generate_bpf(*front_end.policy, {});
  if (!generated.errors.empty()) return -1;
  const fs::path include = directory / "include";
  auto write = [&](const std::string& name, std::string_view contents) {
    fs::create_directories((include / name).parent_path());
    std::ofstream(include / name) << contents;
  };
  for (const vigil::bpfcc::EmbeddedHeader& header : vigil::bpfcc::embedded_headers())
    write(std::string(header.name), header.contents);
  for (const auto& [name, contents] : generated.headers) write(name, contents);
  std::ofstream(directory / "policy.bpf.c") << generated.bundle.c_source;
  const std::string include_flag = "-I" + include.string();
  const std::string source = (directory / "policy.bpf.c").string();
  const std::string object = (directory / "policy.o").string();
  auto started = Clock::now();
  pid_t child = fork();
  if (child == 0) {
    execlp(clang.c_str(), clang.c_str(), "-target", "bpf", "-mcpu=v3", "-O2", "-g",
           "-D__TARGET_ARCH_x86", "-nostdinc", include_flag.c_str(), "-c", source.c_str(), "-o",
           object.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  double ms = elapsed_ms(started);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "vigil-bench-kernel: " << clang << " failed on the generated C\n";
    return -1;
  }
  return ms;
}

// Reads vigil's ring buffer on a thread of its own for as long as it lives,
// counting records: with every rule matching, what the agent would read.
class RingDrain {
 public:
  explicit RingDrain(int map_fd)
      : ring_(ring_buffer__new(map_fd, &RingDrain::count, this, nullptr)) {
    if (ring_)
      reader_ = std::thread([this] {
        while (!stop_) ring_buffer__poll(ring_, 100);
        ring_buffer__consume(ring_);
      });
  }
  ~RingDrain() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ring_buffer__free(ring_);
  }
  bool ok() const { return ring_ != nullptr; }
  uint64_t records() const { return records_; }

 private:
  static int count(void* self, void*, size_t) {
    ++static_cast<RingDrain*>(self)->records_;
    return 0;
  }
  ring_buffer* ring_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> records_{0};
  std::thread reader_;
};

// vigil_stats (per-CPU counters, summed): records submitted to and dropped
// by the ring buffer. The two follow the event kinds, at the end but one
// (bpf/templates/prelude.bpf.h: SUBMITTED, DROPPED, KILLED).
bool submitted_and_dropped(bpf_object* object, uint64_t* submitted, uint64_t* dropped) {
  bpf_map* map = bpf_object__find_map_by_name(object, "vigil_stats");
  if (!map) return false;
  uint32_t entries = bpf_map__max_entries(map);
  int cpus = libbpf_num_possible_cpus();
  if (entries < 3 || cpus <= 0) return false;
  std::vector<uint64_t> values(cpus);
  uint64_t sums[2] = {0, 0};
  for (uint32_t k = 0; k < 2; ++k) {
    uint32_t key = entries - 3 + k;
    if (bpf_map_lookup_elem(bpf_map__fd(map), &key, values.data()) != 0) return false;
    for (uint64_t v : values) sums[k] += v;
  }
  *submitted = sums[0];
  *dropped = sums[1];
  return true;
}

// Run time of every program of the object: what all of vigil's programs
// together cost, next to the one capture program of the loop.
uint64_t all_programs_run_time(bpf_object* object) {
  uint64_t total = 0;
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    ProgramStats stats;
    if (bpf_program__fd(program) >= 0 && program_stats(bpf_program__fd(program), &stats))
      total += stats.run_time_ns;
  }
  return total;
}

int run_vigil(const fs::path& directory, const EventSpec& spec, int rules, bool all_match,
              const vigil::bench::LoopTarget& target, long iterations, const std::string& mix,
              const std::string& clang) {
  const fs::path policy_dir = directory / "policy";
  fs::create_directories(policy_dir);
  if (mix == "exact")
    write_exact_policy(policy_dir, spec.loop, rules, all_match, target);
  else
    write_realistic_policy(policy_dir, rules);

  auto started = Clock::now();
  vigil::driver::CompileResult compiled = vigil::driver::compile_policies({policy_dir.string()});
  double compile_ms = elapsed_ms(started);
  if (!compiled.bundle) {
    std::cerr << "vigil-bench-kernel: compile failed: " << compiled.error << "\n";
    return 1;
  }
  std::string error;
  std::optional<std::string> tracefs = vigil::runtime::ensure_tracefs(&error);
  if (!tracefs) {
    std::cerr << "vigil-bench-kernel: " << error << "\n";
    return 1;
  }
  vigil::runtime::LoadOptions options;
  options.tracefs = *tracefs;
  started = Clock::now();
  auto loader = vigil::runtime::BundleLoader::open(*compiled.bundle, options, &error);
  if (!loader || !loader->load(&error)) {
    std::cerr << "vigil-bench-kernel: load failed: " << error << "\n";
    return 1;
  }
  double load_ms = elapsed_ms(started);
  uint32_t verified = 0;
  for (const auto& program : loader->programs())
    if (program.name == spec.vigil_program) verified = program.verified_insns;

  double baseline = baseline_ns(spec.loop, target, iterations);
  vigil::runtime::Attachments attachments;
  if (!attachments.attach_all(loader->object(), &error)) {
    std::cerr << "vigil-bench-kernel: " << error << "\n";
    return 1;
  }
  bpf_map* ring = bpf_object__find_map_by_name(loader->object(), "vigil_events");
  std::optional<RingDrain> drain;
  if (all_match) drain.emplace(ring ? bpf_map__fd(ring) : -1);
  if (drain && !drain->ok()) {
    std::cerr << "vigil-bench-kernel: cannot read vigil's ring buffer\n";
    return 1;
  }
  RunTimeStats stats;
  bpf_program* program = bpf_object__find_program_by_name(loader->object(), spec.vigil_program);
  LoopCost cost;
  uint64_t submitted0 = 0, dropped0 = 0, submitted1 = 0, dropped1 = 0, drained0 = 0;
  uint64_t all_time0 = 0, all_time1 = 0;
  bool ok =
      stats.ok() && program && submitted_and_dropped(loader->object(), &submitted0, &dropped0);
  if (ok) {
    drained0 = drain ? drain->records() : 0;
    all_time0 = all_programs_run_time(loader->object());
    ok = attached_loop({bpf_program__fd(program)}, spec.loop, target, iterations, &cost);
    all_time1 = all_programs_run_time(loader->object());
  }
  ok = ok && submitted_and_dropped(loader->object(), &submitted1, &dropped1);
  if (!ok) {
    std::cerr << "vigil-bench-kernel: cannot read BPF run-time statistics\n";
    return 1;
  }
  uint64_t drained = 0;
  if (drain) {
    usleep(200000);  // the reader catches up with what is in the buffer
    drained = drain->records() - drained0;
    drain.reset();
  }
  json result = sample_head("vigil", spec, mix.c_str(), all_match, rules, iterations);
  result.update({{"compile_ms", compile_ms},
                 {"clang_ms", compiled.bpf.compile_time.count() / 1000.0},
                 {"clang_worker_total_ms", compiled.bpf.total_time.count() / 1000.0},
                 {"c_source_bytes", compiled.c_source.size()},
                 {"load_ms", load_ms},
                 {"verified_insns", verified},
                 {"baseline_syscall_ns", baseline},
                 {"with_engine_syscall_ns", cost.syscall_ns},
                 {"bpf_ns_per_event", cost.bpf_ns},
                 {"bpf_runs", cost.runs},
                 {"all_programs_bpf_ns_per_call", double(all_time1 - all_time0) / iterations},
                 {"records_submitted", submitted1 - submitted0},
                 {"records_dropped", dropped1 - dropped0},
                 {"records_drained", drained}});
  // The field the file.open tables have always read.
  if (spec.loop == LoopEvent::FileOpen) result["verified_insns_file_open"] = verified;
  if (!clang.empty()) {
    double ms = clang_binary_ms(clang, policy_dir, directory / "clang");
    if (ms < 0) return 1;
    result["clang_binary_ms"] = ms;
  }
  std::cout << result.dump() << "\n";
  return 0;
}

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "vigil-bench-kernel: " << problem << "\n";
  std::cerr << "usage: vigil-bench-kernel --rules N [--iterations M] [--mix realistic|exact] "
               "[--event file.open|exec|net.connect] [--match none|all] [--clang-binary CLANG] "
               "| --rules N --bpftrace [--event E] [--match none|all] | --floor [--event E]\n";
  return 2;
}

bool parse_positive(const std::string& text, long* out) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1) return false;
  *out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::bpfcc::act_as_own_compile_worker(argc, argv);
  long rules = 1;
  long iterations = 200000;
  std::string mix;
  std::string clang;
  LoopEvent event = LoopEvent::FileOpen;
  bool bpftrace = false, floor = false, all_match = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--bpftrace") {
      bpftrace = true;
      continue;
    }
    if (flag == "--floor") {
      floor = true;
      continue;
    }
    if (i + 1 >= argc) return usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--rules") {
      if (!parse_positive(value, &rules) || rules > 100000) return usage("bad --rules " + value);
    } else if (flag == "--iterations") {
      if (!parse_positive(value, &iterations) || iterations < 10)
        return usage("--iterations must be at least 10");
    } else if (flag == "--mix") {
      if (value != "realistic" && value != "exact") return usage("bad --mix " + value);
      mix = value;
    } else if (flag == "--event") {
      std::optional<LoopEvent> parsed = vigil::bench::parse_loop_event(value);
      if (!parsed) return usage("bad --event " + value + " (file.open, exec or net.connect)");
      event = *parsed;
    } else if (flag == "--match") {
      if (value != "none" && value != "all") return usage("bad --match " + value);
      all_match = value == "all";
    } else if (flag == "--clang-binary") {
      clang = value;
    } else {
      return usage("unknown option " + flag);
    }
  }
  // The realistic mix is file.open's, and matches nothing.
  if (mix.empty())
    mix = event == LoopEvent::FileOpen && !all_match && !bpftrace ? "realistic" : "exact";
  if (mix == "realistic" && (event != LoopEvent::FileOpen || all_match || bpftrace))
    return usage("--mix realistic is for file.open, with --match none, without --bpftrace");
  if (geteuid() != 0) {
    std::cerr << "vigil-bench-kernel: run as root (it loads BPF programs)\n";
    return 1;
  }
  char directory[] = "/tmp/vigil-bench-XXXXXX";
  if (!mkdtemp(directory)) return usage("cannot create a temporary directory");
  vigil::bench::LoopTarget target;
  target.open_path = std::string(directory) + "/no-such-file";
  std::error_code resolved_error;
  fs::path binary = fs::canonical(target.exec_binary, resolved_error);
  if (!resolved_error) target.exec_binary = binary.string();  // what process.exe will say
  const EventSpec spec = event_spec(event);
  int result = floor      ? run_floor(spec, target, iterations)
               : bpftrace ? run_bpftrace(directory, spec, static_cast<int>(rules), all_match,
                                         target, iterations)
                          : run_vigil(directory, spec, static_cast<int>(rules), all_match, target,
                                      iterations, mix, clang);
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  return result;
}
