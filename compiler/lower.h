// Pass 8 of analysis (only when there were no errors): lowering to the IR.
//
//   a != b         -> Not(Eq)              x not in L  -> Not(InSet / InNetworks)
//   ip in L        -> InNetworks (an address becomes a /32 or /128 network)
//   x in L         -> InSet, operands sorted and deduplicated
//   startswith L   -> one test with every operand (true if any matches)
//   field == field -> FieldCompare
//   bool_field     -> Eq true (a bool field on its own is a condition)
//   ( e )          -> e;  and / or stay n-ary;  a macro -> its lowered body
//
// Every node's `origin` is the source expression it came from (for a macro,
// inside the macro's body). Macros are lowered once each. Rules come out
// sorted by name, disabled ones included with enabled = false. A sequence
// rule's `when` is True; each step's `when` is lowered into its step (True,
// with the step as origin, for a step without `when`).
#pragma once

#include <vector>

#include "compiler/expand.h"
#include "compiler/ir.h"
#include "compiler/rule_clauses.h"
#include "compiler/symbols.h"
#include "compiler/typecheck.h"

namespace vigil {

ir::PolicySet lower(const SymbolTable& symbols, const Expansion& expansion,
                    const CheckedConditions& conditions, std::vector<RuleOutline> rules);

// The order set operands are kept in: by type, then by value (IPv4 before
// IPv6, a network before its longer prefixes).
bool value_less(const Value& a, const Value& b);

}  // namespace vigil
