// Glob patterns as defined in docs/language.md ("Globs") and docs/semantics.md.
// `*` matches a run of bytes without '/', `?` one byte other than '/', `**`
// any run of bytes, and `**/` additionally matches nothing. Every other byte
// matches itself. Matching is a set-of-states simulation: O(pattern * value)
// time with no backtracking, so hostile patterns cannot blow up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

class GlobPattern {
 public:
  // One position of the matching automaton.
  enum class StepKind : uint8_t {
    Byte,             // the byte `byte`
    AnyByteButSlash,  // `?`
    Star,             // `*`: loops on bytes other than '/', may match nothing
    DoubleStar,       // `**` not followed by '/': loops on any byte, may match nothing
    SlashRunEntry,    // `**/`: either skip it entirely or enter SlashRunLoop
    SlashRunLoop,     // inside `**/`: loops on any byte; a '/' may also leave it
  };
  struct Step {
    StepKind kind;
    char byte = 0;
  };

  // Every string is a valid pattern.
  explicit GlobPattern(std::string_view pattern);

  bool matches(std::string_view value) const;
  const std::vector<Step>& steps() const { return steps_; }

 private:
  std::vector<Step> steps_;
};

// Whole-value match, byte for byte, case-sensitive.
bool glob_matches(std::string_view pattern, std::string_view value);

// A legal pattern that is probably a mistake (e.g. `***`), or nullopt.
std::optional<std::string> glob_pattern_warning(std::string_view pattern);

}  // namespace vigil
