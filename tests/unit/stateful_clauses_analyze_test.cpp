// Analysis of the enforcement and stateful clauses: what each clause lowers
// to in the IR, and every error with its exact file:line:col.
#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;

constexpr uint64_t kSecond = 1'000'000'000;

FieldId field(std::string_view name) {
  return find_field(name).value();
}

// ---- mode ----------------------------------------------------------------------------

TEST(SemaMode, AuditAndEnforceOnEnforcingRules) {
  auto a = analyze_text(
      "rule k {\n  on exec\n  action kill\n  mode audit\n}\n"
      "rule d {\n  on file.open\n  action deny\n  mode enforce\n}\n"
      "rule plain {\n  on exec\n  action kill\n}\n");
  ASSERT_EQ(a->errors(), Lines{});
  EXPECT_EQ(a->rule("k").mode, ir::Mode::Audit);
  EXPECT_EQ(a->rule("d").mode, ir::Mode::Enforce);
  EXPECT_EQ(a->rule("plain").mode, ir::Mode::Enforce);
  EXPECT_EQ(a->text(a->rule("k").action_range), "action kill");
  EXPECT_FALSE(a->rule("k").fallback_kill);
}

TEST(SemaMode, AnAlertRuleCannotHaveAMode) {
  auto a = analyze_text("rule r {\n  on exec\n  mode audit\n}\n");
  EXPECT_EQ(a->only("mode-without-enforcement"),
            "a.vigil:3:3: error[mode-without-enforcement]: `mode` applies only to rules with "
            "action `kill` or `deny`, but rule `r` has action `alert`\n"
            "  hint: an alert never blocks anything; remove `mode`, or set `action kill` or "
            "`action deny`");
  auto b = analyze_text("rule r {\n  on exec\n  action alert\n  mode enforce\n}\n");
  EXPECT_EQ(b->errors(), Lines{"a.vigil:4:3: error[mode-without-enforcement]: `mode` applies only "
                               "to rules with action `kill` or `deny`, but rule `r` has action "
                               "`alert`"});
}

TEST(SemaMode, UnknownModeSuggests) {
  auto a = analyze_text("rule r {\n  on exec\n  action kill\n  mode sudit\n}\n");
  EXPECT_EQ(a->only("unknown-mode"),
            "a.vigil:4:8: error[unknown-mode]: unknown mode `sudit`\n"
            "  hint: did you mean `audit`?");
}

TEST(SemaMode, ExtensionsOptPackRulesInAndOut) {
  // A pack rule that kills; the site audits it first. Another pack rule
  // that alerts is turned into an enforcing one.
  auto a = analyze_texts({
      {"pack/rules.vigil",
       "rule k {\n  on exec\n  when process.comm == \"x\"\n  action kill\n}\n"
       "rule d {\n  on file.open\n}\n"},
      {"site/local.vigil",
       "extend rule k {\n  mode audit\n}\n"
       "extend rule d {\n  action deny\n  mode audit\n  fallback kill\n  dedup 1m\n}\n"},
  });
  ASSERT_EQ(a->errors(), Lines{});
  EXPECT_EQ(a->rule("k").mode, ir::Mode::Audit);
  EXPECT_EQ(a->rule("d").action, Action::Deny);
  EXPECT_EQ(a->rule("d").mode, ir::Mode::Audit);
  EXPECT_TRUE(a->rule("d").fallback_kill);
  EXPECT_EQ(a->rule("d").dedup_ns, 60 * kSecond);
  EXPECT_EQ(a->text(a->rule("d").action_range), "action deny");
}

TEST(SemaMode, AnExtensionOnAnAlertRuleCannotSetAMode) {
  auto a = analyze_texts({
      {"pack/rules.vigil", "rule r {\n  on exec\n}\n"},
      {"site/local.vigil", "extend rule r {\n  mode audit\n}\n"},
  });
  EXPECT_EQ(a->errors(), Lines{"site/local.vigil:2:3: error[mode-without-enforcement]: `mode` "
                               "applies only to rules with action `kill` or `deny`, but rule `r` "
                               "has action `alert`"});
}

