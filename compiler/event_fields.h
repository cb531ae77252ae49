// Pass 6 of analysis: every field a rule reads in `when`, `except` or its
// output template, and every key field of `threshold`, must exist on every
// event the rule applies to. For a sequence: the fields of a step's `when`
// on every event of that step, key fields and `except` fields on every event
// of every step, output fields on every event of the last step. A field
// reached through a macro is reported at the macro's use in the rule, with
// a note at the field inside the macro.
#pragma once

#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/rule_clauses.h"
#include "compiler/typecheck.h"

namespace vigil {

void check_event_fields(const std::vector<RuleOutline>& rules, const CheckedConditions& conditions,
                        Diagnostics& diagnostics);

}  // namespace vigil
