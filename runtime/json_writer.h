// A JSON writer that writes straight into one growing buffer, for output
// formed at event rate (the alert forms): no tree, no allocation per token.
// Compact (no spaces) and pure ASCII, escaped exactly as
// nlohmann::json::dump(-1, ' ', /*ensure_ascii=*/true, error_handler_t::replace)
// escapes, so lines it writes are byte for byte what that serialiser wrote:
//   - \" \\ \b \f \n \r \t; other controls and DEL as \u00XX (lowercase hex);
//   - every non-ASCII code point as \uXXXX, beyond U+FFFF as a surrogate pair;
//   - bytes that are not UTF-8 as \ufffd: one per byte that cannot start a
//     sequence, one per broken sequence (the bytes before the one that
//     breaks it, which is then read afresh), one for a sequence cut off by
//     the end of the string. Overlong forms, surrogates and code points past
//     U+10FFFF are not UTF-8.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil::runtime {

// The most bytes write_json_string writes for `size` bytes of text: six
// per byte (\u001b, \ufffd) and the quotes.
constexpr size_t json_string_bound(size_t size) {
  return 6 * size + 2;
}
// The most bytes write_json_integer writes: "-9223372036854775808".
inline constexpr size_t kJsonIntegerBound = 20;

// `text` as a JSON string literal, quotes included, written at `out`, which
// has room for json_string_bound(text.size()) bytes. Returns the end.
char* write_json_string(char* out, std::string_view text);
char* write_json_integer(char* out, int64_t value);
char* write_json_integer(char* out, uint64_t value);

// The same, appended to a string.
void append_json_string(std::string& out, std::string_view text);

// Writes one JSON value, token by token; commas are its business. The
// caller keeps the structure well formed: inside an object every value
// follows a key(), containers are closed in order.
class JsonWriter {
 public:
  // `expected_size`: room to start with, so most values never grow it.
  explicit JsonWriter(size_t expected_size = 1024) { buffer_.resize(expected_size); }

  // What was written; the writer is empty afterwards.
  std::string take() {
    buffer_.resize(size_);
    size_ = 0;
    after_value_ = false;
    return std::move(buffer_);
  }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // An object member's key; the next call writes its value.
  void key(std::string_view name) {
    char* out = room(json_string_bound(name.size()) + 2);
    if (after_value_) *out++ = ',';
    out = write_json_string(out, name);
    *out++ = ':';
    commit(out, false);
  }

  void string(std::string_view text) {
    char* out = room(json_string_bound(text.size()) + 1);
    if (after_value_) *out++ = ',';
    commit(write_json_string(out, text), true);
  }
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  void integer(T value) {
    char* out = room(kJsonIntegerBound + 1);
    if (after_value_) *out++ = ',';
    if constexpr (std::signed_integral<T>)
      out = write_json_integer(out, static_cast<int64_t>(value));
    else
      out = write_json_integer(out, static_cast<uint64_t>(value));
    commit(out, true);
  }
  void boolean(bool value) { literal(value ? std::string_view("true") : "false"); }
  void null() { literal("null"); }

 private:
  // Where the next `bytes` bytes go.
  char* room(size_t bytes) {
    if (buffer_.size() - size_ < bytes) grow(bytes);
    return buffer_.data() + size_;
  }
  void grow(size_t bytes);
  void commit(char* end, bool after_value) {
    size_ = static_cast<size_t>(end - buffer_.data());
    after_value_ = after_value;
  }
  void open(char bracket) {
    char* out = room(2);
    if (after_value_) *out++ = ',';
    *out++ = bracket;
    commit(out, false);
  }
  void close(char bracket) {
    char* out = room(1);
    *out++ = bracket;
    commit(out, true);
  }
  void literal(std::string_view text) {
    char* out = room(text.size() + 1);
    if (after_value_) *out++ = ',';
    std::memcpy(out, text.data(), text.size());
    out += text.size();
    commit(out, true);
  }

  std::string buffer_;  // written up to size_; the rest is room
  size_t size_ = 0;
  bool after_value_ = false;  // the next value or key needs a comma first
};

}  // namespace vigil::runtime