TEST(SemaMode, ALaterExtensionThatAlertsDoesNotBreakThePack) {
  auto a = analyze_texts({
      {"a/pack.vigil", "rule r {\n  on exec\n  action kill\n  mode audit\n}\n"},
      {"b/site.vigil", "extend rule r {\n  action alert\n}\n"},
  });
  EXPECT_EQ(a->errors(), Lines{});
  EXPECT_EQ(a->rule("r").action, Action::Alert);
}

// ---- fallback ------------------------------------------------------------------------

TEST(SemaFallback, DenyOnLsmEvents) {
  auto a = analyze_text("rule r {\n  on exec, file.open\n  action deny\n  fallback kill\n}\n");
  ASSERT_EQ(a->errors(), Lines{});
  EXPECT_TRUE(a->rule("r").fallback_kill);
}

TEST(SemaFallback, NotOnCgroupDeniedEvents) {
  auto a =
      analyze_text("rule r {\n  on file.open, net.connect\n  action deny\n  fallback kill\n}\n");
  EXPECT_EQ(a->only("fallback-not-allowed"),
            "a.vigil:4:3: error[fallback-not-allowed]: `fallback kill` applies only to events "
            "that `deny` enforces through BPF LSM, not to event `net.connect`\n"
            "  hint: these events are denied without BPF LSM, so there is nothing to fall back "
            "from; remove `fallback kill`, or split the rule\n"
            "  note a.vigil:2:17: the rule applies to `net.connect` here");
}

TEST(SemaFallback, OnlyWithDeny) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  action kill\n  fallback kill\n}\n"
      "rule s {\n  on exec\n  fallback kill\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{"a.vigil:4:3: error[fallback-not-allowed]: `fallback kill` applies only to "
                   "rules with action `deny`, but rule `r` has action `kill`",
                   "a.vigil:8:3: error[fallback-not-allowed]: `fallback kill` applies only to "
                   "rules with action `deny`, but rule `s` has action `alert`"}));
}

TEST(SemaFallback, UnknownFallback) {
  auto a = analyze_text("rule r {\n  on exec\n  action deny\n  fallback alert\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:4:12: error[unknown-fallback]: unknown fallback `alert`"});
}

// ---- threshold ------------------------------------------------------------------------

TEST(SemaThreshold, LowersToTheIr) {
  auto a = analyze_text(
      "rule r {\n  on exec, fork\n  when process.comm == \"sudo\"\n"
      "  threshold 5 within 1m by process.uid, parent.pid rearm 10m\n}\n"
      "rule s {\n  on exec\n  threshold 1000000 within 24h by process.exe\n}\n");
  ASSERT_EQ(a->errors(), Lines{});
  const ir::Rule& r = a->rule("r");
  ASSERT_TRUE(r.threshold);
  EXPECT_EQ(r.threshold->count, 5u);
  EXPECT_EQ(r.threshold->window_ns, 60 * kSecond);
  EXPECT_EQ(r.threshold->by, (std::vector<FieldId>{field("process.uid"), field("parent.pid")}));
  EXPECT_EQ(r.threshold->rearm_ns, std::optional<uint64_t>(600 * kSecond));
  EXPECT_EQ(a->text(r.threshold->range),
            "threshold 5 within 1m by process.uid, parent.pid rearm 10m");
  EXPECT_FALSE(r.sequence);
  EXPECT_EQ(r.when.kind, ir::Predicate::Kind::Test);  // `when` is lowered as usual
  const ir::Rule& s = a->rule("s");
  ASSERT_TRUE(s.threshold);
  EXPECT_EQ(s.threshold->count, 1'000'000u);
  EXPECT_EQ(s.threshold->window_ns, 24 * 3600 * kSecond);
  EXPECT_FALSE(s.threshold->rearm_ns);
}

