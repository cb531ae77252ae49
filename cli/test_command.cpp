// `vigil test`: run policy test files against a policy set, in user space.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "compiler/diagnostic_render.h"
#include "compiler/frontend.h"
#include "compiler/policy_test.h"

namespace vigil::cli {
namespace {

struct TestOptions {
  std::vector<std::string> paths;
  bool verbose = false;
};

int run_test(const TestOptions& options) {
  std::vector<std::string> paths =
      options.paths.empty() ? std::vector<std::string>{"."} : options.paths;
  FrontEndResult result = run_front_end(paths);
  for (const std::string& error : result.io_errors) std::cerr << "vigil: error: " << error << "\n";
  if (!result.io_errors.empty()) return kExitUsageOrIo;
  if (!result.policy) {
    std::cerr << render_text(result.diagnostics.sorted(result.sources), result.sources,
                             {.color = isatty(2) != 0});
    std::cerr << "vigil test: the policies have errors; no test was run\n";
    return kExitPolicyProblem;
  }
  std::vector<std::string> test_files = find_policy_test_files(paths);
  if (test_files.empty()) {
    std::cerr << "vigil test: no *.test.yaml files found\n";
    return kExitPolicyProblem;
  }
  PolicyTestSummary summary =
      run_policy_tests(*result.policy, result.sources, test_files, std::cout, options.verbose);
  return summary.failed == 0 && summary.errors == 0 ? kExitOk : kExitPolicyProblem;
}

}  // namespace

Command register_test(CLI::App& app) {
  auto options = std::make_shared<TestOptions>();
  CLI::App* command =
      app.add_subcommand("test", "Run policy tests (*.test.yaml) with the reference evaluator");
  command->add_option("paths", options->paths,
                      "Directories or files holding policies and their tests (default: .)");
  command->add_flag("-v,--verbose", options->verbose, "Explain passing cases too");
  return {command, [options] { return run_test(*options); }};
}

}  // namespace vigil::cli
