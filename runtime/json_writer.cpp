#include "runtime/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "runtime/utf8.h"

namespace vigil::runtime {

namespace {

// Bytes written as they are: printable ASCII but the quote and backslash.
constexpr std::array<bool, 256> kVerbatim = [] {
  std::array<bool, 256> verbatim{};
  for (int c = 0x20; c < 0x7f; ++c) verbatim[c] = c != '"' && c != '\\';
  return verbatim;
}();

// Whether any of the 8 bytes in `word` is not verbatim. Exact for the word
// as a whole: the lowest such byte always shows; a borrow can only mark
// bytes above it.
constexpr bool has_escaped_byte(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHighBits = 0x8080808080808080;
  const auto has_zero_byte = [](uint64_t v) { return ((v - kOnes) & ~v & kHighBits) != 0; };
  const bool has_control = ((word - kOnes * 0x20) & ~word & kHighBits) != 0;  // a byte < 0x20
  return has_control || (word & kHighBits) != 0 || has_zero_byte(word ^ (kOnes * '"')) ||
         has_zero_byte(word ^ (kOnes * '\\')) || has_zero_byte(word ^ (kOnes * 0x7f));
}

constexpr char kHexDigits[] = "0123456789abcdef";

// \uXXXX for one UTF-16 code unit.
char* write_u_escape(char* out, uint32_t unit) {
  out[0] = '\\';
  out[1] = 'u';
  out[2] = kHexDigits[(unit >> 12) & 15];
  out[3] = kHexDigits[(unit >> 8) & 15];
  out[4] = kHexDigits[(unit >> 4) & 15];
  out[5] = kHexDigits[unit & 15];
  return out + 6;
}

char* write_code_point(char* out, uint32_t code_point) {
  if (code_point <= 0xffff) return write_u_escape(out, code_point);
  out = write_u_escape(out, 0xd7c0 + (code_point >> 10));     // high surrogate
  return write_u_escape(out, 0xdc00 + (code_point & 0x3ff));  // low surrogate
}

char* write_ascii_escape(char* out, unsigned char c) {
  char named = 0;
  switch (c) {
    case '"': named = '"'; break;
    case '\\': named = '\\'; break;
    case '\b': named = 'b'; break;
    case '\f': named = 'f'; break;
    case '\n': named = 'n'; break;
    case '\r': named = 'r'; break;
    case '\t': named = 't'; break;
    default: return write_u_escape(out, c);  // other controls and DEL
  }
  out[0] = '\\';
  out[1] = named;
  return out + 2;
}

constexpr uint32_t kReplacementCharacter = 0xfffd;

// Escapes the UTF-8 sequence starting at `text[0]` (a non-ASCII byte) and
// sets `length` to how many bytes it took. A broken sequence becomes one
// U+FFFD covering the bytes before the one that broke it, which the caller
// then reads as the start of what follows: nlohmann's error_handler_t::replace.
// At most 6 bytes out per byte taken.
char* write_non_ascii(char* out, const unsigned char* text, size_t size, size_t& length) {
  const Utf8Sequence sequence = decode_utf8(text, size);
  length = sequence.length;
  return write_code_point(out, sequence.valid ? sequence.code_point : kReplacementCharacter);
}

}  // namespace

char* write_json_string(char* out, std::string_view text) {
  const auto* next = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = next + text.size();
  *out++ = '"';
  while (true) {
    // Plain text a word at a time, then byte by byte up to what needs escaping.
    while (end - next >= 8) {
      uint64_t word;
      std::memcpy(&word, next, sizeof word);
      if (has_escaped_byte(word)) break;
      std::memcpy(out, next, sizeof word);
      out += sizeof word;
      next += sizeof word;
    }
    while (next != end && kVerbatim[*next]) *out++ = static_cast<char>(*next++);
    if (next == end) break;
    if (*next < 0x80) {
      out = write_ascii_escape(out, *next);
      ++next;
    } else {
      size_t length = 0;
      out = write_non_ascii(out, next, static_cast<size_t>(end - next), length);
      next += length;
    }
  }
  *out++ = '"';
  return out;
}

char* write_json_integer(char* out, int64_t value) {
  return std::to_chars(out, out + kJsonIntegerBound, value).ptr;
}

char* write_json_integer(char* out, uint64_t value) {
  return std::to_chars(out, out + kJsonIntegerBound, value).ptr;
}

void append_json_string(std::string& out, std::string_view text) {
  const size_t start = out.size();
  out.resize(start + json_string_bound(text.size()));
  const char* end = write_json_string(out.data() + start, text);
  out.resize(static_cast<size_t>(end - out.data()));
}

void JsonWriter::grow(size_t bytes) {
  buffer_.resize(std::max(buffer_.size() * 2, size_ + bytes));
}

}  // namespace vigil::runtime
