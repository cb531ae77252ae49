// "Did you mean ...?" hints: the closest known name to a misspelt one, by
// edit distance (insertions, deletions, substitutions and transpositions of
// adjacent characters, each costing 1).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vigil {

// The edit distance between `a` and `b`, or `limit + 1` if it exceeds `limit`
// (computing only a band of the table keeps this cheap for long names).
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

// The candidate closest to `typo` if it is close enough to be a plausible
// misspelling; ties go to the earliest candidate.
std::optional<std::string_view> closest_name(std::string_view typo,
                                             std::span<const std::string_view> candidates);

// Suggests names for many typos against one candidate set. Each answer is
// remembered, and the total work is capped so that a hostile policy with
// huge numbers of unknown names cannot make analysis quadratic: past the cap
// there are simply no more suggestions.
class NameSuggester {
 public:
  // The default budget is about a second of work in a debug build: enough
  // for hundreds of typos against thousands of names.
  static constexpr size_t kDefaultMaxComparisons = 250'000;

  explicit NameSuggester(std::vector<std::string_view> candidates,
                         size_t max_comparisons = kDefaultMaxComparisons);

  std::optional<std::string_view> suggest(std::string_view typo);
  std::span<const std::string_view> candidates() const { return candidates_; }

 private:
  std::vector<std::string_view> candidates_;
  std::unordered_map<std::string, std::optional<std::string_view>> answers_;
  size_t comparisons_left_;
};

// "did you mean `name`?"
std::string did_you_mean(std::string_view name);

}  // namespace vigil
