// Semantic errors on real policy text: every diagnostic the analyser emits,
// with its exact message, location, hint and notes.
#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;

// ---- Names and declarations ---------------------------------------------------------

TEST(SemaNames, DuplicateRuleAcrossFilesSuggestsExtend) {
  auto a = analyze_texts(
      {{"b.vigil", "rule r {\n  on exec\n}\n"}, {"a.vigil", "# first\nrule r {\n  on fork\n}\n"}});
  EXPECT_EQ(a->only("duplicate-definition"),
            "b.vigil:1:6: error[duplicate-definition]: `r` is already defined\n"
            "  hint: to change a rule defined elsewhere, use `extend rule NAME { ... }` or "
            "`disable rule NAME`\n"
            "  note a.vigil:2:6: previous definition here");
  EXPECT_FALSE(a->policy);
}

TEST(SemaNames, DuplicateListSuggestsExtendList) {
  auto a = analyze_text("list l = [1]\nlist l = [2]\n");
  EXPECT_EQ(a->only("duplicate-definition"),
            "a.vigil:2:6: error[duplicate-definition]: `l` is already defined\n"
            "  hint: to add items to a list defined elsewhere, use `extend list NAME [ ... ]`\n"
            "  note a.vigil:1:6: previous definition here");
}

TEST(SemaNames, RuleMacroAndListShareOneNamespace) {
  auto a = analyze_text(
      "macro m = process.pid == 1\n"
      "rule m {\n  on exec\n}\n");
  EXPECT_EQ(a->errors(),
            Lines{"a.vigil:2:6: error[duplicate-definition]: `m` is already defined as a macro"});
}

TEST(SemaNames, ExtendingTheWrongKind) {
  auto a = analyze_text(
      "macro m = process.pid == 1\n"
      "list l = [1]\n"
      "extend rule l {\n  severity low\n}\n"
      "extend list m [2]\n"
      "disable rule m\n");
  EXPECT_EQ(a->errors(), (Lines{
                             "a.vigil:3:13: error[wrong-kind]: `l` is a list, not a rule",
                             "a.vigil:6:13: error[wrong-kind]: `m` is a macro, not a list",
                             "a.vigil:7:14: error[wrong-kind]: `m` is a macro, not a rule",
                         }));
}

TEST(SemaNames, UnknownMacroSuggestsTheClosest) {
  auto a = analyze_text(
      "macro spawned_by_web_server = parent.comm == \"nginx\"\n"
      "rule r {\n  on exec\n  when spawned_by_webserver\n}\n");
  EXPECT_EQ(a->only("unknown-macro"),
            "a.vigil:4:8: error[unknown-macro]: unknown macro `spawned_by_webserver`\n"
            "  hint: did you mean `spawned_by_web_server`?");
}

TEST(SemaNames, UnknownListInConditionAndInList) {
  auto a = analyze_text(
      "list shells = [\"/bin/sh\"]\n"
      "list more = [shell, \"/bin/zsh\"]\n"
      "rule r {\n  on exec\n  when process.exe in shels or process.exe in more\n}\n");
  EXPECT_EQ(a->errors(), (Lines{
                             "a.vigil:2:14: error[unknown-list]: unknown list `shell`",
                             "a.vigil:5:23: error[unknown-list]: unknown list `shels`",
                         }));
  for (const Diagnostic& d : a->sorted()) {
    if (d.code == "unknown-list") {
      EXPECT_EQ(d.hint, "did you mean `shells`?");
    }
  }
}

TEST(SemaNames, WrongKindInExpressionAndListPositions) {
  auto a = analyze_text(
      "list shells = [\"/bin/sh\"]\n"
      "macro root = process.uid == 0\n"
      "list bad = [root]\n"
      "rule r {\n  on exec\n  when shells or process.exe in root or r\n}\n");
  EXPECT_EQ(a->errors(), (Lines{
                             "a.vigil:3:13: error[wrong-kind]: `root` is a macro, not a list",
                             "a.vigil:6:8: error[wrong-kind]: `shells` is a list, not a condition",
                             "a.vigil:6:33: error[wrong-kind]: `root` is a macro, not a list",
                             "a.vigil:6:41: error[wrong-kind]: `r` is a rule, not a macro",
                         }));
  for (const Diagnostic& d : a->sorted()) {
    if (d.message == "`shells` is a list, not a condition") {
      EXPECT_EQ(d.hint, "use a list on the right of `in`, e.g. `process.exe in shells`");
      ASSERT_EQ(d.related.size(), 1u);
      EXPECT_EQ(position(a->sources, d.related[0].range), "a.vigil:1:6");
    }
  }
}

