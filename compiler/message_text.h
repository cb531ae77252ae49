// Small helpers for writing diagnostic messages the same way everywhere:
// names and code in backquotes, lists joined with "and", "a"/"an".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// `text`
inline std::string quoted(std::string_view text) {
  return "`" + std::string(text) + "`";
}

// "`a`", "`a` and `b`", "`a`, `b` and `c`".
inline std::string join_quoted(const std::vector<std::string_view>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += quoted(items[i]);
  }
  return out;
}

// "a string", "an int", "an ip".
inline std::string with_article(std::string_view word) {
  const bool vowel =
      !word.empty() && std::string_view("aeiou").find(word.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(word);
}

}  // namespace vigil
