// Rule-level checks: clauses, events, actions, tags, output templates,
// fields against events, and extensions.
#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;

TEST(SemaRules, MissingOn) {
  auto a = analyze_text("rule quiet {\n  severity low\n}\n");
  EXPECT_EQ(a->only("missing-on"),
            "a.vigil:1:6: error[missing-on]: rule `quiet` has no `on` clause\n"
            "  hint: say which events the rule applies to, e.g. `on exec`");
}

TEST(SemaRules, UnknownEventsAreReportedEachWithASuggestion) {
  auto a = analyze_text("rule r {\n  on exce, file.opn, exec, teleport\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:2:6: error[unknown-event]: unknown event `exce`\n"
            "  hint: did you mean `exec`?");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:2:12: error[unknown-event]: unknown event `file.opn`\n"
            "  hint: did you mean `file.open`?");
  EXPECT_EQ(full(a->sources, sorted[2]),
            "a.vigil:2:28: error[unknown-event]: unknown event `teleport`\n"
            "  hint: `vigil docs fields` lists the events and their fields");
}

TEST(SemaRules, DuplicateEventIsAWarning) {
  auto a = analyze_text("rule r {\n  on exec, fork, exec\n}\n");
  EXPECT_EQ(a->headlines(),
            Lines{"a.vigil:2:18: warning[duplicate-event]: event `exec` is listed twice"});
  ASSERT_TRUE(a->policy);
  EXPECT_EQ(a->rule("r").events, event_bit(EventKind::Exec) | event_bit(EventKind::Fork));
}

TEST(SemaRules, DuplicateClausesButExceptMayRepeat) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  severity low\n  except process.pid == 1\n"
      "  except process.pid == 2\n  severity high\n  on fork\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:6:3: error[duplicate-clause]: duplicate `severity` clause in rule `r`",
                "a.vigil:7:3: error[duplicate-clause]: duplicate `on` clause in rule `r`",
            }));
  EXPECT_EQ(full(a->sources, a->sorted()[0]),
            "a.vigil:6:3: error[duplicate-clause]: duplicate `severity` clause in rule `r`\n"
            "  hint: each clause may appear once; only `except` may be repeated\n"
            "  note a.vigil:3:3: first `severity` clause here");
}

TEST(SemaRules, UnknownSeverityAndAction) {
  auto a = analyze_text("rule r {\n  on exec\n  severity hgih\n  action block\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:3:12: error[unknown-severity]: unknown severity `hgih`\n"
            "  hint: did you mean `high`?");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:4:10: error[unknown-action]: unknown action `block`\n"
            "  hint: action is one of `alert`, `kill` and `deny`");
}

TEST(SemaRules, SettingsAreApplied) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  severity critical\n  action kill\n  enabled false\n"
      "  description \"what it is\"\n  tags [T1059, \"free text\", T1059]\n}\n");
  EXPECT_EQ(a->headlines(), Lines{});
  const ir::Rule& rule = a->rule("r");
  EXPECT_EQ(rule.severity, Severity::Critical);
  EXPECT_EQ(rule.action, Action::Kill);
  EXPECT_FALSE(rule.enabled);
  EXPECT_EQ(rule.description, "what it is");
  EXPECT_EQ(rule.tags, (std::vector<std::string>{"T1059", "free text"}));
}

TEST(SemaRules, DenyOnlyWhereThereIsAnEnforcementHook) {
  auto a = analyze_text("rule r {\n  on exec, fork, exit\n  action deny\n}\n");
  EXPECT_EQ(a->only("action-not-allowed"),
            "a.vigil:3:10: error[action-not-allowed]: action `deny` is not allowed on events "
            "`fork` and `exit`\n"
            "  hint: `deny` is available on every event except `exit` and `fork`; use `alert` for "
            "these events, or split the rule\n"
            "  note a.vigil:2:12: the rule applies to `fork` here\n"
            "  note a.vigil:2:18: the rule applies to `exit` here");
}