TEST(SemaNames, DuplicatesAndOrphanExtensionsAreStillChecked) {
  auto a = analyze_texts(
      {{"a.vigil",
        "list shells = [\"/bin/sh\"]\nmacro root = process.uid == 0\n"
        "rule r {\n  on exec\n}\n"},
       {"b.vigil",
        "rule r {\n  on exec\n  when root and process.pid == \"1\"\n}\n"
        "extend rule nope {\n  except process.exe in shells or process.exe == 1\n}\n"}});
  EXPECT_EQ(a->errors(),
            (Lines{
                "b.vigil:1:6: error[duplicate-definition]: `r` is already defined",
                "b.vigil:3:32: error[type-mismatch]: cannot compare `process.pid` (int) with "
                "`\"1\"` (string)",
                "b.vigil:5:13: error[unknown-rule]: `extend rule` names an unknown rule `nope`",
                "b.vigil:6:50: error[type-mismatch]: cannot compare `process.exe` (string) with "
                "`1` (int)",
            }));
  // `root` and `shells` are used by the orphans: no "never used" on top.
  EXPECT_EQ(a->warnings(), Lines{});
}

// ---- Cycles -----------------------------------------------------------------------

TEST(SemaCycles, MacroCycleAcrossFilesPrintsEveryStep) {
  auto a = analyze_texts({{"a.vigil", "macro a = b and process.pid == 1\n"},
                          {"b.vigil", "macro b = not c\n"},
                          {"c.vigil", "macro c = (a)\nrule r {\n  on exec\n  when a\n}\n"}});
  EXPECT_EQ(a->errors(), Lines{"a.vigil:1:7: error[cycle]: macro cycle: a -> b -> c -> a"});
  EXPECT_EQ(a->only("cycle"),
            "a.vigil:1:7: error[cycle]: macro cycle: a -> b -> c -> a\n"
            "  hint: a macro cannot use itself, directly or through others\n"
            "  note a.vigil:1:11: `a` uses `b` here\n"
            "  note b.vigil:1:15: `b` uses `c` here\n"
            "  note c.vigil:1:12: `c` uses `a` here");
}

TEST(SemaCycles, SelfReferentialList) {
  auto a = analyze_text("list l = [1, l]\nrule r {\n  on exec\n  when process.pid in l\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:1:6: error[cycle]: list cycle: l -> l"});
}

TEST(SemaCycles, TwoListCycleThroughExtendList) {
  auto a = analyze_texts(
      {{"a.vigil", "list x = [y]\nlist y = [1]\n"}, {"b.vigil", "extend list y [x]\n"}});
  EXPECT_EQ(a->only("cycle"),
            "a.vigil:1:6: error[cycle]: list cycle: x -> y -> x\n"
            "  hint: a list cannot use itself, directly or through others\n"
            "  note a.vigil:1:11: `x` uses `y` here\n"
            "  note b.vigil:1:16: `y` uses `x` here");
}

TEST(SemaCycles, LongMacroChainIsFineAndFast) {
  std::string text;
  const int length = 5000;
  for (int i = 0; i < length; ++i)
    text += "macro m" + std::to_string(i) + " = m" + std::to_string(i + 1) + "\n";
  text += "macro m" + std::to_string(length) + " = process.pid == 1\n";
  text += "rule r {\n  on exec\n  when m0\n}\n";
  auto a = analyze_text(text);
  EXPECT_EQ(a->errors(), Lines{});
  ASSERT_TRUE(a->policy);
  EXPECT_EQ(a->rule("r").when.kind, ir::Predicate::Kind::Test);
}

