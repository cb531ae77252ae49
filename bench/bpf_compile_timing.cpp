// Compile-latency benchmark for compiler/bpfcc/README.md (run by `bench/run bpfcc`).
// Measurements, not assertions. Compares the embedded trimmed vmlinux.h with a full one from
// bpftool (passed as an extra header, which shadows the embedded one).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "compiler/bpfcc/compile_worker.h"
#include "compiler/bpfcc/isolated_compile.h"
#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

constexpr int kRuns = 9;

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
void report(const std::string& label, const BpfCompileRequest& request) {
  std::vector<double> compile_ms, total_ms;
  std::size_t size = 0;
  compile_bpf_isolated(request);  // warm-up: page in the LLVM libraries
  for (int i = 0; i < kRuns; ++i) {
    BpfCompileResult result = compile_bpf_isolated(request);
    if (!result.ok) {
      std::cerr << label << ": " << result.error << "\n" << result.diagnostics_text;
      std::exit(1);
    }
    compile_ms.push_back(result.compile_time.count() / 1000.0);
    total_ms.push_back(result.total_time.count() / 1000.0);
    size = result.object.size();
  }
  std::sort(compile_ms.begin(), compile_ms.end());
  std::sort(total_ms.begin(), total_ms.end());
  std::printf("%-40s compile median %6.1f ms (min %6.1f)  total median %6.1f ms  object %zu B\n",
              label.c_str(), compile_ms[kRuns / 2], compile_ms[0], total_ms[kRuns / 2], size);
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

  report("(b) trimmed vmlinux.h: representative", trimmed);
  report("(a) full vmlinux.h: representative", full);
  report("(b) trimmed vmlinux.h: headers only", trimmed_headers_only);
  report("(a) full vmlinux.h: headers only", full_headers_only);
  report("no headers: `int x;`", empty);
}

}  // namespace
}  // namespace vigil::bpfcc

int main(int argc, char** argv) {
  // The benchmark binary is its own compile worker: what it times is the
  // worker's start (LLVM's dynamic linking included) and the compile.
  vigil::bpfcc::act_as_own_compile_worker(argc, argv);
  vigil::bpfcc::run_benchmark();
  return 0;
}