TEST(SemaRules, KillIsNotAllowedOnExit) {
  auto a = analyze_text(
      "rule r {\n  on exit\n  action kill\n}\n"
      "rule s {\n  on net.connect\n  action deny\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:3:10: error[action-not-allowed]: action `kill` is not "
                               "allowed on event `exit`"});
}

TEST(SemaRules, ActionFromAnExtensionIsCheckedAgainstTheRulesEvents) {
  auto a = analyze_texts({{"a.vigil", "rule r {\n  on fork\n}\n"},
                          {"b.vigil", "extend rule r {\n  action deny\n}\n"}});
  EXPECT_EQ(a->only("action-not-allowed"),
            "b.vigil:2:10: error[action-not-allowed]: action `deny` is not allowed on event "
            "`fork`\n"
            "  hint: `deny` is available on every event except `exit` and `fork`; use `alert` for "
            "these events, or split the rule\n"
            "  note a.vigil:2:6: the rule applies to `fork` here");
}

TEST(SemaRules, ExtensionsMayNotChangeOnWhenOrDescription) {
  auto a = analyze_texts(
      {{"a.vigil", "rule r {\n  on exec\n}\n"},
       {"b.vigil",
        "extend rule r {\n  on fork\n  when true\n  description \"x\"\n  severity low\n"
        "  severity high\n}\n"}});
  EXPECT_EQ(a->errors(),
            (Lines{
                "b.vigil:2:3: error[clause-not-allowed]: `extend rule` cannot change `on`",
                "b.vigil:3:3: error[clause-not-allowed]: `extend rule` cannot change `when`",
                "b.vigil:4:3: error[clause-not-allowed]: `extend rule` cannot change "
                "`description`",
                "b.vigil:6:3: error[duplicate-clause]: duplicate `severity` clause in extension "
                "of rule `r`",
            }));
  EXPECT_EQ(a->sorted()[0].hint,
            "an extension may add `except` and `tags`, and replace `severity`, `action`, "
            "`output`, `enabled`, `mode`, `fallback` and `dedup`; to change the condition, add an "
            "`except`");
}

TEST(SemaRules, EmptyTagIsInvalid) {
  auto a = analyze_text("rule r {\n  on exec\n  tags [ok, \"\"]\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:3:13: error[invalid-tag]: a tag cannot be empty"});
}

// ---- Output templates -----------------------------------------------------------------

TEST(SemaOutput, FieldsAndLiteralBraces) {
  auto a =
      analyze_text("rule r {\n  on exec\n  output \"{{pid}} {process.pid}: {process.exe}}}\"\n}\n");
  EXPECT_EQ(a->headlines(), Lines{});
  const std::vector<ir::OutputSegment>& output = a->rule("r").output;
  ASSERT_EQ(output.size(), 5u);
  EXPECT_EQ(output[0].text, "{pid} ");
  EXPECT_EQ(output[1].field, find_field("process.pid"));
  EXPECT_EQ(output[2].text, ": ");
  EXPECT_EQ(output[3].field, find_field("process.exe"));
  EXPECT_EQ(output[4].text, "}");
}

TEST(SemaOutput, BraceErrorsPointInsideTheString) {
  auto a = analyze_text("rule r {\n  on exec\n  output \"a } b {} c {process.exe d {nope}\"\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:3:13: error[invalid-template]: unmatched `}` in output template\n"
            "  hint: write `}}` for a literal `}`");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:3:17: error[invalid-template]: empty `{}` in output template\n"
            "  hint: put a field name inside, e.g. `{process.exe}`, or write `{{}}` for literal "
            "braces");
  EXPECT_EQ(a->text(sorted[1].range), "{}");
  EXPECT_EQ(full(a->sources, sorted[2]),
            "a.vigil:3:22: error[invalid-template]: unclosed `{` in output template\n"
            "  hint: write `{{` for a literal `{`, or close the field: `{process.exe}`");
  EXPECT_EQ(headline(a->sources, sorted[3]),
            "a.vigil:3:38: error[unknown-field]: unknown field `nope` in output template");
  EXPECT_EQ(a->text(sorted[3].range), "nope");
}