TEST(SemaCycles, VeryLongCycleIsReportedWithoutPrintingIt) {
  std::string text;
  const int length = 1000;
  for (int i = 0; i < length; ++i)
    text += "macro m" + std::to_string(i) + " = m" + std::to_string((i + 1) % length) + "\n";
  auto a = analyze_text(text);
  EXPECT_EQ(a->errors(),
            Lines{"a.vigil:1000:14: error[cycle]: macro cycle: `m999` uses `m0`, which leads back "
                  "to `m999` (the cycle is too long to print)"});
}

// ---- Expansion limits -----------------------------------------------------------------

TEST(SemaLimits, ExponentialMacroExpansionIsRefused) {
  std::string text = "macro m0 = process.pid == 1\n";
  for (int i = 1; i <= 40; ++i)
    text += "macro m" + std::to_string(i) + " = m" + std::to_string(i - 1) + " or m" +
            std::to_string(i - 1) + "\n";
  text += "rule r {\n  on exec\n  when m40\n}\n";
  auto a = analyze_text(text);
  EXPECT_FALSE(a->policy);
  ASSERT_GE(a->diagnostics.error_count(), 1u);
  EXPECT_EQ(a->sorted()[0].code, "expansion-too-large");
  EXPECT_EQ(a->sorted()[0].message,
            "condition is too large after expanding macros and lists (more than 500000 tests "
            "and values)");
}

TEST(SemaLimits, TotalExpansionOfThePolicySetIsBounded) {
  // One list of 40,000 ports used by 110 rules: each rule is fine, together
  // too big; the 100th rule crosses the line.
  std::string text = "list ports = [";
  for (int i = 0; i < 40000; ++i) text += (i ? ", " : "") + std::to_string(i);
  text += "]\n";
  for (int i = 0; i < 110; ++i)
    text += "rule r" + std::to_string(i) + " {\n  on net.connect\n  when net.dport in ports\n}\n";
  auto a = analyze_text(text);
  EXPECT_FALSE(a->policy);
  const std::vector<std::string> errors = a->errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(
      errors[0],
      "a.vigil:400:8: error[expansion-too-large]: the policy set is too large after expanding "
      "macros and lists (more than 4000000 tests and values in all)");
}

TEST(SemaLimits, ExponentialListExpansionIsRefused) {
  std::string text = "list l0 = [\"a\", \"b\"]\n";
  for (int i = 1; i <= 40; ++i)
    text += "list l" + std::to_string(i) + " = [l" + std::to_string(i - 1) + ", l" +
            std::to_string(i - 1) + "]\n";
  text += "rule r {\n  on exec\n  when process.exe in l40\n}\n";
  auto a = analyze_text(text);
  // Items are deduplicated as lists flatten, so this stays small and valid.
  EXPECT_EQ(a->errors(), Lines{});
  ASSERT_TRUE(a->policy);
  EXPECT_EQ(a->rule("r").when.operands, (std::vector<Value>{std::string("a"), std::string("b")}));
}

TEST(SemaLimits, DeepMacroNestingIsRefused) {
  std::string text = "macro m0 = process.pid == 1\n";
  for (int i = 1; i <= 1100; ++i)
    text += "macro m" + std::to_string(i) + " = not m" + std::to_string(i - 1) + "\n";
  text += "rule r {\n  on exec\n  when m1100\n}\n";
  auto a = analyze_text(text);
  EXPECT_FALSE(a->policy);
  ASSERT_GE(a->diagnostics.error_count(), 1u);
  const std::vector<Diagnostic> sorted = a->sorted();
  const Diagnostic& first = sorted[0];
  EXPECT_EQ(first.code, "nesting-too-deep");
  EXPECT_EQ(headline(a->sources, first),
            "a.vigil:1025:19: error[nesting-too-deep]: condition nests too deeply after "
            "expanding macro `m1023` (the limit is 1024 levels)");
  EXPECT_EQ(a->diagnostics.error_count(), 1u);  // the macros and rule above it stay quiet
}

}  // namespace
}  // namespace vigil::sema_test
