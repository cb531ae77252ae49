// The stateful reference evaluator (compiler/stateful_evaluator.h) against
// the semantics of docs/semantics.md, "Stateful rules".
#include "compiler/stateful_evaluator.h"

#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

FieldId field(std::string_view name) {
  return find_field(name).value();
}

// Compiles `text`, feeds events through one evaluator, and records which
// events made `rule` fire.
class Stream {
 public:
  explicit Stream(const std::string& text) : analysis_(sema_test::analyze_text(text)) {
    EXPECT_EQ(analysis_->errors(), std::vector<std::string>{}) << text;
    if (analysis_->policy) evaluator_.emplace(*analysis_->policy);
  }

  // An exec event at `seconds` by `uid` with command name `comm`.
  bool exec(double seconds, int64_t uid, std::string comm, std::string_view rule = "r") {
    Event event(EventKind::Exec);
    event.time_ns = static_cast<uint64_t>(seconds * kSecond);
    event.set(field("process.uid"), uid);
    event.set(field("process.comm"), std::move(comm));
    return feed(event, rule);
  }

  bool open(double seconds, int64_t uid, std::string path, std::string_view rule = "r") {
    Event event(EventKind::FileOpen);
    event.time_ns = static_cast<uint64_t>(seconds * kSecond);
    event.set(field("process.uid"), uid);
    event.set(field("file.path"), std::move(path));
    return feed(event, rule);
  }

  bool feed(const Event& event, std::string_view rule) {
    if (!evaluator_) return false;
    notes_.clear();
    fired_ = evaluator_->process(event, notes_);
    for (const ir::Rule* fired : fired_)
      if (fired->name == rule) return true;
    return false;
  }

  const std::vector<const ir::Rule*>& fired() const { return fired_; }
  std::string note() const { return notes_.empty() ? std::string() : notes_.front().detail; }
  StatefulEvaluator& evaluator() { return *evaluator_; }

 private:
  std::unique_ptr<sema_test::Analysis> analysis_;
  std::optional<StatefulEvaluator> evaluator_;
  std::vector<StateNote> notes_;
  std::vector<const ir::Rule*> fired_;
};

const std::string kThreshold3 =
    "rule r {\n  on exec\n  when process.comm == \"sudo\"\n"
    "  except process.uid == 0\n  threshold 3 within 1m by process.uid\n}\n";

// ---- threshold ------------------------------------------------------------------------

TEST(StatefulThreshold, FiresOnExactlyTheNthEvent) {
  Stream s(kThreshold3);
  EXPECT_FALSE(s.exec(0, 1000, "sudo"));
  EXPECT_EQ(s.note(), "threshold: key process.uid = 1000: counted 1 of 3 (window from 0ms)");
  EXPECT_FALSE(s.exec(10, 1000, "sudo"));  // N-1: not yet
  EXPECT_TRUE(s.exec(20, 1000, "sudo"));   // N
  EXPECT_EQ(s.note(),
            "threshold: key process.uid = 1000: counted 3 of 3 (window from 0ms) -> fires; quiet "
            "until 1m");
  EXPECT_FALSE(s.exec(30, 1000, "sudo"));  // quiet: suppressed, not counted
  EXPECT_EQ(s.note(),
            "threshold: key process.uid = 1000: quiet until 1m after firing, not counted");
}

TEST(StatefulThreshold, NonMatchingEventsAreNotCounted) {
  Stream s(kThreshold3);
  EXPECT_FALSE(s.exec(0, 1000, "sudo"));
  EXPECT_FALSE(s.exec(1, 1000, "ls"));  // `when` false
  EXPECT_EQ(s.note(), "threshold: the event does not match the rule, so it is not counted");
  EXPECT_FALSE(s.exec(2, 0, "sudo"));   // excepted (and another key anyway)
  EXPECT_FALSE(s.open(3, 1000, "/x"));  // not one of the rule's events
  EXPECT_FALSE(s.exec(4, 1000, "sudo"));
  EXPECT_TRUE(s.exec(5, 1000, "sudo"));
}

