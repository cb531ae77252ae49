#include "compiler/operand_rules.h"

#include <charconv>

namespace vigil {

bool is_ordering(CompareOp op) {
  return op == CompareOp::Lt || op == CompareOp::Le || op == CompareOp::Gt || op == CompareOp::Ge;
}
bool is_equality(CompareOp op) {
  return op == CompareOp::Eq || op == CompareOp::Ne;
}
bool is_membership(CompareOp op) {
  return op == CompareOp::In || op == CompareOp::NotIn;
}
bool is_substring_test(CompareOp op) {
  return op == CompareOp::StartsWith || op == CompareOp::EndsWith || op == CompareOp::Contains;
}
bool is_pattern_test(CompareOp op) {
  return op == CompareOp::Glob || op == CompareOp::Matches;
}

bool is_orderable(Type type) {
  return type == Type::Int || type == Type::Port || type == Type::Duration;
}

bool literal_fits(Type type, ast::LiteralKind kind, CompareOp op) {
  using ast::LiteralKind;
  switch (type) {
    case Type::String: return kind == LiteralKind::String;
    case Type::Int:
    case Type::Port: return kind == LiteralKind::Int;
    case Type::Bool: return kind == LiteralKind::Bool;
    case Type::Duration: return kind == LiteralKind::Duration;
    case Type::Ip:
      return kind == LiteralKind::Ip || (kind == LiteralKind::Network && is_membership(op));
    case Type::Cidr: return kind == LiteralKind::Network;
  }
  return false;
}

bool port_in_range(const ast::Expr& literal) {
  const int64_t* value = std::get_if<int64_t>(&literal.value);
  return value != nullptr && *value >= 0 && *value <= 65535;
}

namespace {

bool looks_like_integer(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<std::string> literal_mismatch_hint(const FieldInfo& field, const ast::Expr& literal,
                                                 CompareOp op) {
  using ast::LiteralKind;
  const std::string* text = std::get_if<std::string>(&literal.value);
  switch (field.type) {
    case Type::Int:
    case Type::Port:
      if (text != nullptr && looks_like_integer(*text))
        return "numbers are written without quotes: `" + *text + "`";
      break;
    case Type::String:
      if (literal.literal_kind != LiteralKind::String)
        return "strings are written in double quotes: `\"" + literal.spelling + "\"`";
      break;
    case Type::Ip:
      if (literal.literal_kind == LiteralKind::Network && !is_membership(op))
        return "to test whether an address is inside a network, use `in`: `" +
               std::string(field.name) + " in " + literal.spelling + "`";
      if (text != nullptr && IpAddress::parse(*text))
        return "addresses are written without quotes: `" + *text + "`";
      break;
    case Type::Duration:
      if (literal.literal_kind == LiteralKind::Int)
        return "durations need a unit: `ms`, `s`, `m` or `h`, e.g. `10s`";
      break;
    case Type::Bool:
      if (text != nullptr && (*text == "true" || *text == "false"))
        return "booleans are written without quotes: `" + *text + "`";
      break;
    case Type::Cidr: break;
  }
  return std::nullopt;
}

CompareOp mirrored(CompareOp op) {
  switch (op) {
    case CompareOp::Lt: return CompareOp::Gt;
    case CompareOp::Le: return CompareOp::Ge;
    case CompareOp::Gt: return CompareOp::Lt;
    case CompareOp::Ge: return CompareOp::Le;
    default: return op;
  }
}

std::string literal_text(const ast::Expr& literal) {
  if (!literal.spelling.empty()) return literal.spelling;
  return value_to_string(literal.value);
}

}  // namespace vigil
