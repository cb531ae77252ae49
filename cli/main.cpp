// vigil: policy-as-code runtime security for Linux. One binary, subcommands.
#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "compiler/version.h"

int main(int argc, char** argv) {
  CLI::App app{"vigil — policy-as-code runtime security for Linux", "vigil"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(vigil::kVersion));

  const std::vector<vigil::cli::Command> commands = {
      vigil::cli::register_check(app),   vigil::cli::register_fmt(app),
      vigil::cli::register_test(app),    vigil::cli::register_docs(app),
      vigil::cli::register_compile(app), vigil::cli::register_explain(app),
      vigil::cli::register_verify(app),  vigil::cli::register_run(app),
      vigil::cli::register_status(app),  vigil::cli::register_coverage(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? vigil::cli::kExitOk : vigil::cli::kExitUsageOrIo;
  }
  for (const vigil::cli::Command& command : commands)
    if (command.app->parsed()) return command.run();
  return vigil::cli::kExitUsageOrIo;
}
