// Policies on disk -> a compiled bundle: front end, eBPF code generation, and
// the Clang compile in a worker process (the default compile worker:
// vigil-compile-worker for vigil, see compiler/bpfcc/worker_location.h).
// Shared by `vigil compile`, `verify`, `explain`, `run` and the tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bpfcc/compile_request.h"
#include "compiler/codegen/bundle.h"
#include "compiler/codegen/generate.h"
#include "compiler/frontend.h"

namespace vigil::driver {

struct CompileResult {
  FrontEndResult front_end;               // diagnostics to print, io_errors (exit 2)
  std::optional<codegen::Bundle> bundle;  // set on success
  bpfcc::BpfCompileResult bpf;            // the Clang step, when it ran
  // One line when neither front end nor Clang explains the failure; also when
  // no compile worker is installed (then `bpf` is empty).
  std::string error;
  std::string c_source;  // the generated C, whenever generation ran (also on failure)
  std::chrono::microseconds generate_time{0};
};

CompileResult compile_policies(const std::vector<std::string>& paths,
                               const codegen::GenerateOptions& options = {});

// The same, from an already-analysed policy set and its sources.
CompileResult compile_policy_set(const ir::PolicySet& policy,
                                 const std::vector<codegen::PolicySource>& sources,
                                 const codegen::GenerateOptions& options = {});

}  // namespace vigil::driver