TEST(SemaThreshold, CountAndDurationsOutOfRange) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  threshold 0 within 0s by process.pid rearm 25h\n}\n"
      "rule s {\n  on exec\n  threshold 1000001 within 60 by process.pid\n}\n"
      "rule t {\n  on exec\n  threshold 5s within 10.0.0.1 by process.pid rearm 0ms\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:13: error[invalid-threshold-count]: the count of `threshold` must be "
                "from 1 to 1000000, not `0`",
                "a.vigil:3:22: error[invalid-duration]: the window of `threshold` must be longer "
                "than 0",
                "a.vigil:3:46: error[invalid-duration]: `rearm` must be at most 24h, not `25h`",
                "a.vigil:7:13: error[invalid-threshold-count]: the count of `threshold` must be "
                "from 1 to 1000000, not `1000001`",
                "a.vigil:7:28: error[invalid-duration]: the window of `threshold` must be a "
                "duration such as `30s` or `5m`, not an int `60`",
                "a.vigil:11:13: error[invalid-threshold-count]: the count of `threshold` must be "
                "a whole number, not a duration `5s`",
                "a.vigil:11:23: error[invalid-duration]: the window of `threshold` must be a "
                "duration such as `30s` or `5m`, not an ip `10.0.0.1`",
                "a.vigil:11:53: error[invalid-duration]: `rearm` must be longer than 0",
            }));
  const std::vector<Diagnostic> sorted = a->sorted();
  EXPECT_EQ(sorted[0].hint, "`threshold 1 ...` fires on the first matching event");
  EXPECT_EQ(sorted[4].hint, "add a unit: `60s`, `60m` (ms, s, m or h)");
}

TEST(SemaThreshold, AMalformedNumberIsReportedOnce) {
  auto a = analyze_text("rule r {\n  on exec\n  threshold 5 within 5d by process.pid\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:3:22: error[invalid-duration]: unknown duration unit `d` "
                               "in `5d` (use ms, s, m or h)"});
}

TEST(SemaThreshold, KeyFields) {
  auto a = analyze_text(
      "rule r {\n  on exec, file.open\n"
      "  threshold 3 within 1m by process.args, pid, file.path, process.args\n}\n"
      "rule s {\n  on exec\n"
      "  threshold 3 within 1m by process.pid, process.uid, process.gid, process.uid\n}\n"
      "rule t {\n  on exec\n"
      "  threshold 3 within 1m by process.pid, process.uid, process.gid, process.exe, "
      "process.comm\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:28: error[multi-valued-key-field]: `process.args` holds several "
                "values and cannot be part of a key",
                "a.vigil:3:42: error[unknown-field]: unknown field `pid`",
                "a.vigil:3:47: error[field-not-on-event]: key field `file.path` is not available "
                "on event `exec`",
                "a.vigil:3:58: error[multi-valued-key-field]: `process.args` holds several "
                "values and cannot be part of a key",
                "a.vigil:7:67: error[duplicate-key-field]: field `process.uid` is listed twice "
                "after `by`",
                "a.vigil:11:80: error[too-many-key-fields]: a key has at most 4 fields; "
                "`threshold` has 5",
            }));
  const std::vector<Diagnostic> sorted = a->sorted();
  EXPECT_EQ(sorted[0].hint,
            "key fields must be single-valued, e.g. `process.pid` or `process.exe`");
  EXPECT_EQ(sorted[1].hint, "did you mean `process.pid`?");
  EXPECT_EQ(full(a->sources, sorted[4]),
            "a.vigil:7:67: error[duplicate-key-field]: field `process.uid` is listed twice after "
            "`by`\n"
            "  note a.vigil:7:41: first listed here");
}

