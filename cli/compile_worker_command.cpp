// `vigil __compile-worker` (hidden): compiles one BPF program for
// compile_bpf_isolated in the parent vigil process, so an LLVM crash or hang
// kills only this worker. Protocol on stdin/stdout: compiler/bpfcc/worker_protocol.h.
#include "cli/commands.h"
#include "compiler/bpfcc/isolated_compile.h"

namespace vigil::cli {

Command register_compile_worker(CLI::App& app) {
  CLI::App* command = app.add_subcommand("__compile-worker", "Internal: BPF compile worker");
  command->group("");  // hidden from --help
  return {command, []() -> int { bpfcc::run_compile_worker(); }};
}

}  // namespace vigil::cli
