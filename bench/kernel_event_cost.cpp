// In-kernel cost of vigil's generated matchers, and policy -> verified
// program latency. For N rules on file.open (a realistic mix of exact,
// prefix, suffix, glob and contains path tests with process exceptions and
// int conditions, none matching the loop below):
//   1. compile (front end + code generation + Clang) and load (verifier);
//   2. time an openat() loop with no program attached (the baseline);
//   3. attach, enable BPF run-time statistics, time the same loop again, and
//      read the hook program's run_time_ns / run_cnt: ns per event in BPF.
// Prints one JSON object. Root required.
//
//   vigil-bench-kernel --rules N [--iterations M] [--mix realistic|exact]
//                      [--clang-binary clang-19]
//   vigil-bench-kernel --rules N --bpftrace [--iterations M]
//   vigil-bench-kernel --floor [--iterations M]
//
// --mix exact: every rule is `file.path == "/etc/bench/secret-N"`, a filter
// bpftrace can express too; --bpftrace then runs that same filter as one
// bpftrace probe (`/str(args->filename) == ... || .../`) instead of vigil and
// reports its program's run time per event the same way (or, when bpftrace
// cannot load it, "loaded": false and the reason). --floor: an empty program
// (`return 0`) on the same tracepoint, the least any BPF program costs there.
// --clang-binary: also time that clang binary on the same generated C and
// headers (`-target bpf -O2 -g`), next to the in-process compile.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

void write_exact_policy(const fs::path& directory, int rules) {
  std::ofstream out(directory / "bench.vigil");
  for (int i = 0; i < rules; ++i)
    out << "rule bench_" << i << " {\n  on file.open\n  when file.path == \"/etc/bench/secret-" << i
        << "\"\n}\n\n";
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

std::string bpftrace_script(int rules) {
  std::string filter;
  for (int i = 0; i < rules; ++i)
    filter += (i ? " || " : "") + std::string("str(args->filename) == \"/etc/bench/secret-") +
              std::to_string(i) + "\"";
  return "tracepoint:syscalls:sys_enter_openat /" + filter +
         "/ { printf(\"%s\\n\", str(args->filename)); }\n";
}

// ns per openat() of a missing file, over `iterations` calls.
double syscall_loop_ns(const std::string& path, long iterations) {
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) close(fd);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
}

struct LoopCost {
  double syscall_ns = 0;  // per openat() with the program attached
  double bpf_ns = 0;      // the program's run_time_ns / run_cnt over the loop
  uint64_t runs = 0;      // run_cnt over the loop
};

