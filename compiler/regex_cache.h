// `matches` patterns: RE2 syntax, UTF-8 mode, searched anywhere in the value
// (unanchored). Compiled patterns are cached; the cache is thread-safe.
// See docs/semantics.md ("matches") for how invalid UTF-8 values behave.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace re2 {
class RE2;
}

namespace vigil {

// Why `pattern` is not a valid RE2 pattern, or nullopt if it is.
std::optional<std::string> regex_pattern_error(std::string_view pattern);

class RegexCache {
 public:
  explicit RegexCache(size_t capacity = 1024);
  ~RegexCache();
  RegexCache(const RegexCache&) = delete;
  RegexCache& operator=(const RegexCache&) = delete;

  // True if the pattern matches somewhere in `value`. An invalid pattern
  // matches nothing (the analyser rejects invalid patterns before this).
  bool search(std::string_view pattern, std::string_view value);

  size_t size() const;

 private:
  std::shared_ptr<const re2::RE2> compiled(std::string_view pattern);

  size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> patterns_;
};

// The cache used by the reference evaluator. Shared by the whole process: it
// only memoises compilation and has no observable effect on results.
RegexCache& evaluator_regex_cache();

}  // namespace vigil
