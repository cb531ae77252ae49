#include "compiler/output_template.h"

#include <string>

#include "compiler/suggest.h"

namespace vigil {
namespace {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The source offset (relative to the literal) of each decoded byte, plus one
// past the end; empty if the spelling does not decode to `size` bytes.
std::vector<uint32_t> decoded_offsets(const std::string& spelling, size_t size) {
  std::vector<uint32_t> offsets;
  if (spelling.size() < 2 || spelling.front() != '"') return offsets;
  offsets.reserve(size + 1);
  size_t i = 1;
  const size_t end = spelling.size() - 1;  // the closing quote
  while (i < end) {
    offsets.push_back(static_cast<uint32_t>(i));
    if (spelling[i] != '\\') {
      ++i;
    } else if (i + 1 < end && spelling[i + 1] == 'x') {
      i += (i + 3 < end && is_hex_digit(spelling[i + 2]) && is_hex_digit(spelling[i + 3])) ? 4 : 2;
    } else {
      i += 2;
    }
  }
  offsets.push_back(static_cast<uint32_t>(end));
  if (offsets.size() != size + 1) offsets.clear();
  return offsets;
}

std::vector<std::string_view> field_names() {
  std::vector<std::string_view> names;
  for (const FieldInfo& field : all_fields()) names.push_back(field.name);
  return names;
}

}  // namespace

SourceRange string_value_range(const ast::Expr& literal, size_t begin, size_t end) {
  const std::string* value = std::get_if<std::string>(&literal.value);
  if (value == nullptr || begin > end || end > value->size()) return literal.range;
  const uint32_t literal_size = literal.range.end - literal.range.begin;
  if (literal.spelling.size() != literal_size) return literal.range;
  std::vector<uint32_t> offsets = decoded_offsets(literal.spelling, value->size());
  if (offsets.empty()) return literal.range;
  return SourceRange{literal.range.file, literal.range.begin + offsets[begin],
                     literal.range.begin + offsets[end]};
}

OutputTemplate parse_output_template(const ast::Expr& text, Diagnostics& diagnostics) {
  OutputTemplate out;
  const std::string* value = std::get_if<std::string>(&text.value);
  if (value == nullptr) {
    out.valid = false;
    return out;
  }
  const std::string& s = *value;
  std::string pending;
  auto flush = [&] {
    if (pending.empty()) return;
    out.segments.push_back({std::move(pending), std::nullopt});
    pending.clear();
  };
  auto fail = [&](size_t begin, size_t end, std::string message, std::string hint) {
    Diagnostic& error = diagnostics.error("invalid-template", string_value_range(text, begin, end),
                                          std::move(message));
    error.hint = std::move(hint);
    out.valid = false;
  };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '}') {
      if (i + 1 < s.size() && s[i + 1] == '}') {
        pending += '}';
        i += 2;
        continue;
      }
      fail(i, i + 1, "unmatched `}` in output template", "write `}}` for a literal `}`");
      ++i;
      continue;
    }
    if (c != '{') {
      pending += c;
      ++i;
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '{') {
      pending += '{';
      i += 2;
      continue;
    }
    const size_t close = s.find('}', i + 1);
    const size_t next_open = s.find('{', i + 1);
    if (close == std::string::npos || next_open < close) {
      fail(i, i + 1, "unclosed `{` in output template",
           "write `{{` for a literal `{`, or close the field: `{process.exe}`");
      ++i;
      continue;
    }
    const std::string name = s.substr(i + 1, close - i - 1);
    if (name.empty()) {
      fail(i, close + 1, "empty `{}` in output template",
           "put a field name inside, e.g. `{process.exe}`, or write `{{}}` for literal braces");
    } else if (auto field = find_field(name)) {
      flush();
      out.segments.push_back({std::string(), *field});
      out.fields.emplace_back(*field, string_value_range(text, i + 1, close));
    } else {
      Diagnostic& error = diagnostics.error("unknown-field", string_value_range(text, i + 1, close),
                                            "unknown field `" + name + "` in output template");
      const std::vector<std::string_view> names = field_names();
      if (auto suggestion = closest_name(name, names)) error.hint = did_you_mean(*suggestion);
      out.valid = false;
    }
    i = close + 1;
  }
  flush();
  return out;
}

}  // namespace vigil
