// Policies on disk -> a compiled bundle: front end, eBPF code generation, and
// the isolated in-process Clang compile. Shared by `vigil compile`, `verify`,
// `explain`, `run` and the tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/codegen/bundle.h"
#include "compiler/codegen/generate.h"
#include "compiler/frontend.h"

namespace vigil::driver {

struct CompileResult {
  FrontEndResult front_end;               // diagnostics to print, io_errors (exit 2)
  std::optional<codegen::Bundle> bundle;  // set on success
  bpfcc::BpfCompileResult bpf;            // the Clang step, when it ran
  std::string error;     // one line when neither front end nor Clang explains the failure
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
