// Type checking of conditions: fields, operators, operands, literals.
#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;

// A rule on `events` whose condition is `condition`, on line 3 column 8.
std::unique_ptr<Analysis> check_condition(const std::string& condition,
                                          const std::string& events = "exec") {
  return analyze_text("rule r {\n  on " + events + "\n  when " + condition + "\n}\n");
}

TEST(SemaTypes, UnknownFieldSuggestsByEditDistanceAndByLastComponent) {
  auto a = check_condition("proces.exe == \"x\" or exe == \"y\" or process.cmd == \"z\"");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:8: error[unknown-field]: unknown field `proces.exe`",
                "a.vigil:3:29: error[expected-field]: the left side of `==` must be a field, not "
                "`exe`",
                "a.vigil:3:43: error[unknown-field]: unknown field `process.cmd`",
            }));
  std::vector<std::optional<std::string>> hints;
  for (const Diagnostic& d : a->sorted()) hints.push_back(d.hint);
  EXPECT_EQ(hints, (std::vector<std::optional<std::string>>{"did you mean `process.exe`?",
                                                            "did you mean `process.exe`?",
                                                            "did you mean `process.cmdline`?"}));
}

TEST(SemaTypes, NoImplicitConversions) {
  auto a = check_condition("process.pid == \"1\" or process.exe == 1 or file.write == \"true\"",
                           "file.open");
  EXPECT_EQ(a->only("type-mismatch"), "3 diagnostics with code type-mismatch");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 3u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:3:23: error[type-mismatch]: cannot compare `process.pid` (int) with `\"1\"` "
            "(string)\n  hint: numbers are written without quotes: `1`");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:3:45: error[type-mismatch]: cannot compare `process.exe` (string) with `1` "
            "(int)\n  hint: strings are written in double quotes: `\"1\"`");
  EXPECT_EQ(full(a->sources, sorted[2]),
            "a.vigil:3:64: error[type-mismatch]: cannot compare `file.write` (bool) with "
            "`\"true\"` (string)\n  hint: booleans are written without quotes: `true`");
}

TEST(SemaTypes, IntLiteralBecomesPortWithRangeCheck) {
  auto a =
      check_condition("net.dport == 65535 or net.dport == 65536 or net.sport < -1", "net.connect");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:43: error[port-out-of-range]: port `65536` is out of range: ports are "
                "0 to 65535",
                "a.vigil:3:64: error[port-out-of-range]: port `-1` is out of range: ports are 0 "
                "to 65535",
            }));
}

TEST(SemaTypes, PortRangeInNamedListIsReportedOnceAtTheItem) {
  auto a = analyze_text(
      "list ports = [22, 80, 99999]\n"
      "rule r {\n  on net.connect\n  when net.dport in ports\n}\n"
      "rule s {\n  on net.bind\n  when net.sport in ports\n}\n");
  EXPECT_EQ(a->only("port-out-of-range"),
            "a.vigil:1:23: error[port-out-of-range]: port `99999` in list `ports` is out of range: "
            "ports are 0 to 65535\n"
            "  note a.vigil:4:21: the list is compared with port field `net.dport` here");
}

TEST(SemaTypes, NamedListOfTheWrongType) {
  auto a = analyze_text(
      "list shells = [\"/bin/sh\"]\n"
      "rule r {\n  on exec\n  when process.pid in shells\n}\n");
  EXPECT_EQ(a->only("type-mismatch"),
            "a.vigil:4:23: error[type-mismatch]: list `shells` holds string items, but "
            "`process.pid` is an int\n"
            "  note a.vigil:1:6: the list is defined here");
}

TEST(SemaTypes, ListItemsMustMatchTheField) {
  auto a = check_condition("process.pid in [1, \"2\", 3, 4s]");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:27: error[type-mismatch]: cannot compare `process.pid` (int) with list "
                "item `\"2\"` (string)",
                "a.vigil:3:35: error[type-mismatch]: cannot compare `process.pid` (int) with list "
                "item `4s` (duration)",
            }));
}

