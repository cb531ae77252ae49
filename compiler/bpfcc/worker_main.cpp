// vigil-compile-worker: the only executable that links Clang/LLVM. vigil
// starts it for each BPF compile (`vigil-compile-worker __compile-worker`, the
// request on stdin, the result on stdout: worker_protocol.h) and finds it with
// worker_location.h. Keeping LLVM out of vigil keeps the agent fast to start
// and small, and a prebuilt bundle runs without any compiler installed.
#include <cstdio>
#include <string_view>

#include "compiler/bpfcc/compile_worker.h"
#include "compiler/bpfcc/worker_protocol.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == vigil::bpfcc::kCompileWorkerArgument)
    vigil::bpfcc::run_compile_worker();
  std::string_view argument = vigil::bpfcc::kCompileWorkerArgument;
  std::fprintf(stderr,
               "vigil-compile-worker: vigil's BPF compiler, started by vigil for each compile "
               "(as `vigil-compile-worker %.*s`, a request on stdin); not a command to run by "
               "hand. Use `vigil compile`.\n",
               static_cast<int>(argument.size()), argument.data());
  return 2;
}
