// compile_bpf in a separate worker process, so that an LLVM crash, abort,
// runaway memory use or hang becomes an error instead of taking vigil down.
//
// The worker is `<worker_executable> <worker_arguments...>` (by default
// `/proc/self/exe __compile-worker`, the hidden vigil subcommand), which must
// call run_compile_worker(). The request goes to its stdin and the result
// comes back on its stdout (worker_protocol.h); its stderr is captured for the
// error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/bpfcc/worker_protocol.h"

namespace vigil::bpfcc {

struct IsolationOptions {
  std::string worker_executable = "/proc/self/exe";
  std::vector<std::string> worker_arguments = {"__compile-worker"};
  std::chrono::milliseconds timeout{30000};
  // Address-space limit applied by the worker to itself (0: none). Ignored in
  // AddressSanitizer builds, whose shadow memory needs terabytes of it.
  std::uint64_t memory_limit_bytes = 4ull << 30;
  // Tests only: make the worker abort or hang instead of compiling.
  WorkerTask task = WorkerTask::Compile;
};

// Never throws. On worker failure `error` says what happened, e.g.
//   "BPF compiler crashed: signal 6 (Aborted)" followed by the worker's stderr.
BpfCompileResult compile_bpf_isolated(const BpfCompileRequest& request,
                                      const IsolationOptions& options = {});

// The worker side: reads one request from stdin, writes the result to stdout
// and ends the process (exit status 0, or 2..5 with a message on stderr). It
// uses _exit: LLVM's static state is not worth tearing down, and leak checkers
// must not turn a finished compile into a failed one. Stray output from the
// compiler cannot corrupt the result: stdout is redirected to stderr.
[[noreturn]] void run_compile_worker();

}  // namespace vigil::bpfcc
