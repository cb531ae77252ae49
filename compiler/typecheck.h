// Pass 4 of analysis: type-check every condition (macro bodies, the `when`
// and `except` clauses of rules and rule extensions, and the `when` of each
// step of a sequence).
//
// Resolves the names in conditions (a bare name is a macro; a name on the
// right of `in` and friends is a list), checks each comparison against the
// field and operator tables, validates `matches` patterns with RE2, and
// records facts later passes need: the fields each condition reads (to check
// them against the rule's events), whether it needs user space, whether it
// is constant, and its size after macro expansion. Macros are checked once,
// dependencies first, and their facts reused at every use.
//
// Decisions the language spec leaves open:
//  - a literal on the left (`0 == process.uid`) is an error whose hint shows
//    the comparison turned around, rather than being swapped silently;
//  - a bool field on its own is a condition (`when file.write`);
//  - `ip in ADDRESS` is accepted like `ip in ADDRESS/32`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/expand.h"
#include "compiler/symbols.h"
#include "compiler/value.h"

namespace vigil {

// Limits on conditions after macro expansion, so that macros using each
// other many times over cannot exhaust memory or the back ends' stacks.
inline constexpr uint32_t kMaxConditionDepth = 1024;          // IR nesting
inline constexpr uint64_t kMaxConditionSize = 500'000;        // IR nodes + operands
inline constexpr uint64_t kMaxTotalExpandedSize = 4'000'000;  // over the policy set

// Where a condition uses something: the token itself, and when it is inside
// a macro, the use of that macro in the condition at hand.
struct UseSite {
  SourceRange range;               // the token (possibly inside a macro body)
  std::optional<SourceRange> via;  // the macro name in this condition, if any
  std::string_view via_macro;
};

struct FieldUse {
  FieldId field = 0;
  UseSite site;  // the first use
};

// Why a condition cannot be decided in the kernel.
struct UserSpaceUse {
  std::string what;  // "`matches`", "field `user.name`"
  UseSite site;
};

struct ConditionFacts {
  bool valid = true;             // no errors in it or in the macros it uses
  std::optional<bool> constant;  // the same for every event
  std::vector<FieldUse> fields;  // each field once
  std::optional<UserSpaceUse> user_space;
  uint64_t expanded_size = 0;
  uint32_t expanded_depth = 0;
};

// A comparison that type-checked, with what lowering needs.
struct CheckedComparison {
  FieldId field = 0;
  std::optional<FieldId> other_field;  // a comparison of two fields
  // The constants on the right, of the field's type: the literals written
  // in the comparison, then the items of each named list it uses (indices
  // into Expansion::lists). Lists are not copied here, so checking stays
  // linear in the size of the source; lowering expands them.
  std::vector<Value> values;
  std::vector<uint32_t> lists;
  uint64_t operand_count = 0;  // values plus the items of the lists
};

struct CheckedConditions {
  std::vector<ConditionFacts> macros;  // indexed like SymbolTable::macros
  // Keyed by the expression of each `when`/`except` clause of a rule or of
  // an extension attached to a rule, and of each `when` of a sequence step.
  std::unordered_map<const ast::Expr*, ConditionFacts> conditions;
  std::unordered_map<const ast::Expr*, CheckedComparison> comparisons;
};

CheckedConditions typecheck(SymbolTable& symbols, const Expansion& expansion,
                            Diagnostics& diagnostics);

}  // namespace vigil
