// The worker side of compile_bpf_isolated (LLVM: library vigil_bpfcc). Run by
// vigil-compile-worker (worker_main.cpp), and by test and benchmark binaries
// that are their own worker.
#pragma once

namespace vigil::bpfcc {

// Reads one request from stdin, writes the result to stdout and ends the
// process (exit status 0, or 2..5 with a message on stderr). It uses _exit:
// LLVM's static state is not worth tearing down, and leak checkers must not
// turn a finished compile into a failed one. Stray output from the compiler
// cannot corrupt the result: stdout is redirected to stderr.
[[noreturn]] void run_compile_worker();

// For a binary that links the compiler and is its own worker (tests,
// benchmarks), first thing in main(): started as a worker
// (`argv[1] == "__compile-worker"`), it serves and exits; otherwise it makes
// `/proc/self/exe` the default worker, so no vigil-compile-worker is needed.
void act_as_own_compile_worker(int argc, char** argv);

}  // namespace vigil::bpfcc
