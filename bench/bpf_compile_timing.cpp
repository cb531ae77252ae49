// Compile-latency benchmark for compiler/bpfcc/README.md (run by `bench/run bpf-compile`).
// Measurements, not assertions. Compares the embedded trimmed vmlinux.h with a full one from
// bpftool (passed as an extra header, which shadows the embedded one).
// Prints one JSON line per case, every run's times in ms; a summary on stderr.
//   vigil-bench-bpf-compile [--runs N]   (default 9)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/bpfcc/compile_worker.h"
#include "compiler/bpfcc/isolated_compile.h"
#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

int g_runs = 9;

std::string full_vmlinux_h() {
  std::string text;
  FILE* pipe = popen("bpftool btf dump file /sys/kernel/btf/vmlinux format c", "r");
  if (!pipe) return text;
  char buffer[1 << 16];
  std::size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, got);
  pclose(pipe);
  return text;
}

// Each compile runs in a fresh worker (as in vigil, and as it must: see
// bpf_compiler.h), so "compile" is the in-process Clang time of a first
// compile in a process and "total" adds spawning and the round trip.
void report(const std::string& name, const std::string& label, const BpfCompileRequest& request) {
  std::vector<double> compile_ms, total_ms;
  std::size_t size = 0;
  compile_bpf_isolated(request);  // warm-up: page in the LLVM libraries
  for (int i = 0; i < g_runs; ++i) {
    BpfCompileResult result = compile_bpf_isolated(request);
    if (!result.ok) {
      std::cerr << label << ": " << result.error << "\n" << result.diagnostics_text;
      std::exit(1);
    }
    compile_ms.push_back(result.compile_time.count() / 1000.0);
    total_ms.push_back(result.total_time.count() / 1000.0);
    size = result.object.size();
  }
  nlohmann::json line = {{"case", name},
                         {"label", label},
                         {"compile_ms", compile_ms},
                         {"total_ms", total_ms},
                         {"object_bytes", size}};
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
  std::sort(compile_ms.begin(), compile_ms.end());
  std::sort(total_ms.begin(), total_ms.end());
  std::fprintf(stderr,
               "%-40s compile median %6.1f ms (min %6.1f)  total median %6.1f ms  object %zu B\n",
               label.c_str(), compile_ms[g_runs / 2], compile_ms[0], total_ms[g_runs / 2], size);
}

void run_benchmark() {
  BpfCompileRequest trimmed;
  trimmed.source = test_support::read_test_program("representative.bpf.c");
  BpfCompileRequest full = trimmed;
  full.headers = {{"vmlinux.h", full_vmlinux_h()}};
  if (full.headers[0].contents.size() < 1000000u) {
    std::cerr << "bpftool failed to dump /sys/kernel/btf/vmlinux\n";
    std::exit(1);
  }
  BpfCompileRequest trimmed_headers_only;
  trimmed_headers_only.source =
      "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n"
      "#include <bpf/bpf_tracing.h>\n#include <bpf/bpf_endian.h>\n";
  BpfCompileRequest full_headers_only = trimmed_headers_only;
  full_headers_only.headers = full.headers;
  BpfCompileRequest empty;
  empty.source = "int x;\n";

  report("trimmed_representative", "(b) trimmed vmlinux.h: representative", trimmed);
  report("full_representative", "(a) full vmlinux.h: representative", full);
  report("trimmed_headers_only", "(b) trimmed vmlinux.h: headers only", trimmed_headers_only);
  report("full_headers_only", "(a) full vmlinux.h: headers only", full_headers_only);
  report("no_headers", "no headers: `int x;`", empty);
}

}  // namespace
}  // namespace vigil::bpfcc

int main(int argc, char** argv) {
  // The benchmark binary is its own compile worker: what it times is the
  // worker's start (LLVM's dynamic linking included) and the compile.
  vigil::bpfcc::act_as_own_compile_worker(argc, argv);
  if (argc == 3 && std::string(argv[1]) == "--runs") {
    char* end = nullptr;
    long runs = std::strtol(argv[2], &end, 10);
    if (*end != '\0' || runs < 1 || runs > 1000) {
      std::cerr << "vigil-bench-bpf-compile: --runs must be 1..1000\n";
      return 2;
    }
    vigil::bpfcc::g_runs = static_cast<int>(runs);
  } else if (argc != 1) {
    std::cerr << "usage: vigil-bench-bpf-compile [--runs N]\n";
    return 2;
  }
  vigil::bpfcc::run_benchmark();
  return 0;
}
