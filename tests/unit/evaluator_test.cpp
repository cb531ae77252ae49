#include "compiler/evaluator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "compiler/frontend.h"
#include "compiler/regex_cache.h"

namespace vigil {
namespace {

using ir::Predicate;
using ir::TestOp;
using Kind = ir::Predicate::Kind;
using namespace std::chrono_literals;

FieldId field(std::string_view name) {
  auto id = find_field(name);
  EXPECT_TRUE(id) << name;
  return id.value_or(0);
}

IpAddress ip(std::string_view text) {
  return IpAddress::parse(text).value();
}
IpNetwork net(std::string_view text) {
  return IpNetwork::parse(text).value();
}

Predicate test(std::string_view name, TestOp op, std::vector<Value> operands,
               SourceRange origin = {}) {
  Predicate p;
  p.kind = Kind::Test;
  p.field = field(name);
  p.op = op;
  p.operands = std::move(operands);
  p.origin = origin;
  return p;
}

Predicate compare_fields(std::string_view left, TestOp op, std::string_view right,
                         SourceRange origin = {}) {
  Predicate p;
  p.kind = Kind::FieldCompare;
  p.field = field(left);
  p.op = op;
  p.other_field = field(right);
  p.origin = origin;
  return p;
}

Predicate combine(Kind kind, std::vector<Predicate> children, SourceRange origin = {}) {
  Predicate p;
  p.kind = kind;
  p.children = std::move(children);
  p.origin = origin;
  return p;
}
Predicate all_of(std::vector<Predicate> children) {
  return combine(Kind::And, std::move(children));
}
Predicate any_of(std::vector<Predicate> children) {
  return combine(Kind::Or, std::move(children));
}
Predicate negate(Predicate child, SourceRange origin = {}) {
  std::vector<Predicate> children;
  children.push_back(std::move(child));
  return combine(Kind::Not, std::move(children), origin);
}

Event exec_event(std::string exe) {
  Event event(EventKind::Exec);
  event.set(field("process.exe"), std::move(exe));
  return event;
}

bool holds(const Predicate& p, const Event& event) {
  return evaluate(p, event);
}

// ---- Events --------------------------------------------------------------------------

TEST(EvaluatorEvent, EveryCarriedFieldStartsAtItsDefault) {
  Event exec(EventKind::Exec);
  ASSERT_EQ(exec.get(field("process.exe")).size(), 1u);
  EXPECT_EQ(exec.get(field("process.exe"))[0], Value(std::string()));
  EXPECT_EQ(exec.get(field("process.pid"))[0], Value(int64_t{0}));
  EXPECT_TRUE(exec.get(field("process.args")).empty());  // multi-valued: no values
  EXPECT_TRUE(exec.get(field("net.daddr")).empty());     // not carried by exec
  EXPECT_TRUE(exec.get(field("file.path")).empty());

  Event connect(EventKind::NetConnect);
  EXPECT_EQ(connect.get(field("net.daddr"))[0], Value(ip("0.0.0.0")));
  EXPECT_EQ(connect.get(field("net.dport"))[0], Value(int64_t{0}));
  Event open(EventKind::FileOpen);
  EXPECT_EQ(open.get(field("file.write"))[0], Value(false));
  EXPECT_EQ(open.time_ns, 0u);
  EXPECT_TRUE(open.get(static_cast<FieldId>(60000)).empty());
}

TEST(EvaluatorEvent, SetIgnoresFieldsTheEventDoesNotCarryAndWrongTypes) {
  Event exec(EventKind::Exec);
  exec.set(field("net.dport"), int64_t{80});
  EXPECT_TRUE(exec.get(field("net.dport")).empty());
  exec.set(field("process.pid"), std::string("1"));
  EXPECT_EQ(exec.get(field("process.pid"))[0], Value(int64_t{0}));
  exec.set_values(field("process.exe"), {std::string("a"), std::string("b")});
  EXPECT_EQ(exec.get(field("process.exe"))[0], Value(std::string()));
  exec.set_values(field("process.args"), {std::string("ls"), std::string("-l")});
  EXPECT_EQ(exec.get(field("process.args")).size(), 2u);
  exec.set(field("process.args"), std::string("only"));
  ASSERT_EQ(exec.get(field("process.args")).size(), 1u);
  EXPECT_EQ(exec.get(field("process.args"))[0], Value(std::string("only")));
}

// ---- Operators -------------------------------------------------------------------------

TEST(EvaluatorOps, EqOnStringsIsExactByteEquality) {
  auto is_bash = test("process.exe", TestOp::Eq, {std::string("/bin/bash")});
  EXPECT_TRUE(holds(is_bash, exec_event("/bin/bash")));
  EXPECT_FALSE(holds(is_bash, exec_event("/bin/Bash")));
  EXPECT_FALSE(holds(is_bash, exec_event("/bin/bash ")));
  EXPECT_FALSE(holds(is_bash, exec_event("/bin/bash/")));
  EXPECT_FALSE(holds(is_bash, exec_event(std::string("/bin/bash\0", 10))));
  auto is_empty = test("process.exe", TestOp::Eq, {std::string()});
  EXPECT_TRUE(holds(is_empty, Event(EventKind::Exec)));  // the default is ""
  EXPECT_FALSE(holds(is_empty, exec_event("x")));
  auto nul = test("process.exe", TestOp::Eq, {std::string("a\0b", 3)});
  EXPECT_TRUE(holds(nul, exec_event(std::string("a\0b", 3))));
  EXPECT_FALSE(holds(nul, exec_event("a")));
}

TEST(EvaluatorOps, EqOnIntsBoolsAndDurations) {
  Event exec(EventKind::Exec);
  exec.set(field("process.uid"), std::numeric_limits<int64_t>::min());
  EXPECT_TRUE(holds(test("process.uid", TestOp::Eq, {std::numeric_limits<int64_t>::min()}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Eq, {std::numeric_limits<int64_t>::max()}), exec));
  Event open(EventKind::FileOpen);
  EXPECT_TRUE(holds(test("file.write", TestOp::Eq, {false}), open));
  open.set(field("file.write"), true);
  EXPECT_TRUE(holds(test("file.write", TestOp::Eq, {true}), open));
  EXPECT_FALSE(holds(test("file.write", TestOp::Eq, {false}), open));
  // A mistyped operand never matches (the type checker prevents it).
  EXPECT_FALSE(holds(test("process.uid", TestOp::Eq, {std::string("0")}), Event(EventKind::Exec)));
}

TEST(EvaluatorOps, IpEqualityNormalisesMappedAddresses) {
  Event connect(EventKind::NetConnect);
  connect.set(field("net.daddr"), ip("::ffff:10.1.2.3"));
  EXPECT_TRUE(holds(test("net.daddr", TestOp::Eq, {ip("10.1.2.3")}), connect));
  EXPECT_FALSE(holds(test("net.daddr", TestOp::Eq, {ip("::a01:203")}), connect));  // v4-compatible
  connect.set(field("net.daddr"), ip("::1"));
  EXPECT_TRUE(holds(test("net.daddr", TestOp::Eq, {ip("0:0::1")}), connect));
  EXPECT_FALSE(holds(test("net.daddr", TestOp::Eq, {ip("127.0.0.1")}), connect));
  connect.set(field("net.daddr"), ip("0.0.0.0"));
  EXPECT_FALSE(holds(test("net.daddr", TestOp::Eq, {ip("::")}), connect));
}

TEST(EvaluatorOps, OrderingAtBoundaries) {
  Event exec(EventKind::Exec);
  exec.set(field("process.uid"), int64_t{1000});
  EXPECT_TRUE(holds(test("process.uid", TestOp::Lt, {int64_t{1001}}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Lt, {int64_t{1000}}), exec));
  EXPECT_TRUE(holds(test("process.uid", TestOp::Le, {int64_t{1000}}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Le, {int64_t{999}}), exec));
  EXPECT_TRUE(holds(test("process.uid", TestOp::Gt, {int64_t{999}}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Gt, {int64_t{1000}}), exec));
  EXPECT_TRUE(holds(test("process.uid", TestOp::Ge, {int64_t{1000}}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Ge, {int64_t{1001}}), exec));
  // Signed 64-bit comparison: -1 is below 0, and the extremes order correctly.
  exec.set(field("process.uid"), int64_t{-1});
  EXPECT_TRUE(holds(test("process.uid", TestOp::Lt, {int64_t{0}}), exec));
  EXPECT_TRUE(holds(test("process.uid", TestOp::Gt, {std::numeric_limits<int64_t>::min()}), exec));
  exec.set(field("process.uid"), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(holds(test("process.uid", TestOp::Ge, {std::numeric_limits<int64_t>::max()}), exec));
  EXPECT_FALSE(holds(test("process.uid", TestOp::Gt, {std::numeric_limits<int64_t>::max()}), exec));
  // Strings are not ordered: the comparison is false, never an error.
  EXPECT_FALSE(holds(test("process.exe", TestOp::Lt, {std::string("z")}), exec));
}

TEST(EvaluatorOps, PortOrdering) {
  Event bind(EventKind::NetBind);
  bind.set(field("net.sport"), int64_t{1023});
  EXPECT_TRUE(holds(test("net.sport", TestOp::Lt, {int64_t{1024}}), bind));
  bind.set(field("net.sport"), int64_t{65535});
  EXPECT_TRUE(holds(test("net.sport", TestOp::Ge, {int64_t{65535}}), bind));
  EXPECT_FALSE(holds(test("net.sport", TestOp::Lt, {int64_t{0}}), bind));
  EXPECT_TRUE(holds(test("net.sport", TestOp::InSet, {int64_t{22}, int64_t{65535}}), bind));
}

TEST(EvaluatorOps, DurationOrderingViaFieldCompareOperands) {
  // No schema field is a duration yet; the comparison itself is still defined.
  Predicate p = test("process.pid", TestOp::Lt, {Duration(1s)});
  Event exec(EventKind::Exec);
  EXPECT_FALSE(holds(p, exec));  // int vs duration never compare
}

TEST(EvaluatorOps, InSetIsEqualityWithAnyOperand) {
  auto shells = test("process.exe", TestOp::InSet,
                     {std::string("/bin/bash"), std::string("/bin/sh"), std::string("")});
  EXPECT_TRUE(holds(shells, exec_event("/bin/sh")));
  EXPECT_TRUE(holds(shells, exec_event("")));
  EXPECT_FALSE(holds(shells, exec_event("/bin/s")));
  EXPECT_FALSE(holds(shells, exec_event("/bin/SH")));
  EXPECT_FALSE(holds(test("process.exe", TestOp::InSet, {}), exec_event("")));
  Event exec(EventKind::Exec);
  exec.set(field("process.uid"), int64_t{0});
  EXPECT_TRUE(holds(test("process.uid", TestOp::InSet, {int64_t{-5}, int64_t{0}}), exec));
}

TEST(EvaluatorOps, InNetworksPrefixEdgesAndFamilies) {
  Event connect(EventKind::NetConnect);
  auto in = [&](std::string_view address, std::vector<Value> networks) {
    connect.set(field("net.daddr"), ip(address));
    return holds(test("net.daddr", TestOp::InNetworks, std::move(networks)), connect);
  };
  EXPECT_TRUE(in("10.255.255.255", {net("10.0.0.0/8")}));
  EXPECT_FALSE(in("11.0.0.0", {net("10.0.0.0/8")}));
  EXPECT_TRUE(in("::ffff:10.9.9.9", {net("10.0.0.0/8")}));  // mapped = IPv4
  EXPECT_TRUE(in("10.9.9.9", {net("::ffff:10.0.0.0/104")}));
  EXPECT_TRUE(in("255.255.255.255", {net("0.0.0.0/0")}));
  EXPECT_FALSE(in("::1", {net("0.0.0.0/0")}));  // families never mix
  EXPECT_TRUE(in("::1", {net("::/0")}));
  EXPECT_FALSE(in("1.2.3.4", {net("::/0")}));
  EXPECT_TRUE(in("192.0.2.7", {net("192.0.2.7/32")}));
  EXPECT_FALSE(in("192.0.2.8", {net("192.0.2.7/32")}));
  EXPECT_TRUE(in("2001:db8::1", {net("2001:db8::1/128")}));
  EXPECT_FALSE(in("2001:db8::2", {net("2001:db8::1/128")}));
  EXPECT_TRUE(in("172.31.255.255", {net("172.16.0.0/12")}));
  EXPECT_FALSE(in("172.32.0.0", {net("172.16.0.0/12")}));
  EXPECT_TRUE(in("fe80::1", {net("10.0.0.0/8"), net("fe80::/10")}));
  EXPECT_FALSE(in("fec0::1", {net("10.0.0.0/8"), net("fe80::/10")}));
  EXPECT_TRUE(in("192.168.1.1", {ip("192.168.1.1")}));  // a bare address is exact
  EXPECT_FALSE(in("192.168.1.2", {ip("192.168.1.1")}));
  EXPECT_FALSE(in("10.0.0.1", {}));
}

TEST(EvaluatorOps, StartsWithEndsWithContains) {
  auto starts =
      test("process.exe", TestOp::StartsWith, {std::string("/usr/"), std::string("/opt/")});
  EXPECT_TRUE(holds(starts, exec_event("/opt/x")));
  EXPECT_TRUE(holds(starts, exec_event("/usr/")));
  EXPECT_FALSE(holds(starts, exec_event("/usr")));
  EXPECT_FALSE(holds(starts, exec_event("/USR/bin")));
  EXPECT_FALSE(holds(starts, exec_event("")));
  auto ends = test("process.exe", TestOp::EndsWith, {std::string(".sh")});
  EXPECT_TRUE(holds(ends, exec_event("a.sh")));
  EXPECT_TRUE(holds(ends, exec_event(".sh")));
  EXPECT_FALSE(holds(ends, exec_event("sh")));
  EXPECT_FALSE(holds(ends, exec_event("a.SH")));
  auto contains = test("process.exe", TestOp::Contains, {std::string("tmp")});
  EXPECT_TRUE(holds(contains, exec_event("/tmp/x")));
  EXPECT_TRUE(holds(contains, exec_event("tmp")));
  EXPECT_FALSE(holds(contains, exec_event("/tm/p")));
  EXPECT_FALSE(holds(contains, exec_event("/TMP")));
}

TEST(EvaluatorOps, EmptyOperandMatchesEveryValueIncludingEmpty) {
  for (TestOp op : {TestOp::StartsWith, TestOp::EndsWith, TestOp::Contains}) {
    auto p = test("process.exe", op, {std::string()});
    EXPECT_TRUE(holds(p, exec_event("")));
    EXPECT_TRUE(holds(p, exec_event("/bin/sh")));
    // ...but a multi-valued field with no values has nothing to test.
    EXPECT_FALSE(holds(test("process.args", op, {std::string()}), Event(EventKind::Exec)));
  }
}

TEST(EvaluatorOps, GlobOnAField) {
  auto conf = test("process.exe", TestOp::Glob, {std::string("/etc/**/*.conf")});
  EXPECT_TRUE(holds(conf, exec_event("/etc/a.conf")));
  EXPECT_TRUE(holds(conf, exec_event("/etc/x/y/a.conf")));
  EXPECT_FALSE(holds(conf, exec_event("/etc/a.conf/")));
  EXPECT_FALSE(holds(test("process.exe", TestOp::Glob, {}), exec_event("")));
}

TEST(EvaluatorOps, MatchesSearchesAnywhereWithRe2Syntax) {
  auto m = [&](std::string pattern, std::string value) {
    return holds(test("process.exe", TestOp::Matches, {std::move(pattern)}), exec_event(value));
  };
  EXPECT_TRUE(m("bin", "/usr/bin/x"));
  EXPECT_FALSE(m("^bin", "/usr/bin/x"));
  EXPECT_TRUE(m("^/usr/bin/[a-z]+$", "/usr/bin/x"));
  EXPECT_FALSE(m("^/usr/bin/[a-z]+$", "/usr/bin/x1"));
  EXPECT_FALSE(m("BIN", "/usr/bin"));
  EXPECT_TRUE(m("(?i)BIN", "/usr/bin"));
  EXPECT_TRUE(m("", ""));
  EXPECT_FALSE(m(".", "\n"));  // `.` excludes newline unless (?s)
  EXPECT_TRUE(m("(?s).", "\n"));
  EXPECT_FALSE(m("^b", "a\nb"));  // ^ and $ anchor the whole value unless (?m)
  EXPECT_TRUE(m("(?m)^b", "a\nb"));
  EXPECT_FALSE(m("a(", "a("));  // an invalid pattern matches nothing
  EXPECT_TRUE(m("\xC3\xA9", "caf\xC3\xA9"));
}

TEST(EvaluatorOps, MatchesOnInvalidUtf8Values) {
  auto m = [&](std::string pattern, std::string value) {
    return holds(test("process.exe", TestOp::Matches, {std::move(pattern)}), exec_event(value));
  };
  // Literal text around an invalid byte is still found...
  EXPECT_TRUE(m("ab",
                "x\xFF"
                "ab"));
  EXPECT_TRUE(m("evil",
                "\xC3\x28"
                "evil"));
  // ...but no character construct matches an invalid byte: `.`, classes, `\xff`.
  EXPECT_FALSE(m("a.b",
                 "a\xFF"
                 "b"));
  EXPECT_FALSE(m("a[^x]b",
                 "a\xFF"
                 "b"));
  EXPECT_FALSE(m("^.*$", "ok\xFF"));
  EXPECT_FALSE(m("\\xff", "\xFF"));
  EXPECT_TRUE(m("\\xff", "\xC3\xBF"));  // \xff is the code point U+00FF
  // `\C` matches any single byte.
  EXPECT_TRUE(m("a\\Cb",
                "a\xFF"
                "b"));
}

TEST(EvaluatorRegexCache, CachesAndReportsErrors) {
  RegexCache cache(2);
  EXPECT_TRUE(cache.search("a+", "caaat"));
  EXPECT_TRUE(cache.search("a+", "a"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.search("b", "a"));
  EXPECT_FALSE(cache.search("c", "a"));  // full: the cache starts over
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(regex_pattern_error("a("), "missing ): a(");
  EXPECT_EQ(regex_pattern_error("\xFF"), "invalid UTF-8");
  EXPECT_EQ(regex_pattern_error("^a.*b$"), std::nullopt);
}

TEST(EvaluatorRegexCache, SafeToShareBetweenThreads) {
  RegexCache cache(8);  // small, so threads also race on clearing it
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        int n = (i * 7 + t) % 40;
        std::string pattern = "^x" + std::to_string(n) + "$";
        if (!cache.search(pattern, "x" + std::to_string(n))) ++wrong;
        if (cache.search(pattern, "x" + std::to_string(n + 1))) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 8u);
}

TEST(EvaluatorRegexCache, HugePatternsAreRejectedNotCompiled) {
  auto error = regex_pattern_error("((a{1000}){1000}){1000}");
  ASSERT_TRUE(error);
  EXPECT_FALSE(error->empty());
}

// ---- Multi-valued fields -----------------------------------------------------------------

TEST(EvaluatorMultiValued, PositiveTestsMeanAnyValueNegatedMeanNone) {
  Event exec(EventKind::Exec);
  exec.set_values(field("process.ancestors.comm"),
                  {std::string("bash"), std::string("nginx"), std::string("systemd")});
  auto eq_nginx = test("process.ancestors.comm", TestOp::Eq, {std::string("nginx")});
  EXPECT_TRUE(holds(eq_nginx, exec));
  EXPECT_FALSE(holds(negate(eq_nginx), exec));  // `!=`: no ancestor is nginx
  auto in_set =
      test("process.ancestors.comm", TestOp::InSet, {std::string("sshd"), std::string("bash")});
  EXPECT_TRUE(holds(in_set, exec));
  EXPECT_FALSE(holds(negate(in_set), exec));
  auto absent = test("process.ancestors.comm", TestOp::Eq, {std::string("cron")});
  EXPECT_FALSE(holds(absent, exec));
  EXPECT_TRUE(holds(negate(absent), exec));
  EXPECT_TRUE(holds(test("process.ancestors.comm", TestOp::Glob, {std::string("sys*")}), exec));
  EXPECT_TRUE(holds(test("process.ancestors.comm", TestOp::EndsWith, {std::string("inx")}), exec));
}

TEST(EvaluatorMultiValued, NoValuesMakesPositiveTestsFalseAndNegatedTrue) {
  Event exec(EventKind::Exec);
  for (TestOp op : {TestOp::Eq, TestOp::InSet, TestOp::StartsWith, TestOp::EndsWith,
                    TestOp::Contains, TestOp::Glob, TestOp::Matches}) {
    auto p = test("process.args", op, {std::string("")});
    EXPECT_FALSE(holds(p, exec));
    EXPECT_TRUE(holds(negate(p), exec));
  }
  auto star = test("process.args", TestOp::Glob, {std::string("*")});
  EXPECT_FALSE(holds(star, exec));
  exec.set_values(field("process.args"), {std::string("")});
  EXPECT_TRUE(holds(star, exec));
}

// ---- Field comparisons and connectives ------------------------------------------------------

TEST(EvaluatorFieldCompare, ComparesTwoFieldsOfTheEvent) {
  Event exec(EventKind::Exec);
  exec.set(field("process.uid"), int64_t{1000});
  exec.set(field("process.euid"), int64_t{0});
  EXPECT_FALSE(holds(compare_fields("process.uid", TestOp::Eq, "process.euid"), exec));
  EXPECT_TRUE(holds(negate(compare_fields("process.uid", TestOp::Eq, "process.euid")), exec));
  EXPECT_TRUE(holds(compare_fields("process.euid", TestOp::Lt, "process.uid"), exec));
  EXPECT_FALSE(holds(compare_fields("process.uid", TestOp::Le, "process.euid"), exec));
  EXPECT_TRUE(holds(compare_fields("process.uid", TestOp::Ge, "process.euid"), exec));
  exec.set(field("process.euid"), int64_t{1000});
  EXPECT_TRUE(holds(compare_fields("process.uid", TestOp::Eq, "process.euid"), exec));
  EXPECT_TRUE(holds(compare_fields("process.uid", TestOp::Le, "process.euid"), exec));
  EXPECT_FALSE(holds(compare_fields("process.uid", TestOp::Gt, "process.euid"), exec));
  exec.set(field("process.comm"), std::string("ab"));
  exec.set(field("parent.comm"), std::string("ab"));
  EXPECT_TRUE(holds(compare_fields("process.comm", TestOp::Eq, "parent.comm"), exec));
  EXPECT_FALSE(holds(compare_fields("process.comm", TestOp::Lt, "parent.comm"), exec));
  // A field the event does not carry has no value: the comparison is false.
  EXPECT_FALSE(holds(compare_fields("process.uid", TestOp::Eq, "file.uid"), exec));
}

TEST(EvaluatorConnectives, AndOrNotTrueFalse) {
  Predicate yes;  // True by default
  Predicate no;
  no.kind = Kind::False;
  auto is_sh = test("process.exe", TestOp::Eq, {std::string("/bin/sh")});
  Event sh = exec_event("/bin/sh");
  EXPECT_TRUE(holds(yes, sh));
  EXPECT_FALSE(holds(no, sh));
  EXPECT_TRUE(holds(all_of({yes, is_sh}), sh));
  EXPECT_FALSE(holds(all_of({is_sh, no}), sh));
  EXPECT_TRUE(holds(any_of({no, is_sh}), sh));
  EXPECT_FALSE(holds(any_of({no, negate(is_sh)}), sh));
  EXPECT_TRUE(holds(negate(negate(is_sh)), sh));
  EXPECT_TRUE(holds(all_of({}), sh));   // vacuous
  EXPECT_FALSE(holds(any_of({}), sh));  // vacuous
}

// ---- Rules --------------------------------------------------------------------------------

ir::Rule shell_rule() {
  ir::Rule rule;
  rule.name = "shell";
  rule.name_range = {0, 5, 10};
  rule.events = event_bit(EventKind::Exec);
  rule.when = all_of({test("parent.comm", TestOp::InSet,
                           {std::string("httpd"), std::string("nginx")}, {0, 20, 30}),
                      test("process.exe", TestOp::Eq, {std::string("/bin/sh")}, {0, 40, 50})});
  rule.excepts.push_back(
      test("process.cmdline", TestOp::Contains, {std::string("healthcheck")}, {0, 60, 70}));
  return rule;
}

Event shell_event(std::string cmdline = "sh -c id") {
  Event event = exec_event("/bin/sh");
  event.set(field("parent.comm"), std::string("nginx"));
  event.set(field("process.cmdline"), std::move(cmdline));
  return event;
}

TEST(EvaluatorRules, MatchRequiresEnabledEventWhenAndNoExcept) {
  ir::Rule rule = shell_rule();
  EXPECT_TRUE(rule_matches(rule, shell_event()));
  EXPECT_FALSE(rule_matches(rule, shell_event("sh healthcheck")));
  Event other = shell_event();
  other.set(field("parent.comm"), std::string("cron"));
  EXPECT_FALSE(rule_matches(rule, other));
  Event fork(EventKind::Fork);
  fork.set(field("process.exe"), std::string("/bin/sh"));
  fork.set(field("parent.comm"), std::string("nginx"));
  EXPECT_FALSE(rule_matches(rule, fork));
  rule.events |= event_bit(EventKind::Fork);
  EXPECT_TRUE(rule_matches(rule, fork));
  rule.enabled = false;
  EXPECT_FALSE(rule_matches(rule, shell_event()));
}

TEST(EvaluatorRules, AnyOfSeveralExceptsSuppresses) {
  ir::Rule rule = shell_rule();
  rule.excepts.push_back(test("process.uid", TestOp::Eq, {int64_t{33}}));
  Event event = shell_event();
  EXPECT_TRUE(rule_matches(rule, event));
  event.set(field("process.uid"), int64_t{33});
  EXPECT_FALSE(rule_matches(rule, event));
  RuleEvaluation why = explain_rule(rule, event);
  EXPECT_FALSE(why.matched);
  EXPECT_TRUE(why.when_held);
  EXPECT_EQ(why.decisive_except, 1);
}

TEST(EvaluatorRules, MatchingRulesKeepsPolicyOrderAndSkipsDisabled) {
  ir::PolicySet policy;
  ir::Rule a = shell_rule();
  a.name = "a";
  ir::Rule b;
  b.name = "b";
  b.events = event_bit(EventKind::Exec);  // when: true
  ir::Rule c = b;
  c.name = "c";
  c.enabled = false;
  ir::Rule d = b;
  d.name = "d";
  d.events = event_bit(EventKind::Exit);
  policy.rules = {a, b, c, d};
  auto matched = matching_rules(policy, shell_event());
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0]->name, "a");
  EXPECT_EQ(matched[1]->name, "b");
  EXPECT_TRUE(matching_rules(policy, Event(EventKind::Fork)).empty());
}

// ---- Explanations ----------------------------------------------------------------------------

std::vector<std::string> details(const RuleEvaluation& evaluation) {
  std::vector<std::string> out;
  for (const EvaluationStep& step : evaluation.trace)
    out.push_back(std::to_string(step.origin.begin) + (step.result ? " T " : " F ") + step.detail);
  return out;
}

TEST(EvaluatorExplain, MatchListsTheConjunctsThatHeldAndTheFalseExcepts) {
  RuleEvaluation why = explain_rule(shell_rule(), shell_event());
  EXPECT_TRUE(why.matched);
  EXPECT_TRUE(why.when_held);
  EXPECT_EQ(why.decisive_except, -1);
  EXPECT_EQ(details(why),
            (std::vector<std::string>{
                "20 T parent.comm = \"nginx\"; in [\"httpd\", \"nginx\"] -> true",
                "40 T process.exe = \"/bin/sh\"; == \"/bin/sh\" -> true",
                "60 F except: process.cmdline = \"sh -c id\"; contains \"healthcheck\" -> false",
            }));
}

TEST(EvaluatorExplain, NonMatchShowsTheFirstFalseConjunct) {
  Event event = shell_event();
  event.set(field("parent.comm"), std::string("cron"));
  event.set(field("process.exe"), std::string("/bin/ls"));
  RuleEvaluation why = explain_rule(shell_rule(), event);
  EXPECT_FALSE(why.matched);
  EXPECT_FALSE(why.when_held);
  EXPECT_EQ(details(why), (std::vector<std::string>{
                              "20 F parent.comm = \"cron\"; in [\"httpd\", \"nginx\"] -> false",
                          }));
}

TEST(EvaluatorExplain, ExceptThatHeldIsTheReason) {
  RuleEvaluation why = explain_rule(shell_rule(), shell_event("curl healthcheck"));
  EXPECT_FALSE(why.matched);
  EXPECT_TRUE(why.when_held);
  EXPECT_EQ(why.decisive_except, 0);
  EXPECT_EQ(
      details(why),
      (std::vector<std::string>{
          "60 T except: process.cmdline = \"curl healthcheck\"; contains \"healthcheck\" -> true",
      }));
}

TEST(EvaluatorExplain, DescendsThroughOrAndNotToTheDecisiveLeaves) {
  ir::Rule rule;
  rule.name = "r";
  rule.events = event_bit(EventKind::Exec);
  // when (exe startswith "/tmp/" or exe endswith ".sh") and not (uid == 0 and comm != "x")
  rule.when = all_of({
      any_of({test("process.exe", TestOp::StartsWith, {std::string("/tmp/")}, {0, 1, 2}),
              test("process.exe", TestOp::EndsWith, {std::string(".sh")}, {0, 3, 4})}),
      negate(all_of({test("process.uid", TestOp::Eq, {int64_t{0}}, {0, 5, 6}),
                     negate(test("process.comm", TestOp::Eq, {std::string("x")}, {0, 7, 8}),
                            {0, 7, 8})}),
             {0, 9, 10}),
  });
  Event event = exec_event("/usr/bin/ls");
  RuleEvaluation miss = explain_rule(rule, event);
  EXPECT_EQ(details(miss), (std::vector<std::string>{
                               "1 F process.exe = \"/usr/bin/ls\"; startswith \"/tmp/\" -> false",
                               "3 F process.exe = \"/usr/bin/ls\"; endswith \".sh\" -> false",
                           }));
  event.set(field("process.exe"), std::string("/tmp/a.sh"));
  RuleEvaluation blocked = explain_rule(rule, event);
  EXPECT_EQ(details(blocked), (std::vector<std::string>{
                                  "9 F not: the negated expression is true -> false",
                                  "5 T process.uid = 0; == 0 -> true",
                                  "7 T process.comm = \"\"; != \"x\" -> true",
                              }));
  event.set(field("process.comm"), std::string("x"));
  RuleEvaluation hit = explain_rule(rule, event);
  EXPECT_TRUE(hit.matched);
  EXPECT_EQ(details(hit), (std::vector<std::string>{
                              "1 T process.exe = \"/tmp/a.sh\"; startswith \"/tmp/\" -> true",
                              "9 T not: the negated expression is false -> true",
                              "7 F process.comm = \"x\"; != \"x\" -> false",
                          }));
}

TEST(EvaluatorExplain, NegatedTestsUseTheSourceSpelling) {
  ir::Rule rule;
  rule.name = "r";
  rule.events = event_bit(EventKind::Exec) | event_bit(EventKind::NetConnect);
  rule.when = all_of({
      negate(test("process.ancestors.comm", TestOp::InSet, {std::string("sshd")})),
      negate(test("process.exe", TestOp::StartsWith, {std::string("/usr/"), std::string("/opt/")})),
      negate(compare_fields("process.uid", TestOp::Eq, "process.euid")),
  });
  Event event = exec_event("/tmp/x");
  event.set_values(field("process.ancestors.comm"), {std::string("bash"), std::string("init")});
  event.set(field("process.euid"), int64_t{0});
  event.set(field("process.uid"), int64_t{1000});
  RuleEvaluation why = explain_rule(rule, event);
  EXPECT_TRUE(why.matched);
  EXPECT_EQ(details(why),
            (std::vector<std::string>{
                "0 T process.ancestors.comm = [\"bash\", \"init\"]; not in [\"sshd\"] -> true",
                "0 T process.exe = \"/tmp/x\"; not startswith [\"/usr/\", \"/opt/\"] -> true",
                "0 T process.uid = 1000, process.euid = 0; process.uid != process.euid -> true",
            }));
}

TEST(EvaluatorExplain, LongOperandListsAreShortened) {
  ir::Rule rule;
  rule.name = "r";
  rule.events = event_bit(EventKind::NetConnect);
  std::vector<Value> ports;
  for (int64_t port = 1; port <= 11; ++port) ports.push_back(port);
  std::vector<Value> networks = {net("10.0.0.0/8"), net("fe80::/10")};
  rule.when = all_of(
      {test("net.dport", TestOp::InSet, ports), test("net.daddr", TestOp::InNetworks, networks)});
  Event event(EventKind::NetConnect);
  event.set(field("net.dport"), int64_t{11});
  event.set(field("net.daddr"), ip("10.1.1.1"));
  EXPECT_EQ(details(explain_rule(rule, event)),
            (std::vector<std::string>{
                "0 T net.dport = 11; in [1, 2, 3, 4, 5, 6, 7, 8, ... (3 more)] -> true",
                "0 T net.daddr = 10.1.1.1; in [10.0.0.0/8, fe80::/10] -> true",
            }));
}

TEST(EvaluatorExplain, DisabledRulesWrongEventsAndNoWhen) {
  ir::Rule rule;
  rule.name = "r";
  rule.name_range = {0, 42, 43};
  rule.events = event_bit(EventKind::Exec) | event_bit(EventKind::Fork);
  RuleEvaluation match = explain_rule(rule, Event(EventKind::Exec));
  EXPECT_TRUE(match.matched);
  EXPECT_EQ(details(match), (std::vector<std::string>{"42 T `when` is always true -> true"}));
  EXPECT_EQ(
      details(explain_rule(rule, Event(EventKind::Exit))),
      (std::vector<std::string>{"42 F event `exit` is not one of the rule's events (exec, fork)"}));
  rule.enabled = false;
  RuleEvaluation disabled = explain_rule(rule, Event(EventKind::Exec));
  EXPECT_FALSE(disabled.matched);
  EXPECT_EQ(details(disabled), (std::vector<std::string>{"42 F the rule is disabled"}));
}

TEST(EvaluatorExplain, AgreesWithRuleMatches) {
  ir::Rule rule = shell_rule();
  for (const char* cmdline : {"x", "healthcheck"}) {
    for (const char* parent : {"nginx", "cron"}) {
      Event event = shell_event(cmdline);
      event.set(field("parent.comm"), std::string(parent));
      EXPECT_EQ(explain_rule(rule, event).matched, rule_matches(rule, event));
    }
  }
}

// ---- Output ---------------------------------------------------------------------------------

ir::OutputSegment text(std::string s) {
  return {std::move(s), std::nullopt};
}
ir::OutputSegment interpolate(std::string_view name) {
  return {"", field(name)};
}

TEST(EvaluatorOutput, RendersTextAndFields) {
  ir::Rule rule = shell_rule();
  rule.output = {
      text("shell "), interpolate("process.exe"), text(" from "), interpolate("parent.comm"),
      text(" {pid "), interpolate("process.pid"), text("}")};
  Event event = shell_event();
  event.set(field("process.pid"), int64_t{-42});
  EXPECT_EQ(render_output(rule, event), "shell /bin/sh from nginx {pid -42}");
}

TEST(EvaluatorOutput, MultiValuedFieldsJoinWithCommaSpace) {
  ir::Rule rule;
  rule.name = "r";
  rule.output = {text("args=["), interpolate("process.args"), text("]")};
  Event event(EventKind::Exec);
  EXPECT_EQ(render_output(rule, event), "args=[]");
  event.set_values(field("process.args"), {std::string("ls"), std::string("-l"), std::string("")});
  EXPECT_EQ(render_output(rule, event), "args=[ls, -l, ]");
}

TEST(EvaluatorOutput, OtherTypesAndControlBytes) {
  ir::Rule rule;
  rule.name = "r";
  rule.output = {interpolate("net.daddr"), text(":"), interpolate("net.dport"), text(" "),
                 interpolate("process.exe")};
  Event event(EventKind::NetConnect);
  event.set(field("net.daddr"), ip("::ffff:10.0.0.1"));
  event.set(field("net.dport"), int64_t{443});
  event.set(field("process.exe"), std::string("a\nb\tc\x01\x7f\\\xFF"));
  EXPECT_EQ(render_output(rule, event), "10.0.0.1:443 a\\nb\\tc\\x01\\x7f\\\xFF");
  ir::Rule flag;
  flag.output = {interpolate("file.write")};
  EXPECT_EQ(render_output(flag, Event(EventKind::FileOpen)), "false");
}

TEST(EvaluatorOutput, EmptyTemplateRendersNothing) {
  // The analyser puts the default "<name> matched" into the template itself.
  ir::Rule rule;
  rule.name = "quiet_rule";
  EXPECT_EQ(render_output(rule, Event(EventKind::Exec)), "");
}

}  // namespace
}  // namespace vigil

