#include "compiler/driver/compile_policies.h"

#include <fmt/format.h>

#include "compiler/bpfcc/isolated_compile.h"
#include "compiler/bpfcc/worker_location.h"

namespace vigil::driver {

CompileResult compile_policy_set(const ir::PolicySet& policy,
                                 const std::vector<codegen::PolicySource>& sources,
                                 const codegen::GenerateOptions& options) {
  CompileResult result;
  auto started = std::chrono::steady_clock::now();
  codegen::GeneratedSource generated = codegen::generate_bpf(policy, options);
  result.generate_time = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  result.c_source = generated.bundle.c_source;
  if (!generated.errors.empty()) {
    result.error = generated.errors.front();
    for (size_t i = 1; i < generated.errors.size(); ++i) result.error += "\n" + generated.errors[i];
    return result;
  }
  // A missing worker is an installation problem, not a bug in the generated C.
  bpfcc::WorkerLookup worker = bpfcc::default_compile_worker();
  if (!worker.error.empty()) {
    result.error = worker.error;
    return result;
  }
  bpfcc::IsolationOptions isolation;
  isolation.worker_executable = worker.executable;
  bpfcc::BpfCompileRequest request;
  request.source = generated.bundle.c_source;
  request.source_name = "policy.bpf.c";
  for (auto& [name, contents] : generated.headers) request.headers.push_back({name, contents});
  result.bpf = bpfcc::compile_bpf_isolated(request, isolation);
  if (!result.bpf.ok) {
    // Generated C that does not compile is a vigil bug, never the policy's.
    result.error =
        fmt::format("internal error: the generated BPF C did not compile ({})", result.bpf.error);
    return result;
  }
  generated.bundle.object = std::move(result.bpf.object);
  generated.bundle.sources = sources;
  result.bundle = std::move(generated.bundle);
  return result;
}

CompileResult compile_policies(const std::vector<std::string>& paths,
                               const codegen::GenerateOptions& options) {
  FrontEndResult front_end = run_front_end(paths);
  if (!front_end.policy) {
    CompileResult result;
    result.front_end = std::move(front_end);
    return result;
  }
  std::vector<codegen::PolicySource> sources;
  for (size_t i = 0; i < front_end.sources.size(); ++i) {
    const SourceFile& file = front_end.sources.file(static_cast<FileId>(i));
    sources.push_back({file.path(), file.contents()});
  }
  codegen::GenerateOptions with_sources = options;
  with_sources.sources = &front_end.sources;
  CompileResult result = compile_policy_set(*front_end.policy, sources, with_sources);
  result.front_end = std::move(front_end);
  return result;
}

}  // namespace vigil::driver
