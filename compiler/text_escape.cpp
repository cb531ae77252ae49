#include "compiler/text_escape.h"

namespace vigil {

void append_control_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

std::string escape_control_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_control_escaped(out, text);
  return out;
}

}  // namespace vigil
