#include "compiler/codegen/c_text.h"

#include <fmt/format.h>

#include <limits>

namespace vigil::codegen {

std::string c_comment_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool printable = c >= 0x20 && c < 0x7f && c != '\\';
    bool closes_comment = c == '*' && i + 1 < text.size() && text[i + 1] == '/';
    bool opens_comment = c == '/' && i + 1 < text.size() && text[i + 1] == '*';
    out += printable && !closes_comment && !opens_comment ? static_cast<char>(c) : '?';
  }
  return out;
}

std::string c_int64(int64_t value) {
  if (value == std::numeric_limits<int64_t>::min()) return "(-9223372036854775807LL - 1)";
  return fmt::format("{}LL", value);
}

std::string c_uint64(uint64_t value) {
  return fmt::format("0x{:x}ULL", value);
}

}  // namespace vigil::codegen