TEST(SemaTypes, MixedNamedListIsAnErrorAtTheDefinition) {
  auto a = analyze_text(
      "list a = [1]\nlist b = [\"x\"]\nlist c = [a, b]\nlist d = [\"x\", 2]\n"
      "rule r {\n  on exec\n  when process.pid in c or process.pid in d\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:14: error[type-mismatch]: list `c` mixes int and string items",
                "a.vigil:4:16: error[type-mismatch]: list `d` mixes string and int items",
            }));
}

TEST(SemaTypes, IpMembershipAcceptsNetworksAndAddresses) {
  auto a = analyze_text(
      "list nets = [10.0.0.0/8, ::1]\n"
      "rule r {\n  on net.connect\n"
      "  when net.daddr in nets or net.daddr in 192.168.0.0/16 or net.daddr in 10.1.1.1 or "
      "net.daddr == ::ffff:10.1.2.3\n}\n");
  EXPECT_EQ(a->headlines(), Lines{});
  ASSERT_TRUE(a->policy);
}

TEST(SemaTypes, IpEqualityWithNetworkSuggestsIn) {
  auto a = check_condition("net.daddr == 10.0.0.0/8", "net.connect");
  EXPECT_EQ(a->only("type-mismatch"),
            "a.vigil:3:21: error[type-mismatch]: cannot compare `net.daddr` (ip) with `10.0.0.0/8` "
            "(network)\n"
            "  hint: to test whether an address is inside a network, use `in`: `net.daddr in "
            "10.0.0.0/8`");
}

TEST(SemaTypes, OrderingNeedsAnOrderableField) {
  auto a = check_condition("process.exe < \"b\" or file.write >= true", "file.open");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:20: error[invalid-operator]: `<` needs an int, port or duration field, "
                "but `process.exe` is a string",
                "a.vigil:3:40: error[invalid-operator]: `>=` needs an int, port or duration field, "
                "but `file.write` is a bool",
            }));
}

TEST(SemaTypes, StringOperatorsNeedAStringField) {
  auto a = check_condition(
      "process.pid startswith \"1\" or process.uid glob \"1*\" or process.gid matches \"1\"");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:20: error[invalid-operator]: `startswith` needs a string field, but "
                "`process.pid` is an int",
                "a.vigil:3:50: error[invalid-operator]: `glob` needs a string field, but "
                "`process.uid` is an int",
                "a.vigil:3:75: error[invalid-operator]: `matches` needs a string field, but "
                "`process.gid` is an int",
            }));
}

TEST(SemaTypes, GlobAndMatchesNeedAStringLiteral) {
  auto a = analyze_text(
      "list patterns = [\"a*\"]\n"
      "rule r {\n  on exec\n"
      "  when process.exe glob patterns or process.exe matches process.comm or "
      "process.exe glob 1\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:4:25: error[invalid-operand]: `glob` needs a string literal on the right",
                "a.vigil:4:57: error[invalid-operand]: `matches` needs a string literal on the "
                "right",
                "a.vigil:4:90: error[invalid-operand]: `glob` needs a string literal on the right",
            }));
  EXPECT_EQ(a->warnings(), Lines{});  // the list counts as used
}

TEST(SemaTypes, InvalidRegexQuotesRe2) {
  auto a = check_condition("process.cmdline matches \"curl (-o\"");
  EXPECT_EQ(a->only("invalid-regex"),
            "a.vigil:3:32: error[invalid-regex]: invalid regular expression: missing ): curl (-o");
}

TEST(SemaTypes, InNeedsAList) {
  auto a =
      check_condition("process.pid in 1 or process.exe in process.comm or process.pid not in 2");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:23: error[invalid-operand]: `in` needs a list on the right, e.g. `[1]` "
                "or the name of a list",
                "a.vigil:3:43: error[invalid-operand]: `in` needs a list on the right, not a field",
                "a.vigil:3:78: error[invalid-operand]: `not in` needs a list on the right, e.g. "
                "`[2]` or the name of a list",
            }));
  const std::vector<Diagnostic> sorted = a->sorted();
  EXPECT_EQ(sorted[0].hint, "to compare with one value, use `==`");
  EXPECT_EQ(sorted[2].hint, "to compare with one value, use `!=`");
}

