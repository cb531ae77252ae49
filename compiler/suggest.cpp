#include "compiler/suggest.h"

#include <algorithm>
#include <array>

namespace vigil {
namespace {

// Longer names tolerate more typos; very short ones only one. For dotted
// names the last component counts: `process.` is shared by many fields, so
// `process.nope` should not come out as `process.comm`.
size_t max_typo_distance(std::string_view typo) {
  const size_t dot = typo.rfind('.');
  const size_t length = dot == std::string_view::npos ? typo.size() : typo.size() - dot - 1;
  if (length <= 3) return 1;
  if (length <= 6) return 2;
  return std::min<size_t>(length / 3, 4);
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  const size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (length_gap > limit) return limit + 1;
  // Optimal string alignment distance over three rolling rows; names are
  // short, so the rows usually live on the stack.
  constexpr size_t kStackColumns = 64;
  std::array<size_t, 3 * (kStackColumns + 1)> stack_rows;
  std::vector<size_t> heap_rows;
  size_t* rows = stack_rows.data();
  if (b.size() > kStackColumns) {
    heap_rows.resize(3 * (b.size() + 1));
    rows = heap_rows.data();
  }
  size_t* before = rows;
  size_t* previous = rows + (b.size() + 1);
  size_t* current = rows + 2 * (b.size() + 1);
  const size_t too_far = limit + 1;
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = std::min(j, too_far);
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = std::min(i, too_far);
    size_t row_best = current[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        best = std::min(best, before[j - 2] + 1);
      current[j] = std::min(best, too_far);
      row_best = std::min(row_best, current[j]);
    }
    if (row_best > limit) return too_far;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], too_far);
}

std::optional<std::string_view> closest_name(std::string_view typo,
                                             std::span<const std::string_view> candidates) {
  const size_t limit = max_typo_distance(typo);
  std::optional<std::string_view> best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    if (candidate == typo) continue;
    size_t distance = edit_distance(typo, candidate, std::min(limit, best_distance));
    // A typed prefix (`process.cmd` for `process.cmdline`) is as good as one typo.
    if (typo.size() >= 4 && candidate.starts_with(typo)) distance = std::min<size_t>(distance, 1);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

NameSuggester::NameSuggester(std::vector<std::string_view> candidates, size_t max_comparisons)
    : candidates_(std::move(candidates)), comparisons_left_(max_comparisons) {}

std::optional<std::string_view> NameSuggester::suggest(std::string_view typo) {
  if (auto it = answers_.find(std::string(typo)); it != answers_.end()) return it->second;
  if (comparisons_left_ < candidates_.size()) return std::nullopt;
  comparisons_left_ -= candidates_.size();
  std::optional<std::string_view> answer = closest_name(typo, candidates_);
  answers_.emplace(std::string(typo), answer);
  return answer;
}

std::string did_you_mean(std::string_view name) {
  return "did you mean `" + std::string(name) + "`?";
}

}  // namespace vigil
