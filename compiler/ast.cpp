#include "compiler/ast.h"

#include <string>

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
    case ClauseKind::Mode: return "mode";
    case ClauseKind::Fallback: return "fallback";
    case ClauseKind::Threshold: return "threshold";
    case ClauseKind::Dedup: return "dedup";
    case ClauseKind::Sequence: return "sequence";
  }
  return "clause";
}

namespace {

std::string structure_string(const Expr& expr) {
  std::string out = "(" + std::to_string(static_cast<int>(expr.kind));
  if (expr.kind == ExprKind::Compare) out += " op" + std::to_string(static_cast<int>(expr.op));
  if (!expr.text.empty()) out += " " + expr.text;
  if (expr.kind == ExprKind::Literal) {
    out += " " + std::to_string(static_cast<int>(expr.literal_kind)) + " " + expr.spelling;
  }
  for (const ExprPtr& child : expr.children) out += " " + structure_string(*child);
  return out + ")";
}

}  // namespace

std::string structure_string(const File& file) {
  std::string out;
  for (const Decl& decl : file.decls) {
    out += "decl " + std::to_string(static_cast<int>(decl.kind)) + " " + decl.name.text + "\n";
    if (decl.body) out += "  body " + structure_string(*decl.body) + "\n";
    for (const Clause& clause : decl.clauses) {
      out += "  clause " + std::to_string(static_cast<int>(clause.kind));
      for (const Identifier& word : clause.words) {
        out += " " + word.text + (word.quoted ? "(quoted)" : "");
      }
      if (clause.expr) out += " " + structure_string(*clause.expr);
      if (clause.text) out += " " + structure_string(*clause.text);
      if (clause.count) out += " count " + structure_string(*clause.count);
      if (clause.window) out += " window " + structure_string(*clause.window);
      if (clause.rearm) out += " rearm " + structure_string(*clause.rearm);
      for (const Identifier& field : clause.by) out += " by " + field.text;
      for (const SequenceStep& step : clause.steps) {
        out += " [";
        for (const Identifier& event : step.events) out += " " + event.text;
        if (step.when) out += " when " + structure_string(*step.when);
        out += " ]";
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace vigil::ast
