// `vigil check`: parse and type-check a policy set, report every problem.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "compiler/diagnostic_render.h"
#include "compiler/frontend.h"
#include "compiler/version.h"
#include "runtime/lsm_probe.h"

namespace vigil::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string output;
  bool warnings_as_errors = false;
  bool color = false;
  bool no_color = false;
  std::string bpf_lsm = "auto";  // does the target kernel run BPF LSM: auto (this one), yes, no
};

// `action deny` on exec and file events needs a BPF LSM program (vigil has
// them for exec and file.open) and a kernel that runs them. Without both, an
// enforcing agent would refuse the policy: say so now, at the rule.
void check_lsm_deny(FrontEndResult& result, const std::string& bpf_lsm) {
  if (!result.policy) return;
  std::optional<runtime::LsmSupport> lsm;
  auto usable = [&] {
    if (bpf_lsm != "auto") return bpf_lsm == "yes";
    if (!lsm) lsm = runtime::probe_bpf_lsm();
    return lsm->kernel_has_bpf_lsm;
  };
  for (const ir::Rule& rule : result.policy->rules) {
    // Not a deny that needs BPF LSM even where it is usable: no need to probe.
    if (!runtime::lsm_deny_problem(rule, false)) continue;
    std::optional<runtime::LsmDenyProblem> found = runtime::lsm_deny_problem(rule, usable());
    if (!found) continue;
    std::string problem;
    if (!found->unsupported_events.empty())
      problem = "`action deny` on " + found->unsupported_events +
                " needs a BPF LSM program this version of vigil does not have (it denies exec "
                "and file.open)";
    else if (bpf_lsm == "no")
      problem =
          "`action deny` on this event needs BPF LSM, which --bpf-lsm no says the target "
          "kernel lacks";
    else
      problem = "`action deny` on this event needs BPF LSM, and on this machine " + lsm->why;
    Diagnostic& error = result.diagnostics.error("deny-needs-bpf-lsm", rule.action_range, problem);
    error.hint =
        "add `fallback kill` to kill the process where the call cannot be denied, or `mode "
        "audit` to only report";
    if (found->unsupported_events.empty())
      *error.hint += "; check with --bpf-lsm yes if the hosts that run it have BPF LSM";
  }
  if (result.diagnostics.has_errors()) result.policy.reset();
}

int run_check(const CheckOptions& options) {
  FrontEndResult result = run_front_end(options.paths);
  for (const std::string& error : result.io_errors) std::cerr << "vigil: error: " << error << "\n";
  if (!result.io_errors.empty()) return kExitUsageOrIo;
  const bool analysed = result.policy.has_value();
  const size_t rules = analysed ? result.policy->rules.size() : 0;
  check_lsm_deny(result, options.bpf_lsm);

  std::vector<Diagnostic> diagnostics = result.diagnostics.sorted(result.sources);
  std::string rendered;
  if (options.format == "json") {
    rendered = render_json(diagnostics, result.sources);
  } else if (options.format == "sarif") {
    rendered = render_sarif(diagnostics, result.sources, std::string(kVersion));
  } else {
    bool color = options.color || (!options.no_color && options.output.empty() && isatty(2));
    rendered = render_text(diagnostics, result.sources, {.color = color});
  }

  if (!options.output.empty()) {
    std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
    if (!(out << rendered) || !out.flush()) {
      std::cerr << "vigil: error: cannot write " << options.output << "\n";
      return kExitUsageOrIo;
    }
  } else if (options.format == "text") {
    std::cerr << rendered;
  } else {
    std::cout << rendered;
  }

  size_t errors = result.diagnostics.error_count();
  size_t warnings = result.diagnostics.warning_count();
  if (options.format == "text") {
    std::cerr << "checked " << result.sources.size() << " file"
              << (result.sources.size() == 1 ? "" : "s");
    if (analysed) std::cerr << ", " << rules << " rule" << (rules == 1 ? "" : "s");
    std::cerr << ": " << errors << " error" << (errors == 1 ? "" : "s") << ", " << warnings
              << " warning" << (warnings == 1 ? "" : "s") << "\n";
  }
  if (errors > 0 || (options.warnings_as_errors && warnings > 0)) return kExitPolicyProblem;
  return kExitOk;
}

}  // namespace

Command register_check(CLI::App& app) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command =
      app.add_subcommand("check", "Parse and type-check policies; report every problem");
  command->add_option("paths", options->paths, "Policy files or directories")->required();
  command->add_option("--format", options->format, "Output format")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  command->add_option("-o,--output", options->output, "Write the report to a file");
  command->add_flag("--warnings-as-errors", options->warnings_as_errors,
                    "Exit 1 when there are warnings");
  command
      ->add_option("--bpf-lsm", options->bpf_lsm,
                   "Whether the kernels that run the policy have BPF LSM (for `action deny` on "
                   "exec and file events): auto (probe this machine), yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}));
  command->add_flag("--color", options->color, "Colour text output");
  command->add_flag("--no-color", options->no_color, "Never colour text output");
  return {command, [options] { return run_check(*options); }};
}

}  // namespace vigil::cli