TEST(StatefulThreshold, KeysAreIndependent) {
  Stream s(kThreshold3);
  EXPECT_FALSE(s.exec(0, 1000, "sudo"));
  EXPECT_FALSE(s.exec(1, 1001, "sudo"));
  EXPECT_FALSE(s.exec(2, 1000, "sudo"));
  EXPECT_FALSE(s.exec(3, 1001, "sudo"));
  EXPECT_TRUE(s.exec(4, 1001, "sudo"));
  EXPECT_TRUE(s.exec(5, 1000, "sudo"));
}

TEST(StatefulThreshold, StringKeysCompareExactly) {
  Stream s("rule r {\n  on exec\n  threshold 2 within 1m by process.comm\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "sh"));
  EXPECT_FALSE(s.exec(0, 1, "sh "));
  EXPECT_FALSE(s.exec(0, 1, "SH"));
  EXPECT_FALSE(s.exec(0, 1, std::string("sh\0", 3)));
  EXPECT_TRUE(s.exec(0, 2, "sh"));
}

TEST(StatefulThreshold, WindowExpiryStartsAFreshCount) {
  Stream s(kThreshold3);
  EXPECT_FALSE(s.exec(0, 1000, "sudo"));
  EXPECT_FALSE(s.exec(30, 1000, "sudo"));
  // Exactly one window after the first counted event: outside the window.
  EXPECT_FALSE(s.exec(60, 1000, "sudo"));
  EXPECT_EQ(s.note(), "threshold: key process.uid = 1000: counted 1 of 3 (window from 1m)");
  EXPECT_FALSE(s.exec(61, 1000, "sudo"));
  EXPECT_TRUE(s.exec(119.999, 1000, "sudo"));
}

TEST(StatefulThreshold, QuietUntilTheWindowEndsWithoutRearm) {
  Stream s(kThreshold3);
  s.exec(10, 1000, "sudo");
  s.exec(11, 1000, "sudo");
  EXPECT_TRUE(s.exec(12, 1000, "sudo"));
  // Quiet until 10s + 1m = 70s; suppressed events are not counted.
  EXPECT_FALSE(s.exec(40, 1000, "sudo"));
  EXPECT_FALSE(s.exec(69.999, 1000, "sudo"));
  EXPECT_FALSE(s.exec(70, 1000, "sudo"));  // counted 1 of a new window
  EXPECT_EQ(s.note(), "threshold: key process.uid = 1000: counted 1 of 3 (window from 70s)");
  EXPECT_FALSE(s.exec(71, 1000, "sudo"));
  EXPECT_TRUE(s.exec(72, 1000, "sudo"));
}

TEST(StatefulThreshold, RearmSetsTheQuietPeriodFromTheFiringEvent) {
  Stream s("rule r {\n  on exec\n  threshold 2 within 1m by process.uid rearm 5m\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "a"));
  EXPECT_TRUE(s.exec(50, 1, "a"));
  // Quiet until 50s + 5m = 350s, well past the window's end.
  EXPECT_FALSE(s.exec(100, 1, "a"));
  EXPECT_FALSE(s.exec(349, 1, "a"));
  EXPECT_FALSE(s.exec(350, 1, "a"));
  EXPECT_TRUE(s.exec(351, 1, "a"));
  // A short rearm: counting resumes before the window would have ended.
  Stream short_rearm("rule r {\n  on exec\n  threshold 2 within 1m by process.uid rearm 1s\n}\n");
  EXPECT_FALSE(short_rearm.exec(0, 1, "a"));
  EXPECT_TRUE(short_rearm.exec(1, 1, "a"));
  EXPECT_FALSE(short_rearm.exec(1.5, 1, "a"));
  EXPECT_FALSE(short_rearm.exec(2, 1, "a"));  // counted 1: the window was cleared on firing
  EXPECT_TRUE(short_rearm.exec(3, 1, "a"));
}

TEST(StatefulThreshold, ThresholdOneFiresOnceAWindow) {
  Stream s("rule r {\n  on exec\n  threshold 1 within 10s by process.uid\n}\n");
  EXPECT_TRUE(s.exec(0, 1, "a"));
  EXPECT_FALSE(s.exec(9, 1, "a"));
  EXPECT_TRUE(s.exec(10, 1, "a"));
  EXPECT_TRUE(s.exec(10, 2, "a"));
}

TEST(StatefulThreshold, AnEventBeforeTheWindowStartCountsInTheWindow) {
  Stream s(kThreshold3);
  s.exec(10, 1000, "sudo");
  EXPECT_FALSE(s.exec(9, 1000, "sudo"));  // out of order by a second: in the window
  EXPECT_TRUE(s.exec(69, 1000, "sudo"));
}

// ---- sequence -------------------------------------------------------------------------

const std::string kSequence3 =
    "rule r {\n"
    "  sequence by process.uid within 1m:\n"
    "    [exec when process.comm == \"curl\"]\n"
    "    then [file.open when file.path startswith \"/tmp/\"]\n"
    "    then [exec when process.comm == \"run\"]\n"
    "  except process.uid == 0\n"
    "}\n";

TEST(StatefulSequence, FiresOnTheEventThatCompletesTheStepsInOrder) {
  Stream s(kSequence3);
  EXPECT_FALSE(s.exec(0, 1000, "curl"));
  EXPECT_EQ(s.note(), "sequence: key process.uid = 1000: started at 0ms, step 1 of 3");
  EXPECT_FALSE(s.open(1, 1000, "/tmp/x"));
  EXPECT_EQ(s.note(), "sequence: key process.uid = 1000: matched step 2 of 3 (started at 0ms)");
  EXPECT_TRUE(s.exec(2, 1000, "run"));
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1000: matched step 3 of 3 (started at 0ms) -> fires");
  // The state is gone: the last step alone does nothing.
  EXPECT_FALSE(s.exec(3, 1000, "run"));
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1000: the event matches step 3, but no sequence in "
            "progress; nothing changes");
}

TEST(StatefulSequence, OutOfOrderDoesNotFire) {
  Stream s(kSequence3);
  EXPECT_FALSE(s.exec(0, 1000, "run"));
  EXPECT_FALSE(s.open(1, 1000, "/tmp/x"));
  EXPECT_FALSE(s.exec(2, 1000, "curl"));
  // Reversed: curl then run without the open.
  EXPECT_FALSE(s.exec(3, 1000, "run"));
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1000: the event matches step 3, but waiting for step 2; "
            "nothing changes");
}

