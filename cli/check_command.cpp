// `vigil check`: parse and type-check a policy set, report every problem.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "compiler/diagnostic_render.h"
#include "compiler/frontend.h"
#include "compiler/version.h"

namespace vigil::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string output;
  bool warnings_as_errors = false;
  bool color = false;
  bool no_color = false;
};

int run_check(const CheckOptions& options) {
  FrontEndResult result = run_front_end(options.paths);
  for (const std::string& error : result.io_errors) std::cerr << "vigil: error: " << error << "\n";
  if (!result.io_errors.empty()) return kExitUsageOrIo;

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
    size_t rules = result.policy ? result.policy->rules.size() : 0;
    std::cerr << "checked " << result.sources.size() << " file"
              << (result.sources.size() == 1 ? "" : "s");
    if (result.policy) std::cerr << ", " << rules << " rule" << (rules == 1 ? "" : "s");
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
  command->add_flag("--color", options->color, "Colour text output");
  command->add_flag("--no-color", options->no_color, "Never colour text output");
  return {command, [options] { return run_check(*options); }};
}

}  // namespace vigil::cli
