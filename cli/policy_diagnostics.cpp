#include "cli/policy_diagnostics.h"

#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "compiler/diagnostic_render.h"

namespace vigil::cli {

int report_front_end(const FrontEndResult& front_end) {
  for (const std::string& error : front_end.io_errors)
    std::cerr << "vigil: error: " << error << "\n";
  if (!front_end.io_errors.empty()) return kExitUsageOrIo;
  std::vector<Diagnostic> diagnostics = front_end.diagnostics.sorted(front_end.sources);
  if (!diagnostics.empty())
    std::cerr << render_text(diagnostics, front_end.sources, {.color = isatty(2) != 0});
  return front_end.policy ? kExitOk : kExitPolicyProblem;
}

}  // namespace vigil::cli