// ---- Policies compiled from source ----------------------------------------------------------

namespace vigil {
namespace {

// Compiles one policy file through the real front end.
class CompiledPolicy {
 public:
  explicit CompiledPolicy(const std::string& text) {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-evaluator-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "policy.vigil", std::ios::binary) << text;
    result_ = run_front_end({dir_.string()});
  }
  ~CompiledPolicy() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  bool ok() const { return result_.policy.has_value(); }
  std::string errors() const {
    std::string text;
    for (const Diagnostic& d : result_.diagnostics.all()) text += d.message + "\n";
    return text;
  }
  const ir::Rule& rule(std::string_view name) const { return *result_.policy->find(name); }
  const ir::PolicySet& policy() const { return *result_.policy; }
  LineColumn position(const SourceRange& range) const {
    return result_.sources.file(range.file).line_column(range.begin);
  }

 private:
  std::filesystem::path dir_;
  FrontEndResult result_;
};

TEST(EvaluatorFromSource, NegativeFormsOnMultiValuedFieldsMeanNoValue) {
  CompiledPolicy compiled(
      "rule not_under_sshd {\n"
      "  on exec\n"
      "  when process.ancestors.comm != \"sshd\" and process.args not in [\"-x\", \"-v\"]\n"
      "}\n");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  const ir::Rule& rule = compiled.rule("not_under_sshd");
  Event event(EventKind::Exec);
  EXPECT_TRUE(rule_matches(rule, event));  // no values: "no value equals" holds
  event.set_values(field("process.ancestors.comm"), {std::string("bash"), std::string("init")});
  EXPECT_TRUE(rule_matches(rule, event));
  event.set_values(field("process.ancestors.comm"), {std::string("bash"), std::string("sshd")});
  EXPECT_FALSE(rule_matches(rule, event));
  event.set_values(field("process.ancestors.comm"), {std::string("bash")});
  event.set_values(field("process.args"), {std::string("ls"), std::string("-v")});
  EXPECT_FALSE(rule_matches(rule, event));
}

TEST(EvaluatorFromSource, NetworksAddressesAndMappedForms) {
  CompiledPolicy compiled(
      "list internal = [10.0.0.0/8, ::ffff:192.168.0.0/112, fd00::/8, 127.0.0.1]\n"
      "rule outbound {\n"
      "  on net.connect\n"
      "  when net.daddr not in internal and net.dport < 1024\n"
      "}\n");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  const ir::Rule& rule = compiled.rule("outbound");
  auto connect = [&](std::string_view address, int64_t port) {
    Event event(EventKind::NetConnect);
    event.set(field("net.daddr"), ip(address));
    event.set(field("net.dport"), port);
    return rule_matches(rule, event);
  };
  EXPECT_TRUE(connect("8.8.8.8", 53));
  EXPECT_FALSE(connect("8.8.8.8", 1024));
  EXPECT_FALSE(connect("10.200.0.1", 80));
  EXPECT_FALSE(connect("::ffff:10.200.0.1", 80));  // mapped = IPv4
  EXPECT_FALSE(connect("192.168.77.1", 80));       // the mapped /112 is 192.168.0.0/16
  EXPECT_TRUE(connect("192.169.0.1", 80));
  EXPECT_FALSE(connect("fd12::1", 80));
  EXPECT_TRUE(connect("fe80::1", 80));
  EXPECT_FALSE(connect("127.0.0.1", 80));  // a bare address is a /32
  EXPECT_TRUE(connect("127.0.0.2", 80));
  EXPECT_TRUE(connect("::ffff:127.0.0.2", 0));
}

TEST(EvaluatorFromSource, ExplanationsPointIntoMacroBodies) {
  CompiledPolicy compiled(
      "macro from_web = parent.comm in [\"nginx\", \"httpd\"]\n"
      "rule web_shell {\n"
      "  on exec\n"
      "  when from_web and process.exe glob \"/bin/*sh\"\n"
      "  except process.uid == 33\n"
      "}\n");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  const ir::Rule& rule = compiled.rule("web_shell");
  Event event = exec_event("/bin/bash");
  event.set(field("parent.comm"), std::string("cron"));
  RuleEvaluation miss = explain_rule(rule, event);
  ASSERT_EQ(miss.trace.size(), 1u);
  EXPECT_EQ(miss.trace[0].detail, "parent.comm = \"cron\"; in [\"httpd\", \"nginx\"] -> false");
  LineColumn where = compiled.position(miss.trace[0].origin);
  EXPECT_EQ(where.line, 1u);
  EXPECT_EQ(where.column, 18u);

  event.set(field("parent.comm"), std::string("nginx"));
  event.set(field("process.uid"), int64_t{33});
  RuleEvaluation suppressed = explain_rule(rule, event);
  EXPECT_TRUE(suppressed.when_held);
  EXPECT_EQ(suppressed.decisive_except, 0);
  ASSERT_EQ(suppressed.trace.size(), 1u);
  EXPECT_EQ(suppressed.trace[0].detail, "except: process.uid = 33; == 33 -> true");
  where = compiled.position(suppressed.trace[0].origin);
  EXPECT_EQ(where.line, 5u);
  EXPECT_EQ(where.column, 10u);
}

TEST(EvaluatorFromSource, OutputTemplatesWithBracesAndLists) {
  CompiledPolicy compiled(
      "rule noisy {\n"
      "  on exec\n"
      "  output \"{{{process.exe}}} args: {process.args} uid={process.uid}}}\"\n"
      "}\n"
      "rule plain {\n"
      "  on exec\n"
      "}\n");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  Event event = exec_event("/bin/sh");
  event.set_values(field("process.args"),
                   {std::string("sh"), std::string("-c"), std::string("id")});
  EXPECT_EQ(render_output(compiled.rule("noisy"), event), "{/bin/sh} args: sh, -c, id uid=0}");
  EXPECT_EQ(render_output(compiled.rule("plain"), event), "plain matched");
  auto matched = matching_rules(compiled.policy(), event);
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0]->name, "noisy");
  EXPECT_EQ(matched[1]->name, "plain");
}

