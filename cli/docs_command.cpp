// `vigil docs`: print reference documentation generated from the schema.
#include <iostream>

#include "cli/commands.h"
#include "compiler/reference_docs.h"

namespace vigil::cli {

Command register_docs(CLI::App& app) {
  auto topic = std::make_shared<std::string>("fields");
  CLI::App* command = app.add_subcommand("docs", "Print generated reference documentation");
  command->add_option("topic", *topic, "What to print")->check(CLI::IsMember({"fields"}));
  // The option writes into *topic while parsing, so the runner keeps it alive.
  return {command, [topic] {
            std::cout << generate_field_reference();
            return kExitOk;
          }};
}

}  // namespace vigil::cli
