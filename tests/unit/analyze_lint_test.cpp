// Warnings: valid policies that are probably not what the author meant.
#include <gtest/gtest.h>

#include "compiler/lint.h"
#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;

TEST(SemaLint, UnusedListsAndMacros) {
  auto a = analyze_text(
      "list used_list = [1]\nlist nested = [2]\nlist outer = [nested]\nlist spare = [3]\n"
      "macro used_macro = process.pid in used_list\nmacro spare_macro = process.pid == 1\n"
      "rule r {\n  on exec\n  when used_macro or process.pid in outer\n}\n");
  EXPECT_EQ(a->headlines(), (Lines{
                                "a.vigil:4:6: warning[unused-list]: list `spare` is never used",
                                "a.vigil:6:7: warning[unused-macro]: macro `spare_macro` is never "
                                "used",
                            }));
  EXPECT_TRUE(a->policy);  // warnings do not stop lowering
}

TEST(SemaLint, ConstantWhenAndExcept) {
  auto a = analyze_text(
      "macro never = process.pid in []\n"
      "rule always {\n  on exec\n  when true\n}\n"
      "rule empty {\n  on exec\n  when process.exe in [] and process.pid == 1\n}\n"
      "rule via_macro {\n  on exec\n  when not never\n  except false\n  except not false\n}\n"
      "rule not_constant {\n  on exec\n  when process.pid == 1 or false\n}\n"
      "rule no_prefixes {\n  on exec\n  when process.exe startswith []\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  EXPECT_EQ(a->headlines(),
            (Lines{
                "a.vigil:4:8: warning[constant-condition]: the `when` condition of rule `always` "
                "is always true",
                "a.vigil:8:8: warning[constant-condition]: the `when` condition of rule `empty` "
                "is always false: it never matches",
                "a.vigil:12:8: warning[constant-condition]: the `when` condition of rule "
                "`via_macro` is always true",
                "a.vigil:13:10: warning[constant-condition]: this `except` of rule `via_macro` is "
                "always false: it never suppresses anything",
                "a.vigil:14:10: warning[constant-condition]: this `except` of rule `via_macro` is "
                "always true: the rule never matches",
                "a.vigil:22:8: warning[constant-condition]: the `when` condition of rule "
                "`no_prefixes` is always false: it never matches",
            }));
  EXPECT_EQ(sorted[0].hint, "without `when`, a rule matches every event it is `on`");
}

TEST(SemaLint, UserSpaceEvaluationOncePerRuleAndAnErrorForKill) {
  auto a = analyze_text(
      "macro root_by_name = user.name == \"root\"\n"
      "rule r {\n  on exec\n  when process.exe matches \"^/tmp/\" and process.container_id == "
      "\"\"\n}\n"
      "rule s {\n  on exec\n  when process.pid == 1\n  except root_by_name\n  action kill\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:4:20: warning[user-space-evaluation]: rule `r` is evaluated in user space "
            "because of `matches`\n"
            "  hint: the kernel cannot decide this test, so candidate events are copied to user "
            "space");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:9:10: error[action-needs-kernel]: rule `s` has action `kill`, which must be "
            "decided in the kernel, but it depends on field `user.name` in macro `root_by_name`, "
            "which only user space can evaluate\n"
            "  hint: use `action alert`, or test only fields computed in the kernel (see "
            "docs/fields.md)\n"
            "  note a.vigil:1:22: field `user.name` is used here");
}

TEST(SemaLint, MalformedAttackTags) {
  auto a = analyze_text(
      "rule r {\n  on exec\n  tags [t1059, T105, T1059.4, T1059., T10599, T1059.0001, T1059.004, "
      "tier2, web]\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  std::vector<std::string> lines;
  for (const Diagnostic& d : sorted) lines.push_back(full(a->sources, d));
  EXPECT_EQ(lines,
            (Lines{
                "a.vigil:3:9: warning[malformed-attack-tag]: tag `t1059` looks like an ATT&CK id, "
                "but ATT&CK ids start with an upper-case `T`\n  hint: did you mean `T1059`?",
                "a.vigil:3:16: warning[malformed-attack-tag]: tag `T105` looks like an ATT&CK "
                "technique id, but technique ids have four digits\n"
                "  hint: ATT&CK ids look like `T1059` or `T1059.004`",
                "a.vigil:3:22: warning[malformed-attack-tag]: tag `T1059.4` looks like an ATT&CK "
                "id, but sub-technique ids have three digits\n  hint: did you mean `T1059.004`?",
                "a.vigil:3:31: warning[malformed-attack-tag]: tag `T1059.` looks like an ATT&CK "
                "id, but ends with a `.`\n  hint: did you mean `T1059`?",
                "a.vigil:3:39: warning[malformed-attack-tag]: tag `T10599` looks like an ATT&CK "
                "technique id, but technique ids have four digits\n"
                "  hint: ATT&CK ids look like `T1059` or `T1059.004`",
                "a.vigil:3:47: warning[malformed-attack-tag]: tag `T1059.0001` looks like an "
                "ATT&CK id, but sub-technique ids have three digits\n"
                "  hint: ATT&CK ids look like `T1059` or `T1059.004`",
            }));
  ASSERT_TRUE(a->policy);
}

TEST(SemaLint, AttackTagShapes) {
  EXPECT_FALSE(attack_tag_problem("T1059"));
  EXPECT_FALSE(attack_tag_problem("T1059.004"));
  EXPECT_FALSE(attack_tag_problem("web"));
  EXPECT_FALSE(attack_tag_problem("Tomcat"));
  EXPECT_FALSE(attack_tag_problem("T1059.x"));
  EXPECT_FALSE(attack_tag_problem("T"));
  ASSERT_TRUE(attack_tag_problem("t1059.004"));
  EXPECT_EQ(attack_tag_problem("t1059.004")->fix, "T1059.004");
  ASSERT_TRUE(attack_tag_problem("T1"));
  EXPECT_FALSE(attack_tag_problem("T1")->fix);
}

TEST(SemaLint, WarningsAreReportedAlongsideErrors) {
  auto a = analyze_text(
      "list spare = [1]\nrule r {\n  on exec\n  when process.pid == \"x\"\n  tags [t1059]\n}\n");
  EXPECT_EQ(a->headlines(),
            (Lines{
                "a.vigil:1:6: warning[unused-list]: list `spare` is never used",
                "a.vigil:4:23: error[type-mismatch]: cannot compare `process.pid` (int) with "
                "`\"x\"` (string)",
                "a.vigil:5:9: warning[malformed-attack-tag]: tag `t1059` looks like an ATT&CK id, "
                "but ATT&CK ids start with an upper-case `T`",
            }));
}

}  // namespace
}  // namespace vigil::sema_test
