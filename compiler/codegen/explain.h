// `vigil explain`: for each rule, which parts the kernel decides (and how:
// string automaton or generated code) and which user space completes.
#pragma once

#include <string>

#include "compiler/codegen/plan.h"
#include "compiler/source.h"

namespace vigil::codegen {

// Every rule when `rule_name` is empty; otherwise only that rule (returns an
// empty string if there is no such enabled rule).
std::string explain_plan(const PolicyPlan& plan, const SourceManager& sources,
                         const std::string& rule_name = "");

}  // namespace vigil::codegen
