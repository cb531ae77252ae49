// Pass 2 of analysis: attach `extend rule`, `disable rule` and `extend list`
// declarations to the rule or list they name, in file-path order (the order
// in which they apply). Naming an unknown rule or list, or a name of another
// kind, is an error.
#pragma once

#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/symbols.h"

namespace vigil {

void attach_extensions(const std::vector<const ast::File*>& files, SymbolTable& symbols,
                       Diagnostics& diagnostics);

}  // namespace vigil
