// compile_bpf in a separate worker process, so that an LLVM crash, abort,
// runaway memory use or hang becomes an error instead of taking vigil down,
// and so that vigil itself links no LLVM (this is the client side, library
// vigil_bpfcc_client; the worker side is compile_worker.h in vigil_bpfcc).
//
// The worker is `<worker_executable> __compile-worker`: by default the one
// default_compile_worker() names (worker_location.h), vigil-compile-worker
// for vigil; it runs run_compile_worker() (compile_worker.h). The request goes
// to its stdin and the result comes back on its stdout (worker_protocol.h);
// its stderr is captured for the error message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/bpfcc/compile_request.h"
#include "compiler/bpfcc/worker_protocol.h"

namespace vigil::bpfcc {

struct IsolationOptions {
  // Empty: default_compile_worker(); if that finds none, its error is the result's.
  std::string worker_executable;
  std::vector<std::string> worker_arguments = {std::string(kCompileWorkerArgument)};
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

}  // namespace vigil::bpfcc