// Times the loop with `prog_fd` attached and BPF statistics on (the caller
// keeps `stats` open). False if the program's info cannot be read.
bool attached_loop(int prog_fd, const std::string& path, long iterations, LoopCost* cost) {
  syscall_loop_ns(path, iterations / 10);  // warm up
  bpf_prog_info before{}, after{};
  uint32_t length = sizeof before;
  if (bpf_obj_get_info_by_fd(prog_fd, &before, &length) != 0) return false;
  cost->syscall_ns = syscall_loop_ns(path, iterations);
  length = sizeof after;
  if (bpf_obj_get_info_by_fd(prog_fd, &after, &length) != 0) return false;
  cost->runs = after.run_cnt - before.run_cnt;
  cost->bpf_ns = cost->runs ? double(after.run_time_ns - before.run_time_ns) / cost->runs : 0;
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

// The baseline, on a path that does not exist.
double baseline_ns(const std::string& path, long iterations) {
  syscall_loop_ns(path, iterations / 10);  // warm up
  return syscall_loop_ns(path, iterations);
}

// The id of a tracepoint program named `name` loaded after `after_id`, or 0.
uint32_t find_program(const char* name, uint32_t after_id) {
  uint32_t id = after_id;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t length = sizeof info;
    bool found = bpf_obj_get_info_by_fd(fd, &info, &length) == 0 &&
                 std::string(info.name) == name && info.type == BPF_PROG_TYPE_TRACEPOINT;
    close(fd);
    if (found) return id;
  }
  return 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Why bpftrace could not load its program, from its -v output: the verifier's
// last complaint (the line before "processed N insns"), else its last ERROR.
std::string bpftrace_failure(const std::string& output) {
  std::istringstream lines(output);
  std::string line, previous, last_error;
  while (std::getline(lines, line)) {
    if (line.rfind("processed ", 0) == 0 && line.find(" insns") != std::string::npos &&
        !previous.empty())
      return "verifier: " + previous;
    if (line.rfind("ERROR:", 0) == 0 && line.find("RLIMIT_MEMLOCK") == std::string::npos)
      last_error = line.substr(7);
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

// The same loop with bpftrace running the same filter as `--mix exact`.
int run_bpftrace(const fs::path& directory, int rules, long iterations) {
  const fs::path script = directory / "bench.bt";
  const fs::path log = directory / "bpftrace.log";
  std::ofstream(script) << bpftrace_script(rules);
  const std::string path = directory / "no-such-file";
  double baseline = baseline_ns(path, iterations);
  uint32_t before_start = 0;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) before_start = id;

  auto started = Clock::now();
  pid_t child = start_bpftrace(script, log);
  uint32_t id = 0;
  bool exited = false;
  while (!(id = find_program("sys_enter_opena", before_start)) && elapsed_ms(started) < 300000) {
    if (waitpid(child, nullptr, WNOHANG) == child) {
      exited = true;
      break;
    }
    usleep(50000);
  }
  double attach_ms = elapsed_ms(started);
  json result = {{"engine", "bpftrace"},
                 {"mix", "exact"},
                 {"rules", rules},
                 {"iterations", iterations},
                 {"baseline_syscall_ns", baseline}};
  if (!id) {
    if (!exited) stop_child(child);
    result["loaded"] = false;
    result["error"] = exited ? bpftrace_failure(read_text(log))
                             : "bpftrace's program did not appear within 300 s";
    std::cout << result.dump() << "\n";
    return 0;
  }
  int prog_fd = bpf_prog_get_fd_by_id(id);
  RunTimeStats stats;
  LoopCost cost;
  usleep(500000);  // bpftrace attaches after loading
  bool ok = prog_fd >= 0 && stats.ok() && attached_loop(prog_fd, path, iterations, &cost);
  if (prog_fd >= 0) close(prog_fd);
  stop_child(child);
  if (!ok || cost.runs == 0) {
    std::cerr << "vigil-bench-kernel: could not measure bpftrace's program\n";
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

// An empty program on sys_enter_openat, attached through a perf event as
// libbpf attaches tracepoint programs.
int run_floor(const fs::path& directory, long iterations) {
  std::string error;
  std::optional<std::string> tracefs = vigil::runtime::ensure_tracefs(&error);
  if (!tracefs) {
    std::cerr << "vigil-bench-kernel: " << error << "\n";
    return 1;
  }
  const std::string path = directory / "no-such-file";
  double baseline = baseline_ns(path, iterations);
  int tracepoint_id =
      std::atoi(read_text(fs::path(*tracefs) / "events/syscalls/sys_enter_openat/id").c_str());
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
    std::cerr << "vigil-bench-kernel: cannot attach an empty program to sys_enter_openat\n";
    return 1;
  }
  RunTimeStats stats;
  LoopCost cost;
  bool ok = stats.ok() && attached_loop(prog_fd, path, iterations, &cost);
  close(event_fd);
  close(prog_fd);
  if (!ok || cost.runs == 0) {
    std::cerr << "vigil-bench-kernel: could not measure the empty program\n";
    return 1;
  }
  json result = {{"engine", "floor"},
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

int run_vigil(const fs::path& directory, int rules, long iterations, const std::string& mix,
              const std::string& clang) {
  const fs::path policy_dir = directory / "policy";
  fs::create_directories(policy_dir);
  if (mix == "exact")
    write_exact_policy(policy_dir, rules);
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
    if (program.name.find("file_open") != std::string::npos)
      verified = std::max(verified, program.verified_insns);

  const std::string path = directory / "no-such-file";
  double baseline = baseline_ns(path, iterations);
  vigil::runtime::Attachments attachments;
  if (!attachments.attach_all(loader->object(), &error)) {
    std::cerr << "vigil-bench-kernel: " << error << "\n";
    return 1;
  }
  RunTimeStats stats;
  bpf_program* program =
      bpf_object__find_program_by_name(loader->object(), "vigil_file_open_openat");
  LoopCost cost;
  if (!stats.ok() || !program ||
      !attached_loop(bpf_program__fd(program), path, iterations, &cost)) {
    std::cerr << "vigil-bench-kernel: cannot read BPF run-time statistics\n";
    return 1;
  }
  json result = {{"engine", "vigil"},
                 {"mix", mix},
                 {"rules", rules},
                 {"iterations", iterations},
                 {"compile_ms", compile_ms},
                 {"clang_ms", compiled.bpf.compile_time.count() / 1000.0},
                 {"clang_worker_total_ms", compiled.bpf.total_time.count() / 1000.0},
                 {"c_source_bytes", compiled.c_source.size()},
                 {"load_ms", load_ms},
                 {"verified_insns_file_open", verified},
                 {"baseline_syscall_ns", baseline},
                 {"with_engine_syscall_ns", cost.syscall_ns},
                 {"bpf_ns_per_event", cost.bpf_ns},
                 {"bpf_runs", cost.runs}};
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
               "[--clang-binary CLANG] | --rules N --bpftrace | --floor\n";
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
  std::string mix = "realistic";
  std::string clang;
  bool bpftrace = false, floor = false;
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
      if (!parse_positive(value, &iterations) || iterations < 100)
        return usage("--iterations must be at least 100");
    } else if (flag == "--mix") {
      if (value != "realistic" && value != "exact") return usage("bad --mix " + value);
      mix = value;
    } else if (flag == "--clang-binary") {
      clang = value;
    } else {
      return usage("unknown option " + flag);
    }
  }
  if (geteuid() != 0) {
    std::cerr << "vigil-bench-kernel: run as root (it loads BPF programs)\n";
    return 1;
  }
  char directory[] = "/tmp/vigil-bench-XXXXXX";
  if (!mkdtemp(directory)) return usage("cannot create a temporary directory");
  int result = floor      ? run_floor(directory, iterations)
               : bpftrace ? run_bpftrace(directory, static_cast<int>(rules), iterations)
                          : run_vigil(directory, static_cast<int>(rules), iterations, mix, clang);
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  return result;
}