TEST(EvaluatorFromSource, StringOperatorsAndFieldComparisons) {
  CompiledPolicy compiled(
      "rule r {\n"
      "  on exec\n"
      "  when (process.exe startswith [\"/tmp/\", \"/dev/shm/\"] or process.exe endswith \".sh\")\n"
      "    and process.uid != process.euid\n"
      "    and not process.cmdline matches \"^[a-z]+$\"\n"
      "}\n");
  ASSERT_TRUE(compiled.ok()) << compiled.errors();
  const ir::Rule& rule = compiled.rule("r");
  Event event = exec_event("/dev/shm/x");
  event.set(field("process.uid"), int64_t{1000});
  event.set(field("process.cmdline"), std::string("x y"));
  EXPECT_TRUE(rule_matches(rule, event));
  event.set(field("process.cmdline"), std::string("xy"));
  EXPECT_FALSE(rule_matches(rule, event));
  event.set(field("process.cmdline"),
            std::string("x\xFFy"));  // invalid UTF-8 never matches `.`/classes
  EXPECT_TRUE(rule_matches(rule, event));
  event.set(field("process.euid"), int64_t{1000});
  EXPECT_FALSE(rule_matches(rule, event));
  event.set(field("process.euid"), int64_t{0});
  event.set(field("process.exe"), std::string("/DEV/SHM/x"));
  EXPECT_FALSE(rule_matches(rule, event));
  event.set(field("process.exe"), std::string("/home/u/run.sh"));
  EXPECT_TRUE(rule_matches(rule, event));
}

}  // namespace
}  // namespace vigil
