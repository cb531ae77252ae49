// The typing rules of comparisons, as small questions the type checker asks:
// which operators a field type supports, which literals may stand on the
// right of which operator, and how to explain a mismatch. There are no
// implicit conversions; an int literal compared with a port field is a port
// and must lie in 0-65535.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/ast.h"
#include "compiler/schema.h"

namespace vigil {

bool is_ordering(CompareOp op);        // < <= > >=
bool is_equality(CompareOp op);        // == !=
bool is_membership(CompareOp op);      // in, not in
bool is_substring_test(CompareOp op);  // startswith endswith contains
bool is_pattern_test(CompareOp op);    // glob matches

// Field types the ordering operators accept.
bool is_orderable(Type type);

// A literal of `kind` may be compared with a field of `type` by `op`
// (addresses and networks may follow `in` for an ip field).
bool literal_fits(Type type, ast::LiteralKind kind, CompareOp op);

// For a port field: the literal's value is a valid port.
bool port_in_range(const ast::Expr& literal);

// A suggestion for a literal that does not fit, e.g. "remove the quotes: `1`".
std::optional<std::string> literal_mismatch_hint(const FieldInfo& field, const ast::Expr& literal,
                                                 CompareOp op);

// The operator as seen from the other side, for `1 < x` -> `x > 1`.
CompareOp mirrored(CompareOp op);

// How a literal is shown in messages: its source spelling.
std::string literal_text(const ast::Expr& literal);

}  // namespace vigil
