// `vigil compile`: policies -> BPF object + manifest. Needs no privileges and
// no BPF support on the machine: a CI job can build the bundle it deploys.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_diagnostics.h"
#include "compiler/codegen/explain.h"
#include "compiler/codegen/plan.h"
#include "compiler/driver/compile_policies.h"

namespace vigil::cli {
namespace {

struct CompileOptions {
  std::vector<std::string> paths;
  std::string output;
  std::string emit_c;
  bool explain = false;
  bool harness = false;
};

int run_compile(const CompileOptions& options) {
  codegen::GenerateOptions generate;
  generate.harness = options.harness;
  driver::CompileResult result = driver::compile_policies(options.paths, generate);
  if (int code = report_front_end(result.front_end); code != kExitOk) return code;
  if (!options.emit_c.empty() && !result.c_source.empty()) {
    std::ofstream out(options.emit_c, std::ios::binary | std::ios::trunc);
    if (!(out << result.c_source) || !out.flush()) {
      std::cerr << "vigil: error: cannot write " << options.emit_c << "\n";
      return kExitUsageOrIo;
    }
  }
  if (!result.bundle) {
    std::cerr << "vigil: error: " << result.error << "\n";
    if (!result.bpf.diagnostics_text.empty()) std::cerr << result.bpf.diagnostics_text;
    return kExitPolicyProblem;
  }
  const codegen::Bundle& bundle = *result.bundle;
  if (!options.output.empty()) {
    std::string error;
    if (!codegen::write_bundle(bundle, options.output, &error)) {
      std::cerr << "vigil: error: " << error << "\n";
      return kExitUsageOrIo;
    }
  }
  if (options.explain)
    std::cout << codegen::explain_plan(codegen::plan_policy(*result.front_end.policy),
                                       result.front_end.sources);
  std::cerr << "compiled " << bundle.rules.size() << " rule"
            << (bundle.rules.size() == 1 ? "" : "s") << " for " << bundle.programs.size()
            << " event kind" << (bundle.programs.size() == 1 ? "" : "s") << ": "
            << bundle.object.size() << " bytes of BPF object, " << bundle.c_source.size()
            << " bytes of C (generate " << result.generate_time.count() / 1000.0 << " ms, clang "
            << result.bpf.compile_time.count() / 1000.0 << " ms)";
  if (!options.output.empty()) std::cerr << " -> " << options.output;
  std::cerr << "\n";
  return kExitOk;
}

struct ExplainOptions {
  std::vector<std::string> paths;
  std::string rule;
};

int run_explain(const ExplainOptions& options) {
  FrontEndResult front_end = run_front_end(options.paths);
  if (int code = report_front_end(front_end); code != kExitOk) return code;
  std::string text = codegen::explain_plan(codegen::plan_policy(*front_end.policy),
                                           front_end.sources, options.rule);
  if (text.empty()) {
    std::cerr << "vigil: error: no enabled rule named '" << options.rule << "'\n";
    return kExitUsageOrIo;
  }
  std::cout << text;
  return kExitOk;
}

}  // namespace

Command register_compile(CLI::App& app) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* command = app.add_subcommand(
      "compile", "Compile policies to a BPF object (+ .json manifest); needs no privileges");
  command->add_option("paths", options->paths, "Policy files or directories")->required();
  command->add_option("-o,--output", options->output,
                      "Write the bundle: FILE (BPF ELF object) and FILE.json (manifest)");
  command->add_option("--emit-c", options->emit_c, "Write the generated BPF C to this file");
  command->add_flag("--explain", options->explain,
                    "Print, per rule, what the kernel decides and what user space completes");
  command->add_flag("--harness", options->harness,
                    "Build the BPF_PROG_TEST_RUN test harness instead of the capture hooks");
  return {command, [options] { return run_compile(*options); }};
}

Command register_explain(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command = app.add_subcommand(
      "explain", "Show, per rule, which tests run in the kernel and which in user space");
  command->add_option("paths", options->paths, "Policy files or directories")->required();
  command->add_option("--rule", options->rule, "Only this rule");
  return {command, [options] { return run_explain(*options); }};
}

}  // namespace vigil::cli
