// Byte-level scanning helpers shared by the parser and the formatter: the
// pre-scan (comments, encoding problems), whitespace skipping, describing the
// token at an error position, and finding where to resume after an error.
// These work on raw bytes and never fail, whatever the input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"

namespace vigil {

struct PrescanResult {
  std::vector<ast::Comment> comments;          // in source order
  std::optional<uint32_t> first_invalid_utf8;  // offset of the first bad byte
  std::optional<uint32_t> first_nul;           // offset of the first NUL byte
};

// One pass over the file: every `#` comment outside a string, and the first
// invalid UTF-8 sequence and NUL byte anywhere.
PrescanResult prescan(std::string_view text, FileId file);

// The length of the UTF-8 sequence at `pos`, or 0 if it is not valid UTF-8.
unsigned valid_utf8_length(std::string_view text, uint32_t pos);

// Skips whitespace (including NUL bytes, which are reported separately) and
// comments from `pos`; returns the offset of the next token or text.size().
uint32_t skip_blank(std::string_view text, uint32_t pos);

// The offset just after the last byte that is not whitespace.
uint32_t end_of_content(std::string_view text);

// The end of the line containing `pos`, before any "\r\n" or "\n".
uint32_t line_content_end(std::string_view text, uint32_t pos);

// The token at `pos` (which must be at a token, e.g. after skip_blank), as an
// error message names it: "`foo`", "the end of the file", "a NUL byte".
struct FoundToken {
  uint32_t begin = 0;
  uint32_t end = 0;
  std::string text;         // the token's source text (empty at the end of the file)
  std::string description;  // for messages
  bool at_end = false;
};
FoundToken describe_token(std::string_view text, uint32_t pos);

bool is_reserved_word(std::string_view word);
bool is_declaration_keyword(std::string_view word);

// Where parsing resumes after a syntax error at `from`: the next line (or
// `from`'s own line, if `from` is its first token) that starts with a
// declaration keyword. Strings and comments never span lines, so a line start
// is never inside one. Returns text.size() if there is none.
uint32_t find_recovery_point(std::string_view text, uint32_t from);

}  // namespace vigil
