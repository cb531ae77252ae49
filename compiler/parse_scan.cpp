#include "compiler/parse_scan.h"

#include <array>

namespace vigil {
namespace {

// Must match grammar::reserved_word.
constexpr std::array<std::string_view, 34> kReservedWords = {
    "rule",     "list",     "macro",     "extend",  "disable", "on",      "when",
    "except",   "severity", "tags",      "output",  "action",  "enabled", "description",
    "mode",     "fallback", "threshold", "within",  "by",      "rearm",   "dedup",
    "sequence", "then",     "and",       "or",      "not",     "in",      "startswith",
    "endswith", "contains", "glob",      "matches", "true",    "false"};

constexpr std::array<std::string_view, 5> kDeclarationKeywords = {"rule", "list", "macro", "extend",
                                                                  "disable"};

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_identifier_char(char c) {
  return is_ascii_alpha(c) || is_ascii_digit(c) || c == '_';
}
bool is_literal_char(char c) {
  return is_identifier_char(c) || c == '.' || c == ':';
}
bool is_blank_byte(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0';
}

std::string hex_byte(unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[byte >> 4] + kHex[byte & 15];
}

// Token text made safe for a message: valid UTF-8, no control characters,
// and not too long to read.
std::string printable(std::string_view text) {
  constexpr size_t kMaxCodePoints = 40;
  std::string out;
  size_t code_points = 0;
  for (uint32_t i = 0; i < text.size();) {
    if (code_points == kMaxCodePoints) {
      out += "\u2026";
      break;
    }
    auto byte = static_cast<unsigned char>(text[i]);
    unsigned length = valid_utf8_length(text, i);
    if (length == 0 || byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += hex_byte(byte).substr(2);
      i += 1;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
    ++code_points;
  }
  return out;
}

bool keyword_at(std::string_view text, uint32_t pos) {
  for (std::string_view keyword : kDeclarationKeywords) {
    if (text.substr(pos, keyword.size()) != keyword) continue;
    size_t after = pos + keyword.size();
    if (after == text.size() || !is_identifier_char(text[after])) return true;
  }
  return false;
}

}  // namespace

unsigned valid_utf8_length(std::string_view text, uint32_t pos) {
  auto at = [&](size_t i) -> unsigned {
    return i < text.size() ? static_cast<unsigned char>(text[i]) : 0x100;
  };
  auto continuation = [&](size_t i, unsigned low = 0x80, unsigned high = 0xBF) {
    unsigned byte = at(i);
    return byte >= low && byte <= high;
  };
  unsigned lead = at(pos);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(pos + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    unsigned low = lead == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
    unsigned high = lead == 0xED ? 0x9F : 0xBF;  // no surrogates
    return continuation(pos + 1, low, high) && continuation(pos + 2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    unsigned low = lead == 0xF0 ? 0x90 : 0x80;   // no overlong forms
    unsigned high = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
    return continuation(pos + 1, low, high) && continuation(pos + 2) && continuation(pos + 3) ? 4
                                                                                              : 0;
  }
  return 0;
}

PrescanResult prescan(std::string_view text, FileId file) {
  PrescanResult result;
  const auto size = static_cast<uint32_t>(text.size());
  for (uint32_t i = 0; i < size;) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0 && !result.first_nul) result.first_nul = i;
    if (byte < 0x80) {
      ++i;
      continue;
    }
    unsigned length = valid_utf8_length(text, i);
    if (length == 0) {
      if (!result.first_invalid_utf8) result.first_invalid_utf8 = i;
      length = 1;
    }
    i += length;
  }
  // Comments, skipping over strings exactly as the grammar delimits them.
  for (uint32_t i = 0; i < size;) {
    char c = text[i];
    if (c == '#') {
      size_t newline = text.find('\n', i);
      uint32_t next = newline == std::string_view::npos ? size : static_cast<uint32_t>(newline);
      uint32_t end = next;
      if (newline != std::string_view::npos && end > i && text[end - 1] == '\r') --end;
      result.comments.push_back(
          ast::Comment{SourceRange{file, i, end}, std::string(text.substr(i, end - i))});
      i = next;
    } else if (c == '"') {
      ++i;
      while (i < size && text[i] != '\n' && text[i] != '"') {
        i += (text[i] == '\\' && i + 1 < size && text[i + 1] != '\n') ? 2 : 1;
      }
      if (i < size && text[i] == '"') ++i;
    } else {
      ++i;
    }
  }
  return result;
}

uint32_t skip_blank(std::string_view text, uint32_t pos) {
  const auto size = static_cast<uint32_t>(text.size());
  while (pos < size) {
    if (is_blank_byte(text[pos])) {
      ++pos;
    } else if (text[pos] == '#') {
      size_t newline = text.find('\n', pos);
      pos = newline == std::string_view::npos ? size : static_cast<uint32_t>(newline);
    } else {
      break;
    }
  }
  return pos;
}

uint32_t end_of_content(std::string_view text) {
  auto end = static_cast<uint32_t>(text.size());
  while (end > 0 && is_blank_byte(text[end - 1])) --end;
  return end;
}

uint32_t line_content_end(std::string_view text, uint32_t pos) {
  size_t newline = text.find('\n', pos);
  if (newline == std::string_view::npos) return static_cast<uint32_t>(text.size());
  auto end = static_cast<uint32_t>(newline);
  if (end > pos && text[end - 1] == '\r') --end;
  return end;
}

FoundToken describe_token(std::string_view text, uint32_t pos) {
  const auto size = static_cast<uint32_t>(text.size());
  FoundToken token;
  token.begin = pos;
  if (pos >= size) {
    token.begin = token.end = size;
    token.description = "the end of the file";
    token.at_end = true;
    return token;
  }
  auto byte = static_cast<unsigned char>(text[pos]);
  char c = text[pos];
  uint32_t end = pos + 1;
  auto next_is = [&](char expected) { return pos + 1 < size && text[pos + 1] == expected; };
  if (c == '"') {
    while (end < size && text[end] != '\n' && text[end] != '"') {
      end += (text[end] == '\\' && end + 1 < size && text[end + 1] != '\n') ? 2 : 1;
    }
    if (end < size && text[end] == '"') {
      ++end;
    } else if (end > pos + 1 && text[end - 1] == '\r') {
      --end;
    }
  } else if (is_ascii_alpha(c) || c == '_') {
    while (end < size && (is_identifier_char(text[end]) || text[end] == '.')) ++end;
    if (end < size && text[end] == ':') {  // an IPv6 address such as fe80::1
      while (end < size && (is_literal_char(text[end]) || text[end] == '/')) ++end;
    }
  } else if (is_ascii_digit(c) || c == ':' ||
             (c == '-' && pos + 1 < size && is_ascii_digit(text[pos + 1]))) {
    while (end < size && (is_literal_char(text[end]) || text[end] == '/')) ++end;
  } else if ((c == '=' || c == '!' || c == '<' || c == '>') && next_is('=')) {
    end = pos + 2;
  } else if (byte < 0x20 || byte == 0x7f) {
    token.end = end;
    token.text = std::string(1, c);
    token.description = "a control character (" + hex_byte(byte) + ")";
    return token;
  } else if (byte >= 0x80) {
    unsigned length = valid_utf8_length(text, pos);
    if (length == 0) {
      token.end = end;
      token.text = std::string(1, c);
      token.description = "an invalid UTF-8 byte (" + hex_byte(byte) + ")";
      return token;
    }
    end = pos + length;
  }
  token.end = end;
  token.text = std::string(text.substr(pos, end - pos));
  token.description = "`" + printable(token.text) + "`";
  return token;
}

bool is_reserved_word(std::string_view word) {
  for (std::string_view reserved : kReservedWords) {
    if (word == reserved) return true;
  }
  return false;
}

bool is_declaration_keyword(std::string_view word) {
  for (std::string_view keyword : kDeclarationKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

uint32_t find_recovery_point(std::string_view text, uint32_t from) {
  const auto size = static_cast<uint32_t>(text.size());
  if (from >= size) return size;
  auto is_indent = [](char c) { return c == ' ' || c == '\t' || c == '\0'; };
  uint32_t line_start = from;
  while (line_start > 0 && is_indent(text[line_start - 1])) --line_start;
  if ((line_start == 0 || text[line_start - 1] == '\n') && keyword_at(text, from)) return from;
  uint32_t pos = from;
  while (true) {
    size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) return size;
    pos = static_cast<uint32_t>(newline) + 1;
    while (pos < size && (is_indent(text[pos]) || text[pos] == '\r')) ++pos;
    if (keyword_at(text, pos)) return pos;
  }
}

}  // namespace vigil
