// Decoding literal tokens into values: strings (escapes) and the shared
// number/duration/address/network token. Problems are returned, not thrown,
// so the parser can report them and carry on with the rest of the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/value.h"

namespace vigil {

struct LiteralProblem {
  std::string code;    // "invalid-escape", "invalid-number", ...
  uint32_t begin = 0;  // byte offsets relative to the start of the literal's spelling
  uint32_t end = 0;
  std::string message;
  std::optional<std::string> hint;
};

struct DecodedString {
  std::string value;
  bool has_escapes = false;
  std::vector<LiteralProblem> problems;
};

// `spelling` is a complete string literal including both quotes. Valid
// escapes: \" \\ \n \t \xHH.
DecodedString decode_string_literal(std::string_view spelling);

struct DecodedNumeric {
  ast::LiteralKind kind = ast::LiteralKind::Int;
  Value value = int64_t{0};  // a zero value of the right kind when there is a problem
  std::optional<LiteralProblem> problem;
};

// An int (42, -1, 0x1f, 0o755), a duration (500ms, 10s, 5m, 1h), an IP
// address (10.0.0.1, ::1) or a network (10.0.0.0/8, fe80::/10).
DecodedNumeric decode_numeric_literal(std::string_view spelling);

}  // namespace vigil