TEST(SemaThreshold, MustBeDecidableInTheKernel) {
  auto a = analyze_text(
      "macro root_user = user.name == \"root\"\n"
      "rule r {\n  on exec\n  when process.exe matches \"^/tmp/\"\n"
      "  threshold 3 within 1m by process.uid\n}\n"
      "rule s {\n  on exec\n  except root_user\n  threshold 3 within 1m by process.uid\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:4:20: error[threshold-needs-kernel]: rule `r` has a `threshold`, whose "
                "events are counted in the kernel, but it depends on `matches`, which only user "
                "space can evaluate",
                "a.vigil:9:10: error[threshold-needs-kernel]: rule `s` has a `threshold`, whose "
                "events are counted in the kernel, but it depends on field `user.name` in macro "
                "`root_user`, which only user space can evaluate",
            }));
  EXPECT_EQ(full(a->sources, a->sorted()[1]),
            "a.vigil:9:10: error[threshold-needs-kernel]: rule `s` has a `threshold`, whose "
            "events are counted in the kernel, but it depends on field `user.name` in macro "
            "`root_user`, which only user space can evaluate\n"
            "  hint: test only fields computed in the kernel (see docs/fields.md), or remove the "
            "threshold\n"
            "  note a.vigil:1:19: field `user.name` is used here");
}

TEST(SemaThreshold, NotInExtensionsNorWithSequence) {
  auto a = analyze_text(
      "rule r {\n  on exec\n}\n"
      "extend rule r {\n  threshold 3 within 1m by process.uid\n}\n"
      "rule s {\n  threshold 2 within 1m by process.pid\n"
      "  sequence by process.pid within 1m: [exec] then [exec]\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:5:3: error[clause-not-allowed]: `extend rule` cannot change `threshold`",
                "a.vigil:8:3: error[threshold-with-sequence]: rule `s` cannot have both "
                "`threshold` and `sequence`",
            }));
  EXPECT_EQ(a->sorted()[0].hint,
            "`threshold` is part of what the rule detects, so only the rule itself can have one; "
            "an extension may add `except` and `tags`, and replace `severity`, `action`, "
            "`output`, `enabled`, `mode`, `fallback` and `dedup`");
}

// ---- dedup ------------------------------------------------------------------------------

TEST(SemaDedup, DurationRange) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  dedup 30s\n}\n"
      "rule s {\n  on exec\n  dedup 0s\n}\n"
      "rule t {\n  on exec\n  dedup 25h\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{"a.vigil:7:9: error[invalid-duration]: the duration of `dedup` must be longer "
                   "than 0",
                   "a.vigil:11:9: error[invalid-duration]: the duration of `dedup` must be at most "
                   "24h, not `25h`"}));
  auto b = analyze_text("rule r {\n  on exec\n  dedup 30s\n}\nrule s {\n  on exec\n}\n");
  ASSERT_TRUE(b->policy);
  EXPECT_EQ(b->rule("r").dedup_ns, 30 * kSecond);
  EXPECT_EQ(b->rule("s").dedup_ns, 0u);
}

// ---- sequence ------------------------------------------------------------------------

TEST(SemaSequence, LowersToTheIr) {
  auto a = analyze_text(
      "list downloaders = [\"curl\", \"wget\"]\n"
      "macro in_tmp = file.path startswith \"/tmp/\"\n"
      "rule r {\n"
      "  sequence by process.uid within 5m:\n"
      "    [exec when process.comm in downloaders]\n"
      "    then [file.open, file.chmod when in_tmp]\n"
      "    then [exec]\n"
      "  except process.comm == \"apt\"\n"
      "  action kill\n"
      "  output \"{process.exe}\"\n"
      "}\n");
  ASSERT_EQ(a->headlines(), Lines{});
  const ir::Rule& r = a->rule("r");
  ASSERT_TRUE(r.sequence);
  EXPECT_FALSE(r.threshold);
  EXPECT_EQ(r.events, event_bit(EventKind::Exec) | event_bit(EventKind::FileOpen) |
                          event_bit(EventKind::FileChmod));
  EXPECT_EQ(r.when.kind, ir::Predicate::Kind::True);
  ASSERT_EQ(r.excepts.size(), 1u);
  EXPECT_EQ(r.sequence->by, std::vector<FieldId>{field("process.uid")});
  EXPECT_EQ(r.sequence->window_ns, 300 * kSecond);
  ASSERT_EQ(r.sequence->steps.size(), 3u);
  const ir::SequenceStep& first = r.sequence->steps[0];
  EXPECT_EQ(first.events, event_bit(EventKind::Exec));
  EXPECT_EQ(first.when.kind, ir::Predicate::Kind::Test);
  EXPECT_EQ(first.when.op, ir::TestOp::InSet);
  EXPECT_EQ(first.when.operands, (std::vector<Value>{std::string("curl"), std::string("wget")}));
  EXPECT_EQ(a->text(first.range), "[exec when process.comm in downloaders]");
  const ir::SequenceStep& second = r.sequence->steps[1];
  EXPECT_EQ(second.events, event_bit(EventKind::FileOpen) | event_bit(EventKind::FileChmod));
  EXPECT_EQ(second.when.op, ir::TestOp::StartsWith);  // through the macro
  EXPECT_EQ(a->text(second.when.origin), "file.path startswith \"/tmp/\"");
  const ir::SequenceStep& third = r.sequence->steps[2];
  EXPECT_EQ(third.when.kind, ir::Predicate::Kind::True);
  EXPECT_EQ(a->text(third.when.origin), "[exec]");
}

