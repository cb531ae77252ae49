// In-kernel cost of vigil's generated matchers, and policy -> verified
// program latency. For N rules on file.open (a realistic mix of exact,
// prefix, suffix, glob and contains path tests with process exceptions and
// int conditions, none matching the loop below):
//   1. compile (front end + code generation + Clang) and load (verifier);
//   2. time an openat() loop with no agent attached (the baseline);
//   3. attach, enable BPF run-time statistics, time the same loop again, and
//      read the hook program's run_time_ns / run_cnt: ns per event in BPF.
// Prints one JSON object. Root required.
//
//   vigil-bench-kernel --rules N [--iterations M] [--mix realistic|exact] [--bpftrace]
//
// --mix exact: every rule is `file.path == "/etc/bench/secret-N"`, a filter
// bpftrace can express too; --bpftrace then runs that same filter as one
// bpftrace probe (`/str(args->filename) == ... || .../`) instead of vigil and
// reports its program's run time per event the same way.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "compiler/bpfcc/compile_worker.h"
#include "compiler/driver/compile_policies.h"
#include "runtime/attachments.h"
#include "runtime/bundle_loader.h"
#include "runtime/kernel_mounts.h"

namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

void write_exact_policy(const std::filesystem::path& directory, int rules) {
  std::filesystem::create_directories(directory);
  std::ofstream out(directory / "bench.vigil");
  for (int i = 0; i < rules; ++i)
    out << "rule bench_" << i << " {\n  on file.open\n  when file.path == \"/etc/bench/secret-" << i
        << "\"\n}\n\n";
}

std::string bpftrace_script(int rules) {
  std::string filter;
  for (int i = 0; i < rules; ++i)
    filter += (i ? " || " : "") + std::string("str(args->filename) == \"/etc/bench/secret-") +
              std::to_string(i) + "\"";
  return "tracepoint:syscalls:sys_enter_openat /" + filter +
         "/ { printf(\"%s\\n\", str(args->filename)); }\n";
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

void write_policy(const std::filesystem::path& directory, int rules) {
  std::filesystem::create_directories(directory);
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

// ns per openat() of a missing file, over `iterations` calls.
double syscall_loop_ns(const std::string& path, long iterations) {
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) close(fd);
  }
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
}

