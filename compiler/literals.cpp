#include "compiler/literals.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>

#include "compiler/parse_scan.h"

namespace vigil {
namespace {

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

LiteralProblem whole_token_problem(std::string_view spelling, std::string code, std::string message,
                                   std::optional<std::string> hint = std::nullopt) {
  return LiteralProblem{std::move(code), 0, static_cast<uint32_t>(spelling.size()),
                        std::move(message), std::move(hint)};
}

std::string quoted(std::string_view text) {
  return "`" + std::string(text) + "`";
}

// The escape character as a message shows it: itself when printable, else its code.
std::string describe_escape(std::string_view spelling, uint32_t pos, uint32_t* length) {
  unsigned utf8_length = valid_utf8_length(spelling, pos);
  auto byte = static_cast<unsigned char>(spelling[pos]);
  if (utf8_length > 1) {
    *length = utf8_length;
    return quoted("\\" + std::string(spelling.substr(pos, utf8_length)));
  }
  *length = 1;
  if (byte >= 0x20 && byte < 0x7f) return quoted("\\" + std::string(1, spelling[pos]));
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("a backslash followed by byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
}

// Accumulates digits of `base` into a magnitude no larger than `limit`.
// Returns false on an invalid digit (sets *bad_digit) or on overflow.
bool accumulate(std::string_view digits, unsigned base, uint64_t limit, uint64_t* magnitude,
                bool* overflow) {
  uint64_t value = 0;
  for (char c : digits) {
    int digit = hex_digit_value(c);
    if (digit < 0 || static_cast<unsigned>(digit) >= base) return false;
    if (value > (limit - static_cast<uint64_t>(digit)) / base) {
      *overflow = true;
      return false;
    }
    value = value * base + static_cast<uint64_t>(digit);
  }
  *magnitude = value;
  return true;
}

int64_t apply_sign(uint64_t magnitude, bool negative) {
  if (!negative) return static_cast<int64_t>(magnitude);
  if (magnitude == uint64_t{1} << 63) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(magnitude);
}

DecodedNumeric decode_network(std::string_view spelling) {
  DecodedNumeric result;
  result.kind = ast::LiteralKind::Network;
  result.value = IpNetwork{};
  std::string error;
  if (auto network = IpNetwork::parse(spelling, &error)) {
    result.value = *network;
    return result;
  }
  std::optional<std::string> hint;
  if (error.find("host bits") != std::string::npos) {
    // Suggest the network the author most likely meant: the same prefix with
    // the host bits cleared.
    size_t slash = spelling.find('/');
    auto address = IpAddress::parse(spelling.substr(0, slash));
    std::string prefix_text(spelling.substr(slash + 1));
    if (address) {
      unsigned prefix = 0;
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
      bool written_as_v6 = spelling.substr(0, slash).find(':') != std::string_view::npos;
      unsigned effective = address->is_v4 && written_as_v6 ? prefix - 96 : prefix;
      unsigned bits = address->is_v4 ? 32 : 128;
      for (unsigned bit = effective; bit < bits; ++bit) {
        address->bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
      }
      if (!written_as_v6 || !address->is_v4) {
        hint = "did you mean `" + address->to_string() + "/" + prefix_text + "`?";
      }
    }
  }
  result.problem = whole_token_problem(spelling, "invalid-network",
                                       "invalid network " + quoted(spelling) + ": " + error, hint);
  return result;
}

DecodedNumeric decode_address(std::string_view spelling) {
  DecodedNumeric result;
  result.kind = ast::LiteralKind::Ip;
  result.value = IpAddress{};
  if (auto address = IpAddress::parse(spelling)) {
    result.value = *address;
    return result;
  }
  result.problem =
      whole_token_problem(spelling, "invalid-ip", "invalid IP address " + quoted(spelling));
  return result;
}

DecodedNumeric decode_prefixed_int(std::string_view spelling, bool negative,
                                   std::string_view digits, unsigned base) {
  DecodedNumeric result;
  const char* base_name = base == 16 ? "hexadecimal" : "octal";
  uint64_t limit = negative ? uint64_t{1} << 63 : static_cast<uint64_t>(INT64_MAX);
  uint64_t magnitude = 0;
  bool overflow = false;
  if (!digits.empty() && accumulate(digits, base, limit, &magnitude, &overflow)) {
    result.value = apply_sign(magnitude, negative);
    return result;
  }
  if (overflow) {
    result.problem = whole_token_problem(spelling, "invalid-number",
                                         "integer " + quoted(spelling) +
                                             " does not fit in 64 bits (the range is " +
                                             "-9223372036854775808 to 9223372036854775807)");
  } else {
    result.problem = whole_token_problem(
        spelling, "invalid-number", quoted(spelling) + " is not a valid " + base_name + " number");
  }
  return result;
}

DecodedNumeric decode_duration(std::string_view spelling, bool negative, std::string_view digits,
                               std::string_view unit) {
  using std::chrono::nanoseconds;
  DecodedNumeric result;
  result.kind = ast::LiteralKind::Duration;
  result.value = Duration{0};
  uint64_t unit_ns = 0;
  if (unit == "ms") unit_ns = 1'000'000;
  if (unit == "s") unit_ns = 1'000'000'000;
  if (unit == "m") unit_ns = 60'000'000'000;
  if (unit == "h") unit_ns = 3'600'000'000'000;
  if (unit_ns == 0) {
    result.problem = whole_token_problem(spelling, "invalid-duration",
                                         "unknown duration unit " + quoted(unit) + " in " +
                                             quoted(spelling) + " (use ms, s, m or h)");
    return result;
  }
  if (negative) {
    result.problem = whole_token_problem(spelling, "invalid-duration",
                                         "a duration cannot be negative: " + quoted(spelling));
    return result;
  }
  uint64_t count = 0;
  bool overflow = false;
  uint64_t limit = static_cast<uint64_t>(INT64_MAX) / unit_ns;
  if (!accumulate(digits, 10, limit, &count, &overflow)) {
    result.problem = whole_token_problem(
        spelling, "invalid-duration",
        "duration " + quoted(spelling) + " is too long (the longest is about 292 years)");
    return result;
  }
  result.value = Duration{static_cast<int64_t>(count * unit_ns)};
  return result;
}

}  // namespace

DecodedString decode_string_literal(std::string_view spelling) {
  DecodedString result;
  if (spelling.size() < 2) return result;
  const auto end = static_cast<uint32_t>(spelling.size() - 1);  // the closing quote
  for (uint32_t i = 1; i < end;) {
    char c = spelling[i];
    if (c != '\\') {
      result.value += c;
      ++i;
      continue;
    }
    result.has_escapes = true;
    if (i + 1 >= end) {  // cannot happen for a delimited literal; be safe anyway
      ++i;
      continue;
    }
    char escape = spelling[i + 1];
    switch (escape) {
      case '"':
        result.value += '"';
        i += 2;
        continue;
      case '\\':
        result.value += '\\';
        i += 2;
        continue;
      case 'n':
        result.value += '\n';
        i += 2;
        continue;
      case 't':
        result.value += '\t';
        i += 2;
        continue;
      default: break;
    }
    if (escape == 'x') {
      int high = i + 2 < end ? hex_digit_value(spelling[i + 2]) : -1;
      int low = i + 3 < end ? hex_digit_value(spelling[i + 3]) : -1;
      if (high >= 0 && low >= 0) {
        result.value += static_cast<char>(high * 16 + low);
        i += 4;
        continue;
      }
      uint32_t problem_end = i + 2 + (high >= 0 ? 1 : 0);
      result.problems.push_back(
          LiteralProblem{"invalid-escape", i, problem_end,
                         "invalid escape sequence " + quoted(spelling.substr(i, problem_end - i)) +
                             ": `\\x` must be followed by two hexadecimal digits",
                         std::nullopt});
      i = problem_end;
      continue;
    }
    uint32_t length = 1;
    std::string shown = describe_escape(spelling, i + 1, &length);
    result.problems.push_back(LiteralProblem{
        "invalid-escape", i, i + 1 + length, "invalid escape sequence " + shown + " in string",
        "the escapes are \\\" \\\\ \\n \\t and \\xHH; write `\\\\` for a backslash"});
    result.value.append(spelling.substr(i, 1 + length));
    i += 1 + length;
  }
  return result;
}

DecodedNumeric decode_numeric_literal(std::string_view spelling) {
  if (spelling.find('/') != std::string_view::npos) return decode_network(spelling);
  if (spelling.find(':') != std::string_view::npos) return decode_address(spelling);
  size_t dots = static_cast<size_t>(std::count(spelling.begin(), spelling.end(), '.'));
  if (dots >= 2) return decode_address(spelling);
  if (dots == 1) {
    DecodedNumeric result;
    result.problem = whole_token_problem(
        spelling, "invalid-number",
        quoted(spelling) + " is not a valid number (only whole numbers are supported)");
    return result;
  }

  bool negative = !spelling.empty() && spelling[0] == '-';
  std::string_view body = spelling.substr(negative ? 1 : 0);
  if (body.starts_with("0x")) return decode_prefixed_int(spelling, negative, body.substr(2), 16);
  if (body.starts_with("0o")) return decode_prefixed_int(spelling, negative, body.substr(2), 8);

  size_t digit_count = 0;
  while (digit_count < body.size() && body[digit_count] >= '0' && body[digit_count] <= '9') {
    ++digit_count;
  }
  std::string_view digits = body.substr(0, digit_count);
  std::string_view suffix = body.substr(digit_count);
  DecodedNumeric result;
  if (digits.empty()) {
    result.problem = whole_token_problem(spelling, "invalid-number",
                                         quoted(spelling) + " is not a valid number");
    return result;
  }
  if (!suffix.empty()) {
    bool all_letters = std::all_of(suffix.begin(), suffix.end(), is_letter);
    if (all_letters) {
      return decode_duration(spelling, negative, digits, suffix);
    }
    std::optional<std::string> hint;
    if (digits == "0") hint = "write hexadecimal numbers as 0x1f and octal numbers as 0o755";
    result.problem = whole_token_problem(spelling, "invalid-number",
                                         quoted(spelling) + " is not a valid number", hint);
    return result;
  }
  if (digits.size() > 1 && digits[0] == '0') {
    result.problem = whole_token_problem(
        spelling, "invalid-number", "integer " + quoted(spelling) + " has a leading zero",
        "write " + std::string(negative ? "-" : "") + "0o" + std::string(digits.substr(1)) +
            " for an octal number, or leave out the leading zeros");
    return result;
  }
  uint64_t limit = negative ? uint64_t{1} << 63 : static_cast<uint64_t>(INT64_MAX);
  uint64_t magnitude = 0;
  bool overflow = false;
  if (!accumulate(digits, 10, limit, &magnitude, &overflow)) {
    result.problem = whole_token_problem(spelling, "invalid-number",
                                         "integer " + quoted(spelling) +
                                             " does not fit in 64 bits (the range is " +
                                             "-9223372036854775808 to 9223372036854775807)");
    return result;
  }
  result.value = apply_sign(magnitude, negative);
  return result;
}

}  // namespace vigil
