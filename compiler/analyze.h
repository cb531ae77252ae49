// Semantic analysis of a whole policy set: collects declarations from all
// files (names are global), applies `extend` and `disable`, expands macros and
// lists (cycles are errors that print the cycle), type-checks every
// expression against the field and operator tables, validates rules
// (events, actions per event, output templates, tags), reports warnings, and
// lowers everything to the IR. Returns the IR only if there were no errors.
#pragma once

#include <optional>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace vigil {

std::optional<ir::PolicySet> analyze(const SourceManager& sources,
                                     const std::vector<ast::File>& files, Diagnostics& diagnostics);

}  // namespace vigil