TEST(SemaSequence, ShapeErrors) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  sequence by process.pid within 1m: [exec] then [exec]\n}\n"
      "rule s {\n  sequence by process.pid within 1m: [exec] then [exec]\n"
      "  when process.uid == 0\n}\n"
      "rule t {\n  sequence by process.pid within 1m: [exec]\n}\n"
      "rule u {\n  sequence by process.pid within 1m: [exec] then [exec] then [exec] then [exec]"
      " then [exec] then [exec] then [exec] then [exec] then [fork]\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:2:3: error[sequence-with-on]: rule `r` has both `on` and `sequence`; a "
                "rule has one or the other",
                "a.vigil:7:3: error[sequence-with-when]: rule `s` is a sequence and cannot have a "
                "`when` clause",
                "a.vigil:10:38: error[sequence-too-short]: a sequence needs at least 2 steps, "
                "this one has 1",
                "a.vigil:13:134: error[sequence-too-long]: a sequence has at most 8 steps, this "
                "one has 9",
            }));
  EXPECT_EQ(full(a->sources, a->sorted()[1]),
            "a.vigil:7:3: error[sequence-with-when]: rule `s` is a sequence and cannot have a "
            "`when` clause\n"
            "  hint: put each condition inside its step: `[exec when CONDITION]`; `except` "
            "clauses apply to every step\n"
            "  note a.vigil:6:3: the sequence is here");
}

TEST(SemaSequence, FieldsPerStep) {
  auto a = analyze_text(
      "rule r {\n"
      "  sequence by process.pid within 1m:\n"
      "    [exec when file.path == \"/x\"]\n"
      "    then [file.open when file.path == \"/y\"]\n"
      "  except file.flags == 1\n"
      "  output \"{file.path}\"\n"
      "}\n"
      "rule s {\n"
      "  sequence by process.pid within 1m: [file.open] then [exec]\n"
      "  output \"{file.path}\"\n"
      "}\n"
      "rule t {\n"
      "  sequence by file.path within 1m: [file.open] then [exec] then [exit]\n"
      "}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:16: error[field-not-on-event]: field `file.path` is not available on "
                "event `exec`",
                "a.vigil:5:10: error[field-not-on-event]: field `file.flags` is not available on "
                "event `exec`",
                "a.vigil:10:12: error[field-not-on-event]: output field `file.path` is not "
                "available on event `exec` of the last step",
                "a.vigil:13:15: error[field-not-on-event]: key field `file.path` is not available "
                "on events `exec` and `exit`",
            }));
  EXPECT_EQ(full(a->sources, a->sorted()[3]),
            "a.vigil:13:15: error[field-not-on-event]: key field `file.path` is not available on "
            "events `exec` and `exit`\n"
            "  hint: `file.path` exists on: file.open, file.rename, file.unlink, file.chmod, "
            "file.chown, file.link, file.symlink, file.mkdir; a key field must be on every event "
            "of the rule\n"
            "  note a.vigil:13:54: step 2 includes `exec` here\n"
            "  note a.vigil:13:66: step 3 includes `exit` here");
}

