// `vigil coverage`: which MITRE ATT&CK techniques the enabled rules of a
// policy set cover, from their tags (docs/coverage.md).
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/policy_diagnostics.h"
#include "compiler/attack/coverage.h"
#include "compiler/attack/coverage_render.h"
#include "compiler/diagnostic_render.h"
#include "compiler/frontend.h"

namespace vigil::cli {
namespace {

struct CoverageOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  std::string output;
};

// The front end's warnings about ATT&CK tags (a malformed id counts for
// nothing here), then coverage's own: the other lint warnings are `vigil
// check`'s business.
void print_tag_warnings(const FrontEndResult& front_end, const attack::Coverage& coverage) {
  Diagnostics warnings;
  for (const Diagnostic& found : front_end.diagnostics.all()) {
    if (found.code != "malformed-attack-tag") continue;
    warnings.warning(found.code, found.range, found.message).hint = found.hint;
  }
  attack::report_unknown_techniques(coverage, warnings);
  std::vector<Diagnostic> sorted = warnings.sorted(front_end.sources);
  if (!sorted.empty())
    std::cerr << render_text(sorted, front_end.sources, {.color = isatty(2) != 0});
}

int write_report(const std::string& report, const std::string& output) {
  if (output.empty()) {
    std::cout << report;
    return kExitOk;
  }
  std::ofstream out(output, std::ios::binary | std::ios::trunc);
  if (!(out << report) || !out.flush()) {
    std::cerr << "vigil: error: cannot write " << output << "\n";
    return kExitUsageOrIo;
  }
  return kExitOk;
}

int run_coverage(const CoverageOptions& options) {
  if (options.format == "catalog") {
    if (!options.paths.empty()) {
      std::cerr << "vigil: error: --format catalog prints the embedded ATT&CK catalog and "
                   "takes no policy paths\n";
      return kExitUsageOrIo;
    }
    return write_report(attack::render_catalog_json(), options.output);
  }
  if (options.paths.empty()) {
    std::cerr << "vigil: error: coverage needs policy files or directories\n";
    return kExitUsageOrIo;
  }
  FrontEndResult front_end = run_front_end(options.paths);
  // Problems: every diagnostic, as `vigil check` prints them.
  if (!front_end.io_errors.empty() || !front_end.policy) return report_front_end(front_end);

  attack::Coverage coverage = attack::build_coverage(*front_end.policy, front_end.files);
  print_tag_warnings(front_end, coverage);
  std::string report;
  if (options.format == "json")
    report = attack::render_coverage_json(coverage, front_end.sources);
  else if (options.format == "markdown")
    report = attack::render_coverage_markdown(coverage);
  else if (options.format == "navigator")
    report = attack::render_coverage_navigator(coverage);
  else
    report = attack::render_coverage_text(coverage);
  return write_report(report, options.output);
}

}  // namespace

Command register_coverage(CLI::App& app) {
  auto options = std::make_shared<CoverageOptions>();
  CLI::App* command = app.add_subcommand(
      "coverage", "Report which MITRE ATT&CK techniques the enabled rules cover (from their tags)");
  command->add_option("paths", options->paths, "Policy files or directories");
  command
      ->add_option("--format", options->format,
                   "text, json, markdown, navigator (an ATT&CK Navigator layer), or catalog (the "
                   "embedded ATT&CK catalog as JSON; no paths)")
      ->check(CLI::IsMember({"text", "json", "markdown", "navigator", "catalog"}));
  command->add_option("-o,--output", options->output, "Write the report to a file");
  return {command, [options] { return run_coverage(*options); }};
}

}  // namespace vigil::cli
