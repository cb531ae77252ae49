#include "compiler/suggest.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(SemaSuggest, EditDistanceCountsTranspositionsAsOne) {
  EXPECT_EQ(edit_distance("high", "high", 3), 0u);
  EXPECT_EQ(edit_distance("hgih", "high", 3), 1u);
  EXPECT_EQ(edit_distance("hgh", "high", 3), 1u);
  EXPECT_EQ(edit_distance("ab", "ba", 3), 1u);
  EXPECT_EQ(edit_distance("exce", "exec", 3), 1u);
  EXPECT_EQ(edit_distance("proces.exe", "process.exe", 3), 1u);
  EXPECT_EQ(edit_distance("", "abc", 3), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 3), 3u);
}

TEST(SemaSuggest, EditDistanceStopsPastTheLimit) {
  EXPECT_EQ(edit_distance("kitten", "sitting", 2), 3u);  // limit + 1
  EXPECT_EQ(edit_distance("a", "abcdefgh", 2), 3u);
  EXPECT_EQ(edit_distance(std::string(10000, 'a'), std::string(10000, 'b'), 4), 5u);
}

TEST(SemaSuggest, ClosestNameWithinAPlausibleDistance) {
  const std::vector<std::string_view> names = {"exec", "exit", "fork", "file.open"};
  EXPECT_EQ(closest_name("exce", names), "exec");
  EXPECT_EQ(closest_name("file.opn", names), "file.open");
  EXPECT_EQ(closest_name("teleport", names), std::nullopt);
  EXPECT_EQ(closest_name("ex", names), std::nullopt);  // too far for a short word
  // An exact match is not a suggestion.
  EXPECT_EQ(closest_name("fork", names), std::nullopt);
  // Ties go to the first candidate.
  EXPECT_EQ(closest_name("exet", names), "exec");
}

TEST(SemaSuggest, TypedPrefixCountsAsCloseWhenLongEnough) {
  const std::vector<std::string_view> names = {"process.pid", "process.cmdline"};
  EXPECT_EQ(closest_name("process.cmd", names), "process.cmdline");
  EXPECT_EQ(closest_name("pro", names), std::nullopt);
}

TEST(SemaSuggest, SuggesterRemembersAnswersAndCapsItsWork) {
  std::vector<std::string> storage;
  for (int i = 0; i < 1000; ++i) storage.push_back("name_" + std::to_string(i));
  std::vector<std::string_view> names(storage.begin(), storage.end());
  NameSuggester suggester(names, /*max_comparisons=*/10'000);
  EXPECT_EQ(suggester.suggest("name_420x"), "name_420");
  // Repeating a question costs nothing; a flood of new ones stops at the cap.
  int answered = 0;
  for (int i = 0; i < 100; ++i)
    if (suggester.suggest("name_" + std::to_string(i) + "xy")) ++answered;
  EXPECT_EQ(answered, 9);  // 10,000 comparisons: ten questions of 1,000 names
  EXPECT_EQ(suggester.suggest("name_420x"), "name_420");
  EXPECT_EQ(suggester.suggest("name_77x"), std::nullopt);  // over budget by now
}

TEST(SemaSuggest, DidYouMean) {
  EXPECT_EQ(did_you_mean("high"), "did you mean `high`?");
}

}  // namespace
}  // namespace vigil