TEST(SemaSequence, OutputOnTheLastStepIsEnough) {
  auto a = analyze_text(
      "rule r {\n  sequence by process.pid within 1m: [exec] then [file.open]\n"
      "  output \"{file.path}\"\n}\n");
  EXPECT_EQ(a->headlines(), Lines{});
}

TEST(SemaSequence, KeyFieldsAreSingleValued) {
  auto a = analyze_text("rule r {\n  sequence by process.args within 1m: [exec] then [exec]\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:2:15: error[multi-valued-key-field]: `process.args` holds "
                               "several values and cannot be part of a key"});
}

TEST(SemaSequence, ActionsActOnTheLastStep) {
  auto a = analyze_text(
      "rule r {\n  sequence by process.pid within 1m: [exit] then [exec]\n  action kill\n}\n"
      "rule s {\n  sequence by process.pid within 1m: [exec] then [exec, exit]\n"
      "  action kill\n}\n"
      "rule t {\n  sequence by process.pid within 1m: [exec] then [net.connect]\n"
      "  action deny\n  fallback kill\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{"a.vigil:7:10: error[action-not-allowed]: action `kill` is not allowed on "
                   "event `exit`",
                   "a.vigil:11:3: error[stateful-deny]: rule `t` has `action deny` and a "
                   "`sequence`, which vigil cannot enforce: the deny hook sees each call a "
                   "second time",
                   "a.vigil:12:3: error[fallback-not-allowed]: `fallback kill` applies only to "
                   "events that `deny` enforces through BPF LSM, not to event `net.connect`"}));
  EXPECT_EQ(full(a->sources, a->sorted()[0]),
            "a.vigil:7:10: error[action-not-allowed]: action `kill` is not allowed on event "
            "`exit`\n"
            "  hint: `kill` acts on the event that completes the sequence, so every event of its "
            "last step must allow it; `kill` is available on every event except `exit`\n"
            "  note a.vigil:6:57: the last step includes `exit` here");
}

TEST(SemaSequence, UnknownEventsInSteps) {
  auto a =
      analyze_text("rule r {\n  sequence by process.pid within 1m: [exce] then [exec, exec]\n}\n");
  EXPECT_EQ(a->headlines(),
            (Lines{"a.vigil:2:39: error[unknown-event]: unknown event `exce`",
                   "a.vigil:2:57: warning[duplicate-event]: event `exec` is listed twice in this "
                   "step"}));
}

TEST(SemaSequence, NotInExtensions) {
  auto a = analyze_text(
      "rule r {\n  on exec\n}\n"
      "extend rule r {\n  sequence by process.pid within 1m: [exec] then [exec]\n}\n");
  EXPECT_EQ(
      a->errors(),
      Lines{"a.vigil:5:3: error[clause-not-allowed]: `extend rule` cannot change `sequence`"});
}

TEST(SemaSequence, StepConditionsAreTypeCheckedAndLinted) {
  auto a = analyze_text(
      "rule r {\n  sequence by process.pid within 1m:\n"
      "    [exec when process.uid == \"root\"]\n"
      "    then [exec when false]\n"
      "    then [exec when process.exe matches \"x\"]\n}\n");
  EXPECT_EQ(a->headlines(),
            (Lines{
                "a.vigil:3:31: error[type-mismatch]: cannot compare `process.uid` (int) with "
                "`\"root\"` (string)",
                "a.vigil:4:21: warning[constant-condition]: the `when` of step 2 of rule `r` is "
                "always false: the sequence never completes",
                "a.vigil:5:33: warning[user-space-evaluation]: rule `r` is evaluated in user "
                "space because of `matches`",
            }));
}

TEST(SemaSequence, MissingOnStillReported) {
  auto a = analyze_text("rule r {\n  severity low\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:1:6: error[missing-on]: rule `r` has no `on` clause"});
}

}  // namespace
}  // namespace vigil::sema_test
