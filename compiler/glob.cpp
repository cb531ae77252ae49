#include "compiler/glob.h"

#include <algorithm>

namespace vigil {

GlobPattern::GlobPattern(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '?') {
      steps_.push_back({StepKind::AnyByteButSlash});
      ++i;
    } else if (c != '*') {
      steps_.push_back({StepKind::Byte, c});
      ++i;
    } else {
      size_t stars = pattern.find_first_not_of('*', i);
      if (stars == std::string_view::npos) stars = pattern.size();
      size_t run = stars - i;
      i = stars;
      if (run == 1) {
        steps_.push_back({StepKind::Star});
      } else if (i < pattern.size() && pattern[i] == '/') {
        steps_.push_back({StepKind::SlashRunEntry});
        steps_.push_back({StepKind::SlashRunLoop});
        ++i;  // the '/' belongs to the `**/` unit
      } else {
        steps_.push_back({StepKind::DoubleStar});
      }
    }
  }
}

namespace {

// Adds the states reachable without consuming a byte. Empty moves only go
// forward, so one ascending pass reaches the closure.
void close_over_empty_moves(const std::vector<GlobPattern::Step>& steps,
                            std::vector<char>& active) {
  using Kind = GlobPattern::StepKind;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!active[i]) continue;
    switch (steps[i].kind) {
      case Kind::Star:
      case Kind::DoubleStar: active[i + 1] = 1; break;
      case Kind::SlashRunEntry:
        active[i + 1] = 1;  // into the loop
        active[i + 2] = 1;  // or skip `**/` entirely
        break;
      default: break;
    }
  }
}

}  // namespace

bool GlobPattern::matches(std::string_view value) const {
  const size_t accept = steps_.size();
  std::vector<char> active(accept + 1, 0), next(accept + 1, 0);
  active[0] = 1;
  close_over_empty_moves(steps_, active);
  for (char c : value) {
    std::fill(next.begin(), next.end(), 0);
    for (size_t i = 0; i < accept; ++i) {
      if (!active[i]) continue;
      const Step& step = steps_[i];
      switch (step.kind) {
        case StepKind::Byte:
          if (c == step.byte) next[i + 1] = 1;
          break;
        case StepKind::AnyByteButSlash:
          if (c != '/') next[i + 1] = 1;
          break;
        case StepKind::Star:
          if (c != '/') next[i] = 1;
          break;
        case StepKind::DoubleStar: next[i] = 1; break;
        case StepKind::SlashRunEntry: break;  // consumes nothing itself
        case StepKind::SlashRunLoop:
          next[i] = 1;
          if (c == '/') next[i + 1] = 1;
          break;
      }
    }
    if (std::find(next.begin(), next.end(), 1) == next.end()) return false;
    close_over_empty_moves(steps_, next);
    active.swap(next);
  }
  return active[accept] != 0;
}

bool glob_matches(std::string_view pattern, std::string_view value) {
  return GlobPattern(pattern).matches(value);
}

std::optional<std::string> glob_pattern_warning(std::string_view pattern) {
  if (pattern.find("***") != std::string_view::npos)
    return "`***` means the same as `**`; write `**`";
  if (pattern.find('\0') != std::string_view::npos)
    return "a glob containing a NUL byte never matches a kernel string";
  return std::nullopt;
}

}  // namespace vigil
