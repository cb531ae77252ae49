// Pass 5 of analysis: the clauses of each rule, with its extensions applied.
//
// Checks that `on` is present and names known events, that each clause
// appears at most once (except `except`), that severities, actions and
// `enabled` values are valid, that the action is possible on every event of
// the rule, that tags are well formed and output templates parse, and that
// `extend rule` only uses the clauses it may. Then applies `extend rule`
// and `disable rule` in file-path order: `except` and `tags` add, `severity`,
// `action`, `output` and `enabled` replace.
#pragma once

#include <utility>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/symbols.h"

namespace vigil {

// A rule with everything settled except its conditions.
struct RuleOutline {
  const RuleSymbol* symbol = nullptr;
  ir::Rule rule;  // `when` and `excepts` are left for lowering
  const ast::Expr* when = nullptr;
  std::vector<const ast::Expr*> excepts;  // the rule's, then each extension's
  // Fields interpolated by the effective output template.
  std::vector<std::pair<FieldId, SourceRange>> output_fields;
};

std::vector<RuleOutline> check_rule_clauses(const SymbolTable& symbols, Diagnostics& diagnostics);

}  // namespace vigil