TEST(SemaOutput, PositionsAccountForEscapes) {
  auto a = analyze_text("rule r {\n  on exec\n  output \"\\x41\\\"\\t{process.exee}\"\n}\n");
  EXPECT_EQ(a->only("unknown-field"),
            "a.vigil:3:20: error[unknown-field]: unknown field `process.exee` in output template\n"
            "  hint: did you mean `process.exe`?");
  EXPECT_EQ(a->text(a->sorted()[0].range), "process.exee");
}

TEST(SemaOutput, FieldsMustExistOnEveryEvent) {
  auto a = analyze_text(
      "rule r {\n  on exec, file.open\n  output \"{file.path} by {process.exe}\"\n}\n");
  EXPECT_EQ(a->only("field-not-on-event"),
            "a.vigil:3:12: error[field-not-on-event]: output field `file.path` is not available "
            "on event `exec`\n"
            "  hint: `file.path` exists on: file.open, file.rename, file.unlink, file.chmod, "
            "file.chown, file.link, file.symlink, file.mkdir");
}

TEST(SemaOutput, ExtensionReplacesTheOutput) {
  auto a = analyze_texts({{"a.vigil", "rule r {\n  on exec\n  output \"old\"\n}\n"},
                          {"b.vigil", "extend rule r {\n  output \"new {process.comm}\"\n}\n"}});
  EXPECT_EQ(a->headlines(), Lines{});
  const std::vector<ir::OutputSegment>& output = a->rule("r").output;
  ASSERT_EQ(output.size(), 2u);
  EXPECT_EQ(output[0].text, "new ");
  EXPECT_EQ(output[1].field, find_field("process.comm"));
}

// ---- Fields against events ------------------------------------------------------------

TEST(SemaEventFields, DirectUseNamesTheMissingEvents) {
  auto a = analyze_text(
      "rule r {\n  on exec, fork, file.open\n  when file.path == \"/etc/shadow\"\n}\n");
  EXPECT_EQ(a->only("field-not-on-event"),
            "a.vigil:3:8: error[field-not-on-event]: field `file.path` is not available on "
            "events `exec` and `fork`\n"
            "  hint: `file.path` exists on: file.open, file.rename, file.unlink, file.chmod, "
            "file.chown, file.link, file.symlink, file.mkdir");
}

TEST(SemaEventFields, ThroughNestedMacrosPointsAtTheUseInTheRule) {
  auto a = analyze_texts(
      {{"macros.vigil",
        "macro inner = net.dport == 22\nmacro outer = process.uid == 0 and inner\n"},
       {"rules.vigil", "rule r {\n  on exec\n  when process.pid > 1 and outer\n}\n"}});
  EXPECT_EQ(a->only("field-not-on-event"),
            "rules.vigil:3:28: error[field-not-on-event]: macro `outer` uses field `net.dport`, "
            "which is not available on event `exec`\n"
            "  hint: `net.dport` exists on: net.connect, net.bind, net.listen, net.accept\n"
            "  note macros.vigil:1:15: `net.dport` is used here");
}

TEST(SemaEventFields, ExceptFromAnExtensionIsChecked) {
  auto a = analyze_texts({{"a.vigil", "rule r {\n  on exec\n}\n"},
                          {"b.vigil", "extend rule r {\n  except fork.child_pid == 1\n}\n"}});
  EXPECT_EQ(a->errors(), Lines{"b.vigil:2:10: error[field-not-on-event]: field `fork.child_pid` "
                               "is not available on event `exec`"});
}

TEST(SemaEventFields, FieldCompareChecksBothFields) {
  auto a = analyze_text("rule r {\n  on file.chown\n  when file.uid == setuid.uid\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:3:20: error[field-not-on-event]: field `setuid.uid` is "
                               "not available on event `file.chown`"});
}

TEST(SemaEventFields, OneErrorPerFieldPerCondition) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  when file.path == \"a\" or file.path == \"b\"\n"
      "  except file.path == \"c\"\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:8: error[field-not-on-event]: field `file.path` is not available on "
                "event `exec`",
                "a.vigil:4:10: error[field-not-on-event]: field `file.path` is not available on "
                "event `exec`",
            }));
}

}  // namespace
}  // namespace vigil::sema_test