TEST(SemaTypes, EqualityWithAListSuggestsIn) {
  auto a = analyze_text(
      "list shells = [\"/bin/sh\"]\n"
      "rule r {\n  on exec\n  when process.exe == shells or process.exe != [\"a\"]\n}\n");
  const std::vector<Diagnostic> sorted = a->sorted();
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(full(a->sources, sorted[0]),
            "a.vigil:4:23: error[invalid-operand]: `==` compares with one value, not a list\n"
            "  hint: to test membership, use `in`: `process.exe in shells`");
  EXPECT_EQ(full(a->sources, sorted[1]),
            "a.vigil:4:48: error[invalid-operand]: `!=` compares with one value, not a list\n"
            "  hint: to test membership, use `not in`: `process.exe not in [...]`");
}

TEST(SemaTypes, SubstringTestsTakeAStringOrAListOfStrings) {
  auto a = analyze_text(
      "list prefixes = [\"/tmp/\", \"/dev/shm/\"]\n"
      "rule r {\n  on exec\n"
      "  when process.exe startswith prefixes or process.exe endswith \".sh\" or "
      "process.exe contains [\"x\", prefixes] or process.exe contains process.comm\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:4:134: error[invalid-operand]: `contains` needs a string "
                               "or a list of strings on the right, not a field"});
}

TEST(SemaTypes, LiteralOnTheLeftIsRejectedWithTheSwappedForm) {
  auto a = check_condition("0 < process.uid");
  EXPECT_EQ(a->only("expected-field"),
            "a.vigil:3:8: error[expected-field]: the left side of `<` must be a field, not `0`\n"
            "  hint: put the field first: `process.uid > 0`");
}

TEST(SemaTypes, FieldComparisons) {
  auto a = check_condition(
      "process.uid != process.euid or process.pid < process.ppid or process.pid == "
      "process.exe or process.args == process.exe");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:84: error[type-mismatch]: cannot compare `process.pid` (int) with "
                "`process.exe` (string)",
                "a.vigil:3:99: error[multi-valued-field]: `process.args` holds several values and "
                "cannot be compared with another field",
            }));
}

TEST(SemaTypes, NotAConditionErrors) {
  // (A list in condition position is a syntax error; see the hand-built tests.)
  auto a = check_condition("\"yes\" or process.exe or 42");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:8: error[not-a-condition]: `\"yes\"` is a string, not a condition",
                "a.vigil:3:17: error[not-a-condition]: `process.exe` is a string field, not a "
                "condition",
                "a.vigil:3:32: error[not-a-condition]: `42` is an int, not a condition",
            }));
}

TEST(SemaTypes, BoolFieldAloneIsACondition) {
  auto a = check_condition("file.write and not file.write == false", "file.open");
  EXPECT_EQ(a->headlines(), Lines{});
  ASSERT_TRUE(a->policy);
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.kind, ir::Predicate::Kind::And);
  EXPECT_EQ(when.children[0].kind, ir::Predicate::Kind::Test);
  EXPECT_EQ(when.children[0].op, ir::TestOp::Eq);
  EXPECT_EQ(when.children[0].operands, std::vector<Value>{true});
}

TEST(SemaTypes, ErrorsInMacroBodiesAreReportedOnceAtTheMacro) {
  auto a = analyze_text(
      "macro bad = process.pid == \"1\"\n"
      "rule r {\n  on exec\n  when bad\n}\n"
      "rule s {\n  on exec\n  when bad or bad\n}\n");
  EXPECT_EQ(a->errors(), Lines{"a.vigil:1:28: error[type-mismatch]: cannot compare `process.pid` "
                               "(int) with `\"1\"` (string)"});
}

TEST(SemaTypes, AllErrorsOfAllRulesAreReported) {
  auto a = analyze_text(
      "rule r1 {\n  on exec\n  when process.pid == \"1\"\n}\n"
      "rule r2 {\n  on exec\n  when process.nope == 1\n  except process.exe == 2\n}\n");
  EXPECT_EQ(a->errors(),
            (Lines{
                "a.vigil:3:23: error[type-mismatch]: cannot compare `process.pid` (int) with "
                "`\"1\"` (string)",
                "a.vigil:7:8: error[unknown-field]: unknown field `process.nope`",
                "a.vigil:8:25: error[type-mismatch]: cannot compare `process.exe` (string) with "
                "`2` (int)",
            }));
}

}  // namespace
}  // namespace vigil::sema_test
