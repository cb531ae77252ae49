// Pass 7 of analysis: warnings about policies that are valid but probably
// not what the author meant.
//
//   unused-list, unused-macro   a list or macro nothing refers to
//   constant-condition          a `when` or `except` that is the same for every event
//   user-space-evaluation       `matches` or a user-space-only field: the kernel
//                               cannot decide the rule on its own
//
// and errors that need the same facts: a kill/deny rule or a threshold
// rule that the kernel cannot decide (action-needs-kernel,
// threshold-needs-kernel), and a deny rule with a threshold or sequence
// (stateful-deny).
//   malformed-attack-tag        a tag that looks like a MITRE ATT&CK id but is
//                               not one (`t1059`, `T105`, `T1059.4`)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/rule_clauses.h"
#include "compiler/symbols.h"
#include "compiler/typecheck.h"

namespace vigil {

void lint(const SymbolTable& symbols, const std::vector<RuleOutline>& rules,
          const CheckedConditions& conditions, Diagnostics& diagnostics);

// For a tag that looks like an ATT&CK id but is malformed: what is wrong
// with it and, when it can be guessed, the intended id. Nullopt for valid
// ids and for free tags.
struct AttackTagProblem {
  std::string message;
  std::optional<std::string> fix;
};
std::optional<AttackTagProblem> attack_tag_problem(std::string_view tag);

}  // namespace vigil