TEST(StatefulSequence, NotAfterTheWindow) {
  Stream s(kSequence3);
  EXPECT_FALSE(s.exec(0, 1000, "curl"));
  EXPECT_FALSE(s.open(30, 1000, "/tmp/x"));
  EXPECT_FALSE(s.exec(60.5, 1000, "run"));
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1000: the sequence started at 0ms expired (window 1m); "
            "the event matches step 3, but no sequence in progress; nothing changes");
  // Exactly at the window's end still counts.
  Stream edge(kSequence3);
  edge.exec(0, 1000, "curl");
  edge.open(30, 1000, "/tmp/x");
  EXPECT_TRUE(edge.exec(60, 1000, "run"));
}

TEST(StatefulSequence, TheFirstStepAgainRestartsTheWindow) {
  Stream s(kSequence3);
  EXPECT_FALSE(s.exec(0, 1000, "curl"));
  EXPECT_FALSE(s.exec(50, 1000, "curl"));  // restart at 50s
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1000: matched step 1 again: restarted at 50s, step 1 of "
            "3");
  EXPECT_FALSE(s.open(70, 1000, "/tmp/x"));  // within 1m of the restart
  EXPECT_TRUE(s.exec(100, 1000, "run"));
}

TEST(StatefulSequence, RestartForgetsProgress) {
  Stream s(kSequence3);
  s.exec(0, 1000, "curl");
  s.open(1, 1000, "/tmp/x");
  EXPECT_FALSE(s.exec(2, 1000, "curl"));  // awaited step 3 does not match: restart
  EXPECT_FALSE(s.exec(3, 1000, "run"));   // now waiting for step 2 again
  EXPECT_FALSE(s.open(4, 1000, "/tmp/y"));
  EXPECT_TRUE(s.exec(5, 1000, "run"));
}

