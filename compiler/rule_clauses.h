// Pass 5 of analysis: the clauses of each rule, with its extensions applied.
//
// Checks that `on` (or `sequence`) is present and names known events, that
// each clause appears at most once (except `except`), that severities,
// actions, modes, fallbacks and `enabled` values are valid, that the action
// is possible on every event of the rule (for a sequence: of its last step),
// that `mode` and `fallback kill` suit the action and events, that the
// numbers, durations and key fields of `threshold`, `dedup` and `sequence`
// are valid, that tags are well formed and output templates parse, and that
// `extend rule` only uses the clauses it may. Then applies `extend rule` and
// `disable rule` in file-path order: `except` and `tags` add, `severity`,
// `action`, `output`, `enabled`, `mode`, `fallback` and `dedup` replace.
//
// Which events carry the key fields and the fields of each step's condition
// is checked by the next pass (event_fields.h), which knows the conditions.
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
  // The key fields of `threshold` or `sequence`, where they are written.
  std::vector<std::pair<FieldId, SourceRange>> key_fields;
  // A sequence rule (rule.sequence): each step's condition (null without
  // `when`) and where each of its events is named, step by step. Lowering
  // fills rule.sequence->steps[i].when from step_whens[i].
  std::vector<const ast::Expr*> step_whens;
  std::vector<std::vector<std::pair<EventKind, SourceRange>>> step_events;
};

std::vector<RuleOutline> check_rule_clauses(const SymbolTable& symbols, Diagnostics& diagnostics);

}  // namespace vigil
