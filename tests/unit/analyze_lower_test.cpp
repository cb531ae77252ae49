// The IR that lowering produces from policy text.
#include <gtest/gtest.h>

#include "compiler/lower.h"
#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;
using Kind = ir::Predicate::Kind;
using ir::TestOp;

FieldId field_id(std::string_view name) {
  return *find_field(name);
}

std::unique_ptr<Analysis> lowered(const std::string& text) {
  auto a = analyze_text(text);
  EXPECT_EQ(a->errors(), Lines{});
  EXPECT_TRUE(a->policy);
  return a;
}

TEST(SemaLower, InSetIsSortedAndDeduplicated) {
  auto a = lowered(
      "list more = [3, 1]\nrule r {\n  on exec\n  when process.uid in [5, more, 1, 0x3, 2]\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  EXPECT_EQ(when.kind, Kind::Test);
  EXPECT_EQ(when.op, TestOp::InSet);
  EXPECT_EQ(when.field, field_id("process.uid"));
  EXPECT_EQ(when.operands, (std::vector<Value>{int64_t{1}, int64_t{2}, int64_t{3}, int64_t{5}}));
}

TEST(SemaLower, NotInBecomesNotOfInSet) {
  auto a = lowered("rule r {\n  on exec\n  when process.comm not in [\"b\", \"a\"]\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.kind, Kind::Not);
  ASSERT_EQ(when.children.size(), 1u);
  EXPECT_EQ(when.children[0].op, TestOp::InSet);
  EXPECT_EQ(when.children[0].operands, (std::vector<Value>{std::string("a"), std::string("b")}));
  EXPECT_EQ(a->text(when.origin), "process.comm not in [\"b\", \"a\"]");
}

TEST(SemaLower, PortsAreIntsAndIpSingleNetwork) {
  auto a = lowered(
      "rule r {\n  on net.connect\n  when net.dport in [443, 80] and net.daddr in 10.0.0.0/8 "
      "and net.sport >= 1024\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.kind, Kind::And);
  ASSERT_EQ(when.children.size(), 3u);
  EXPECT_EQ(when.children[0].op, TestOp::InSet);
  EXPECT_EQ(when.children[0].operands, (std::vector<Value>{int64_t{80}, int64_t{443}}));
  EXPECT_EQ(when.children[1].op, TestOp::InNetworks);
  ASSERT_EQ(when.children[1].operands.size(), 1u);
  EXPECT_EQ(std::get<IpNetwork>(when.children[1].operands[0]).to_string(), "10.0.0.0/8");
  EXPECT_EQ(when.children[2].op, TestOp::Ge);
  EXPECT_EQ(when.children[2].operands, std::vector<Value>{int64_t{1024}});
}

TEST(SemaLower, SubstringTestsTakeEveryOperandOfTheList) {
  auto a = lowered(
      "list tmp = [\"/tmp/\", \"/dev/shm/\"]\n"
      "rule r {\n  on exec\n  when process.exe startswith [tmp, \"/var/tmp/\"] or "
      "process.exe endswith \".sh\" or process.cmdline contains tmp\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.kind, Kind::Or);
  ASSERT_EQ(when.children.size(), 3u);
  EXPECT_EQ(when.children[0].op, TestOp::StartsWith);
  EXPECT_EQ(when.children[0].operands,
            (std::vector<Value>{std::string("/dev/shm/"), std::string("/tmp/"),
                                std::string("/var/tmp/")}));
  EXPECT_EQ(when.children[1].op, TestOp::EndsWith);
  EXPECT_EQ(when.children[1].operands, std::vector<Value>{std::string(".sh")});
  EXPECT_EQ(when.children[2].op, TestOp::Contains);
  EXPECT_EQ(when.children[2].operands.size(), 2u);
}

TEST(SemaLower, GlobMatchesAndFieldOrdering) {
  auto a = lowered(
      "rule r {\n  on exec\n  when process.exe glob \"/tmp/**\" and process.exe matches \"x$\" "
      "and process.uid < process.euid\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.children.size(), 3u);
  EXPECT_EQ(when.children[0].op, TestOp::Glob);
  EXPECT_EQ(when.children[0].operands, std::vector<Value>{std::string("/tmp/**")});
  EXPECT_EQ(when.children[1].op, TestOp::Matches);
  EXPECT_EQ(when.children[2].kind, Kind::FieldCompare);
  EXPECT_EQ(when.children[2].op, TestOp::Lt);
  EXPECT_EQ(when.children[2].field, field_id("process.uid"));
  EXPECT_EQ(when.children[2].other_field, field_id("process.euid"));
}

TEST(SemaLower, AndOrStayNaryAndParensVanish) {
  auto a = lowered(
      "rule r {\n  on exec\n  when (process.pid == 1 or process.pid == 2 or process.pid == 3) "
      "and ((process.uid == 0))\n}\n");
  const ir::Predicate& when = a->rule("r").when;
  ASSERT_EQ(when.kind, Kind::And);
  ASSERT_EQ(when.children.size(), 2u);
  EXPECT_EQ(when.children[0].kind, Kind::Or);
  EXPECT_EQ(when.children[0].children.size(), 3u);
  EXPECT_EQ(a->text(when.children[0].origin),
            "process.pid == 1 or process.pid == 2 or process.pid == 3");
  EXPECT_EQ(when.children[1].kind, Kind::Test);
  EXPECT_EQ(a->text(when.children[1].origin), "process.uid == 0");
}

TEST(SemaLower, MultipleExceptsKeepTheirOrderAndOrigins) {
  auto a = lowered(
      "macro trusted = parent.comm == \"sshd\"\n"
      "rule r {\n  on exec\n  except trusted\n  except process.uid == 0\n}\n");
  const ir::Rule& rule = a->rule("r");
  EXPECT_EQ(rule.when.kind, Kind::True);
  ASSERT_EQ(rule.excepts.size(), 2u);
  EXPECT_EQ(rule.excepts[0].field, field_id("parent.comm"));
  EXPECT_EQ(a->text(rule.excepts[0].origin), "parent.comm == \"sshd\"");  // inside the macro
  EXPECT_EQ(rule.excepts[1].field, field_id("process.uid"));
}

TEST(SemaLower, RulesAreSortedByNameAndDisabledRulesKept) {
  auto a = analyze_texts({{"a.vigil", "rule zeta {\n  on exec\n}\nrule alpha {\n  on exec\n}\n"},
                          {"b.vigil", "rule mid {\n  on fork\n  enabled false\n}\n"},
                          {"c.vigil", "disable rule alpha\n"}});
  ASSERT_TRUE(a->policy);
  std::vector<std::string> names;
  std::vector<bool> enabled;
  for (const ir::Rule& rule : a->policy->rules) {
    names.push_back(rule.name);
    enabled.push_back(rule.enabled);
  }
  EXPECT_EQ(names, (Lines{"alpha", "mid", "zeta"}));
  EXPECT_EQ(enabled, (std::vector<bool>{false, false, true}));
}

TEST(SemaLower, ValueOrderPutsIpv4FirstAndNetworksByPrefix) {
  const Value v4 = *IpAddress::parse("10.0.0.1");
  const Value v6 = *IpAddress::parse("::1");
  EXPECT_TRUE(value_less(v4, v6));
  EXPECT_FALSE(value_less(v6, v4));
  const Value wide = *IpNetwork::parse("10.0.0.0/8");
  const Value narrow = *IpNetwork::parse("10.0.0.0/16");
  EXPECT_TRUE(value_less(wide, narrow));
  EXPECT_FALSE(value_less(narrow, wide));
  EXPECT_FALSE(value_less(wide, wide));
}

TEST(SemaLower, NoPolicyWhenTheParserFailed) {
  auto a = analyze_text("rule ok {\n  on exec\n}\nrule broken {\n  on exec\n  when ==\n}\n");
  EXPECT_GT(a->parse_errors, 0u);
  EXPECT_FALSE(a->policy);
}

// A generated set of 1,000 rules with shared lists and macros analyses
// without errors. (Not timed here; bench/run times `vigil check`.)
TEST(SemaLower, ThousandGeneratedRules) {
  std::string lists = "list base = [\"/bin/sh\", \"/bin/bash\"]\n";
  std::string macros;
  std::string rules;
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    lists += "list paths_" + n + " = [\"/opt/a" + n + "\", \"/opt/b" + n + "\", base]\n";
    macros += "macro m_" + n + " = process.exe in paths_" + n + " and shell_parent\n";
  }
  macros += "macro shell_parent = parent.exe in base\n";
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    rules += "rule rule_" + n + " {\n  on exec, fork\n  when m_" + std::to_string(i % 50) +
             " and process.uid != " + n + " and process.cmdline contains \"x" + n +
             "\"\n  except parent.comm in [\"sshd\", \"cron\"]\n  severity high\n"
             "  tags [T1059.004]\n  output \"{process.exe} " +
             n + "\"\n}\n";
  }
  auto a =
      analyze_texts({{"lists.vigil", lists}, {"macros.vigil", macros}, {"rules.vigil", rules}});
  EXPECT_EQ(a->headlines(), Lines{});
  ASSERT_TRUE(a->policy);
  ASSERT_EQ(a->policy->rules.size(), 1000u);
  EXPECT_EQ(a->policy->rules.front().name, "rule_0");
  EXPECT_EQ(a->policy->rules.back().name, "rule_999");
  const ir::Rule& rule = *a->policy->find("rule_49");
  EXPECT_EQ(rule.events, event_bit(EventKind::Exec) | event_bit(EventKind::Fork));
  ASSERT_EQ(rule.when.kind, Kind::And);
  ASSERT_EQ(rule.when.children.size(), 3u);
  const ir::Predicate& macro = rule.when.children[0];
  ASSERT_EQ(macro.kind, Kind::And);
  EXPECT_EQ(macro.children[0].operands,
            (std::vector<Value>{std::string("/bin/bash"), std::string("/bin/sh"),
                                std::string("/opt/a49"), std::string("/opt/b49")}));
}

}  // namespace
}  // namespace vigil::sema_test
