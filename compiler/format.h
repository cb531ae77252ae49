// `vigil fmt`: prints a parsed file in the one canonical layout. Idempotent
// (format(parse(format(x))) == format(x)) and keeps every comment.
#pragma once

#include <string>

#include "compiler/ast.h"
#include "compiler/source.h"

namespace vigil {

std::string format_file(const SourceFile& source, const ast::File& file);

}  // namespace vigil