TEST(StatefulSequence, AdvancingTakesPriorityOverRestarting) {
  // Every step matches any exec: an exec both advances and could restart.
  Stream s("rule r {\n  sequence by process.uid within 1m: [exec] then [exec] then [exec]\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "a"));
  EXPECT_FALSE(s.exec(1, 1, "a"));
  EXPECT_EQ(s.note(), "sequence: key process.uid = 1: matched step 2 of 3 (started at 0ms)");
  EXPECT_TRUE(s.exec(2, 1, "a"));
  // After firing, the next exec starts afresh: one step at a time.
  EXPECT_FALSE(s.exec(3, 1, "a"));
  EXPECT_FALSE(s.exec(4, 1, "a"));
  EXPECT_TRUE(s.exec(5, 1, "a"));
}

TEST(StatefulSequence, AnExpiredStateStillLetsTheEventStartANewOne) {
  Stream s("rule r {\n  sequence by process.uid within 10s: [exec] then [file.open]\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "a"));
  EXPECT_FALSE(s.exec(20, 1, "a"));
  EXPECT_EQ(s.note(),
            "sequence: key process.uid = 1: the sequence started at 0ms expired (window 10s); "
            "started at 20s, step 1 of 2");
  EXPECT_TRUE(s.open(25, 1, "/x"));
}

TEST(StatefulSequence, KeysAreIndependent) {
  Stream s(kSequence3);
  EXPECT_FALSE(s.exec(0, 1000, "curl"));
  EXPECT_FALSE(s.open(1, 1001, "/tmp/x"));  // another user: no sequence in progress
  EXPECT_FALSE(s.exec(2, 1000, "run"));     // user 1000 is still at step 1
  EXPECT_FALSE(s.open(3, 1000, "/tmp/x"));
  EXPECT_TRUE(s.exec(4, 1000, "run"));
}

TEST(StatefulSequence, ExceptsApplyToEveryStep) {
  Stream s(
      "rule r {\n  sequence by process.comm within 1m: [exec] then [exec] then [exec]\n"
      "  except process.uid == 0\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "a"));
  EXPECT_FALSE(s.exec(1, 0, "a"));  // excepted: does not advance
  EXPECT_EQ(s.note(), "sequence: the event matches no step");
  EXPECT_FALSE(s.exec(2, 1, "a"));
  EXPECT_FALSE(s.exec(3, 0, "a"));  // excepted on the last step: no firing
  EXPECT_TRUE(s.exec(4, 1, "a"));
  Stream first(
      "rule r {\n  sequence by process.comm within 1m: [exec] then [exec]\n"
      "  except process.uid == 0\n}\n");
  EXPECT_FALSE(first.exec(0, 0, "a"));  // excepted on the first step: nothing starts
  EXPECT_FALSE(first.exec(1, 1, "a"));
  EXPECT_TRUE(first.exec(2, 1, "a"));
}

TEST(StatefulSequence, DisabledRulesNeverFire) {
  Stream s(
      "rule r {\n  sequence by process.uid within 1m: [exec] then [exec]\n  enabled false\n}\n");
  EXPECT_FALSE(s.exec(0, 1, "a"));
  EXPECT_FALSE(s.exec(1, 1, "a"));
  EXPECT_EQ(s.note(), "");
}

// ---- Plain rules and the evaluator itself ---------------------------------------------

TEST(StatefulEvaluator, PlainRulesFireLikeMatchingRulesInPolicyOrder) {
  Stream s(
      "rule b {\n  on exec\n}\n"
      "rule a {\n  on exec\n  when process.comm == \"x\"\n}\n"
      "rule c {\n  on exec\n  threshold 2 within 1m by process.uid\n}\n");
  EXPECT_TRUE(s.exec(0, 1, "x", "a"));
  ASSERT_EQ(s.fired().size(), 2u);
  EXPECT_EQ(s.fired()[0]->name, "a");
  EXPECT_EQ(s.fired()[1]->name, "b");
  EXPECT_TRUE(s.exec(0, 1, "y", "c"));
  ASSERT_EQ(s.fired().size(), 2u);
  EXPECT_EQ(s.fired()[0]->name, "b");
  EXPECT_EQ(s.fired()[1]->name, "c");
}

TEST(StatefulEvaluator, ResetForgetsState) {
  Stream s(kThreshold3);
  s.exec(0, 1000, "sudo");
  s.exec(1, 1000, "sudo");
  s.evaluator().reset();
  EXPECT_FALSE(s.exec(2, 1000, "sudo"));
  EXPECT_FALSE(s.exec(3, 1000, "sudo"));
  EXPECT_TRUE(s.exec(4, 1000, "sudo"));
}

TEST(StatefulEvaluator, ProcessWithAndWithoutNotesAgree) {
  auto analysis = sema_test::analyze_text(kSequence3);
  ASSERT_TRUE(analysis->policy);
  StatefulEvaluator quiet(*analysis->policy), noted(*analysis->policy);
  const std::vector<std::pair<EventKind, std::string>> script = {
      {EventKind::Exec, "curl"},       {EventKind::FileOpen, "/tmp/a"}, {EventKind::Exec, "curl"},
      {EventKind::FileOpen, "/tmp/b"}, {EventKind::Exec, "run"},        {EventKind::Exec, "run"}};
  uint64_t time = 0;
  for (const auto& [kind, text] : script) {
    Event event(kind);
    event.time_ns = time += kSecond;
    event.set(field("process.uid"), int64_t{5});
    if (kind == EventKind::Exec)
      event.set(field("process.comm"), text);
    else
      event.set(field("file.path"), text);
    std::vector<StateNote> notes;
    EXPECT_EQ(quiet.process(event), noted.process(event, notes));
  }
}

TEST(StatefulEvaluator, StatelessRuleMatchesForSequencesMeansSomeStep) {
  auto analysis = sema_test::analyze_text(kSequence3);
  ASSERT_TRUE(analysis->policy);
  const ir::Rule& rule = *analysis->policy->find("r");
  Event curl(EventKind::Exec);
  curl.set(field("process.comm"), std::string("curl"));
  curl.set(field("process.uid"), int64_t{1});
  EXPECT_TRUE(rule_matches(rule, curl));
  EXPECT_TRUE(step_matches(rule, 0, curl));
  EXPECT_FALSE(step_matches(rule, 2, curl));
  EXPECT_FALSE(step_matches(rule, 7, curl));
  Event other(EventKind::Exec);
  other.set(field("process.comm"), std::string("ls"));
  EXPECT_FALSE(rule_matches(rule, other));
  RuleEvaluation explained = explain_rule(rule, curl);
  EXPECT_TRUE(explained.matched);
  ASSERT_FALSE(explained.trace.empty());
  EXPECT_EQ(explained.trace.front().detail, "step 1: process.comm = \"curl\"; == \"curl\" -> true");
  curl.set(field("process.uid"), int64_t{0});
  EXPECT_FALSE(rule_matches(rule, curl));
  explained = explain_rule(rule, curl);
  EXPECT_FALSE(explained.matched);
  EXPECT_EQ(explained.decisive_except, 0);
}

TEST(StatefulEvaluator, DescribeKey) {
  Event event(EventKind::Exec);
  event.set(field("process.uid"), int64_t{7});
  event.set(field("process.comm"), std::string("sh"));
  EXPECT_EQ(describe_key({field("process.uid"), field("process.comm")}, event),
            "process.uid = 7, process.comm = \"sh\"");
}

}  // namespace
}  // namespace vigil
