// `dedup`: identical alerts within the window collapse into the first plus
// one summary with the count; different outputs or rules never collapse.
#include "runtime/alert_dedup.h"

#include <gtest/gtest.h>

namespace vigil::runtime {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

Alert alert_at(int64_t seconds, std::string output = "same", std::string rule = "r") {
  Alert alert;
  alert.rule = std::move(rule);
  alert.output = std::move(output);
  alert.time_unix_ns = seconds * kSecond;
  return alert;
}

TEST(AlertDedup, RepeatsWithinTheWindowBecomeOneSummaryWithTheirCount) {
  AlertDeduplicator dedup;
  std::vector<Alert> emitted;
  auto emit = [&](const Alert& alert) { emitted.push_back(alert); };
  EXPECT_TRUE(dedup.admit(alert_at(100), 10 * kSecond));
  for (int i = 1; i <= 4; ++i) EXPECT_FALSE(dedup.admit(alert_at(100 + i), 10 * kSecond));
  dedup.flush(105 * kSecond, emit);  // the window is still open
  EXPECT_TRUE(emitted.empty());
  dedup.flush(110 * kSecond, emit);
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].count, 4u);
  EXPECT_EQ(emitted[0].time_unix_ns, 104 * kSecond);  // the last repeat's event
  EXPECT_EQ(dedup.open_windows(), 0u);
  // After the window the next one is emitted again.
  EXPECT_TRUE(dedup.admit(alert_at(111), 10 * kSecond));
}

TEST(AlertDedup, DifferentOutputsAndRulesAreNotIdentical) {
  AlertDeduplicator dedup;
  EXPECT_TRUE(dedup.admit(alert_at(1, "a"), 10 * kSecond));
  EXPECT_TRUE(dedup.admit(alert_at(1, "b"), 10 * kSecond));
  EXPECT_TRUE(dedup.admit(alert_at(1, "a", "other"), 10 * kSecond));
  EXPECT_FALSE(dedup.admit(alert_at(2, "a"), 10 * kSecond));
}

TEST(AlertDedup, AWindowWithoutRepeatsEndsSilentlyAndShutdownFlushesAll) {
  AlertDeduplicator dedup;
  std::vector<Alert> emitted;
  auto emit = [&](const Alert& alert) { emitted.push_back(alert); };
  EXPECT_TRUE(dedup.admit(alert_at(1, "lonely"), kSecond));
  EXPECT_TRUE(dedup.admit(alert_at(1, "busy"), 60 * kSecond));
  EXPECT_FALSE(dedup.admit(alert_at(2, "busy"), 60 * kSecond));
  dedup.flush(3 * kSecond, emit);
  EXPECT_TRUE(emitted.empty());  // "lonely" ended without repeats; "busy" is open
  dedup.flush(3 * kSecond, emit, /*final_flush=*/true);
  ASSERT_EQ(emitted.size(), 1u);
  EXPECT_EQ(emitted[0].output, "busy");
  EXPECT_EQ(emitted[0].count, 1u);  // it stands for its one repeat
}

}  // namespace
}  // namespace vigil::runtime
