#include "compiler/ast.h"

namespace vigil::ast {

std::string_view clause_keyword(ClauseKind kind) {
  switch (kind) {
    case ClauseKind::On: return "on";
    case ClauseKind::When: return "when";
    case ClauseKind::Except: return "except";
    case ClauseKind::Severity: return "severity";
    case ClauseKind::Tags: return "tags";
    case ClauseKind::Output: return "output";
    case ClauseKind::Action: return "action";
    case ClauseKind::Enabled: return "enabled";
    case ClauseKind::Description: return "description";
  }
  return "clause";
}

}  // namespace vigil::ast