// The same loop with bpftrace running the same filter.
int run_bpftrace(const std::string& directory, int rules, long iterations) {
  const std::string script = directory + "/bench.bt";
  std::ofstream(script) << bpftrace_script(rules);
  const std::string path = directory + "/no-such-file";
  syscall_loop_ns(path, iterations / 10);
  double baseline_ns = syscall_loop_ns(path, iterations);
  uint32_t before_start = 0;
  for (uint32_t id = 0; bpf_prog_get_next_id(id, &id) == 0;) before_start = id;
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("bpftrace", "bpftrace", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  uint32_t id = 0;
  auto started = Clock::now();
  while (!(id = find_program("sys_enter_opena", before_start)) && elapsed_ms(started) < 60000)
    usleep(100000);
  double attach_ms = elapsed_ms(started);
  int result = 1;
  int prog_fd = id ? bpf_prog_get_fd_by_id(id) : -1;
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (prog_fd >= 0 && stats_fd >= 0) {
    usleep(500000);  // bpftrace attaches after loading
    syscall_loop_ns(path, iterations / 10);
    bpf_prog_info before{}, after{};
    uint32_t length = sizeof before;
    bpf_obj_get_info_by_fd(prog_fd, &before, &length);
    double with_ns = syscall_loop_ns(path, iterations);
    length = sizeof after;
    bpf_obj_get_info_by_fd(prog_fd, &after, &length);
    uint64_t runs = after.run_cnt - before.run_cnt;
    std::printf(
        "{\"engine\": \"bpftrace\", \"rules\": %d, \"start_ms\": %.0f, "
        "\"baseline_syscall_ns\": %.0f, \"with_bpftrace_syscall_ns\": %.0f, "
        "\"bpf_ns_per_event\": %.0f, \"bpf_runs\": %llu}\n",
        rules, attach_ms, baseline_ns, with_ns,
        runs ? double(after.run_time_ns - before.run_time_ns) / runs : 0.0,
        static_cast<unsigned long long>(runs));
    result = runs ? 0 : 1;
  } else {
    std::cerr << "bpftrace's program did not appear (is bpftrace installed?)\n";
  }
  if (stats_fd >= 0) close(stats_fd);
  if (prog_fd >= 0) close(prog_fd);
  kill(child, SIGINT);
  waitpid(child, nullptr, 0);
  std::filesystem::remove_all(directory);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::bpfcc::act_as_own_compile_worker(argc, argv);
  int rules = 1;
  long iterations = 200000;
  std::string mix = "realistic";
  bool bpftrace = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--bpftrace") bpftrace = true;
    if (i + 1 >= argc) continue;
    if (flag == "--rules") rules = std::stoi(argv[i + 1]);
    if (flag == "--iterations") iterations = std::stol(argv[i + 1]);
    if (flag == "--mix") mix = argv[i + 1];
  }
  char directory[] = "/tmp/vigil-bench-XXXXXX";
  if (!mkdtemp(directory)) return 2;
  if (bpftrace) return run_bpftrace(directory, rules, iterations);
  if (mix == "exact")
    write_exact_policy(directory, rules);
  else
    write_policy(directory, rules);

  auto started = Clock::now();
  vigil::driver::CompileResult compiled = vigil::driver::compile_policies({directory});
  double compile_ms = elapsed_ms(started);
  if (!compiled.bundle) {
    std::cerr << "compile failed: " << compiled.error << "\n";
    return 1;
  }
  std::string error;
  std::optional<std::string> tracefs = vigil::runtime::ensure_tracefs(&error);
  if (!tracefs) {
    std::cerr << error << "\n";
    return 1;
  }
  vigil::runtime::LoadOptions options;
  options.tracefs = *tracefs;
  started = Clock::now();
  auto loader = vigil::runtime::BundleLoader::open(*compiled.bundle, options, &error);
  if (!loader || !loader->load(&error)) {
    std::cerr << "load failed: " << error << "\n";
    return 1;
  }
  double load_ms = elapsed_ms(started);
  uint32_t verified = 0;
  for (const auto& program : loader->programs())
    if (program.name.find("file_open") != std::string::npos)
      verified = std::max(verified, program.verified_insns);

  const std::string path = std::string(directory) + "/no-such-file";
  syscall_loop_ns(path, iterations / 10);  // warm up
  double baseline_ns = syscall_loop_ns(path, iterations);

  vigil::runtime::Attachments attachments;
  if (!attachments.attach_all(loader->object(), &error)) {
    std::cerr << error << "\n";
    return 1;
  }
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0) {
    std::cerr << "cannot enable BPF run-time statistics\n";
    return 1;
  }
  syscall_loop_ns(path, iterations / 10);
  bpf_program* program =
      bpf_object__find_program_by_name(loader->object(), "vigil_file_open_openat");
  bpf_prog_info before{}, after{};
  uint32_t length = sizeof before;
  bpf_obj_get_info_by_fd(bpf_program__fd(program), &before, &length);
  double with_agent_ns = syscall_loop_ns(path, iterations);
  length = sizeof after;
  bpf_obj_get_info_by_fd(bpf_program__fd(program), &after, &length);
  close(stats_fd);
  uint64_t runs = after.run_cnt - before.run_cnt;
  double bpf_ns = runs ? double(after.run_time_ns - before.run_time_ns) / runs : 0;

  std::printf(
      "{\"rules\": %d, \"compile_ms\": %.1f, \"clang_ms\": %.1f, \"load_ms\": %.1f, "
      "\"verified_insns_file_open\": %u, \"baseline_syscall_ns\": %.0f, "
      "\"with_vigil_syscall_ns\": %.0f, \"bpf_ns_per_event\": %.0f, \"bpf_runs\": %llu}\n",
      rules, compile_ms, compiled.bpf.compile_time.count() / 1000.0, load_ms, verified, baseline_ns,
      with_agent_ns, bpf_ns, static_cast<unsigned long long>(runs));
  std::filesystem::remove_all(directory);
  return 0;
}
