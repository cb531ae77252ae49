// Parses one policy file into an ast::File. Reports every syntax error it can
// (recovering at the next top-level declaration) into `diagnostics`; the
// declarations that parsed cleanly are returned even when others failed.
// Never throws, never recurses without bound (nesting is limited to
// kMaxNestingDepth), and accepts any bytes: NUL bytes, invalid UTF-8 and CRLF
// line ends are diagnosed or handled, never crash it.
#pragma once

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/source.h"

namespace vigil {

inline constexpr unsigned kMaxNestingDepth = 256;

ast::File parse_file(const SourceManager& sources, FileId file, Diagnostics& diagnostics);

}  // namespace vigil
