// Output templates: `output "shell {process.exe} started"`. `{field}`
// interpolates a field; `{{` and `}}` are literal braces; any other brace is
// an error. Errors point at the offending characters inside the string.
#pragma once

#include <utility>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace vigil {

struct OutputTemplate {
  std::vector<ir::OutputSegment> segments;
  std::vector<std::pair<FieldId, SourceRange>> fields;  // each interpolation, in order
  bool valid = true;
};

// `text` is the String literal of an `output` clause.
OutputTemplate parse_output_template(const ast::Expr& text, Diagnostics& diagnostics);

// The source range of bytes [begin, end) of a string literal's decoded
// value, accounting for the opening quote and escapes; the whole literal if
// that cannot be worked out.
SourceRange string_value_range(const ast::Expr& literal, size_t begin, size_t end);

}  // namespace vigil
