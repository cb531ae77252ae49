// Semantic analysis on hand-built ASTs (independent of the parser): the
// symbol table, extensions, cycles, and the shapes lowering produces.
#include "compiler/analyze.h"

#include <gtest/gtest.h>

#include "tests/unit/sema_test_support.h"

namespace vigil::sema_test {
namespace {

using Lines = std::vector<std::string>;
using Kind = ir::Predicate::Kind;

FieldId field_id(std::string_view name) {
  return *find_field(name);
}

TEST(SemaHandBuilt, MinimalRuleLowersWithDefaults) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil", "rule r {\n  on exec\n}\n");
  b.rule("r", b.on({"exec"}));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.headlines(), Lines{});
  ASSERT_TRUE(analysis.policy);
  const ir::Rule& rule = analysis.rule("r");
  EXPECT_EQ(rule.name, "r");
  EXPECT_EQ(rule.events, event_bit(EventKind::Exec));
  EXPECT_EQ(rule.when.kind, Kind::True);
  EXPECT_TRUE(rule.excepts.empty());
  EXPECT_EQ(rule.severity, Severity::Medium);
  EXPECT_EQ(rule.action, Action::Alert);
  EXPECT_TRUE(rule.enabled);
  ASSERT_EQ(rule.output.size(), 1u);
  EXPECT_EQ(rule.output[0].text, "r matched");
  EXPECT_FALSE(rule.output[0].field);
  EXPECT_EQ(analysis.text(rule.name_range), "r");
}

TEST(SemaHandBuilt, DuplicateDefinitionAcrossFilesNamesBothPlaces) {
  Analysis analysis;
  AstBuilder a(analysis, "a.vigil", "macro shells = process.pid == 1\n");
  a.macro("shells", a.compare(a.field("process.pid"), CompareOp::Eq, a.integer(1)));
  a.finish();
  AstBuilder b(analysis, "b.vigil", "\nlist shells = [\"/bin/sh\"]\n");
  b.list("shells", b.items(b.str("/bin/sh")));
  b.finish();
  run_analysis(analysis);
  EXPECT_FALSE(analysis.policy);
  EXPECT_EQ(analysis.only("duplicate-definition"),
            "b.vigil:2:6: error[duplicate-definition]: `shells` is already defined as a macro\n"
            "  hint: rules, lists and macros share one namespace across all policy files; "
            "rename one\n"
            "  note a.vigil:1:7: previous definition here");
}

TEST(SemaHandBuilt, FirstDefinitionIsTheOneInTheEarlierPath) {
  Analysis analysis;
  // Files are handed over out of order; "a.vigil" still counts as first.
  AstBuilder z(analysis, "z.vigil", "rule r {\n  on exec\n}\n");
  z.rule("r", z.on({"exec"}));
  z.finish();
  AstBuilder a(analysis, "a.vigil", "rule r {\n  on fork\n}\n");
  a.rule("r", a.on({"fork"}));
  a.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.errors(),
            Lines{"z.vigil:1:6: error[duplicate-definition]: `r` is already defined"});
}

TEST(SemaHandBuilt, MacroCyclesOfLengthOneTwoAndThree) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "macro self = self\n"
               "macro ping = pong\n"
               "macro pong = ping\n"
               "macro a = b\n"
               "macro b = c\n"
               "macro c = a\n");
  b.from("= self");
  b.macro("self", b.name("self"));
  b.from("= pong");
  b.macro("ping", b.name("pong"));
  b.from("= ping");
  b.macro("pong", b.name("ping"));
  b.from("= b");
  b.macro("a", b.name("b"));
  b.from("= c");
  b.macro("b", b.name("c"));
  b.from("= a");
  b.macro("c", b.name("a"));
  b.finish();
  run_analysis(analysis);
  std::vector<std::string> cycles;
  for (const Diagnostic& d : analysis.sorted())
    if (d.code == "cycle") cycles.push_back(full(analysis.sources, d));
  EXPECT_EQ(cycles, (Lines{
                        "a.vigil:1:7: error[cycle]: macro cycle: self -> self\n"
                        "  hint: a macro cannot use itself, directly or through others\n"
                        "  note a.vigil:1:14: `self` uses `self` here",
                        "a.vigil:2:7: error[cycle]: macro cycle: ping -> pong -> ping\n"
                        "  hint: a macro cannot use itself, directly or through others\n"
                        "  note a.vigil:2:14: `ping` uses `pong` here\n"
                        "  note a.vigil:3:14: `pong` uses `ping` here",
                        "a.vigil:4:7: error[cycle]: macro cycle: a -> b -> c -> a\n"
                        "  hint: a macro cannot use itself, directly or through others\n"
                        "  note a.vigil:4:11: `a` uses `b` here\n"
                        "  note a.vigil:5:11: `b` uses `c` here\n"
                        "  note a.vigil:6:11: `c` uses `a` here",
                    }));
  // Nothing else: no cascade of unknown-macro or type errors.
  EXPECT_EQ(analysis.diagnostics.error_count(), 3u);
}

TEST(SemaHandBuilt, ListCycleAndNestedListsFlatten) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "list loop_a = [loop_b]\n"
               "list loop_b = [loop_a]\n"
               "list inner = [\"/bin/sh\", \"/bin/bash\"]\n"
               "list outer = [inner, \"/bin/zsh\", \"/bin/sh\"]\n"
               "rule r {\n  on exec\n  when process.exe in outer\n}\n");
  b.from("[loop_b]");
  b.list("loop_a", b.items(b.name("loop_b")));
  b.from("[loop_a]");
  b.list("loop_b", b.items(b.name("loop_a")));
  b.from("list inner");
  b.list("inner", b.items(b.str("/bin/sh"), b.str("/bin/bash")));
  b.from("list outer");
  b.from("[inner");
  b.list("outer", b.items(b.name("inner"), b.str("/bin/zsh"), b.str("/bin/sh")));
  b.from("rule r");
  b.rule("r", b.on({"exec"}),
         b.when(b.compare(b.field("process.exe"), CompareOp::In, b.name("outer"))));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.errors(),
            Lines{"a.vigil:1:6: error[cycle]: list cycle: loop_a -> loop_b -> loop_a"});

  // Without the cycle the same set lowers: the nested list is flattened,
  // sorted and deduplicated.
  Analysis clean;
  AstBuilder c(clean, "a.vigil",
               "list inner = [\"/bin/sh\", \"/bin/bash\"]\n"
               "list outer = [inner, \"/bin/zsh\", \"/bin/sh\"]\n"
               "rule r {\n  on exec\n  when process.exe in outer\n}\n");
  c.list("inner", c.items(c.str("/bin/sh"), c.str("/bin/bash")));
  c.from("list outer");
  c.from("[inner");
  c.list("outer", c.items(c.name("inner"), c.str("/bin/zsh"), c.str("/bin/sh")));
  c.from("rule r");
  c.rule("r", c.on({"exec"}),
         c.when(c.compare(c.field("process.exe"), CompareOp::In, c.name("outer"))));
  c.finish();
  run_analysis(clean);
  ASSERT_EQ(clean.headlines(), Lines{});
  const ir::Predicate& when = clean.rule("r").when;
  EXPECT_EQ(when.kind, Kind::Test);
  EXPECT_EQ(when.op, ir::TestOp::InSet);
  EXPECT_EQ(when.field, field_id("process.exe"));
  EXPECT_EQ(when.operands, (std::vector<Value>{std::string("/bin/bash"), std::string("/bin/sh"),
                                               std::string("/bin/zsh")}));
  EXPECT_EQ(clean.text(when.origin), "process.exe in outer");
}

TEST(SemaHandBuilt, NotEqualBecomesNotEqAndFieldsCompare) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "rule r {\n  on exec\n  when process.uid != process.euid and process.pid != 1\n}\n");
  b.rule("r", b.on({"exec"}),
         b.when(b.all(b.compare(b.field("process.uid"), CompareOp::Ne, b.field("process.euid")),
                      b.compare(b.field("process.pid"), CompareOp::Ne, b.integer(1)))));
  b.finish();
  run_analysis(analysis);
  ASSERT_EQ(analysis.headlines(), Lines{});
  const ir::Predicate& when = analysis.rule("r").when;
  ASSERT_EQ(when.kind, Kind::And);
  ASSERT_EQ(when.children.size(), 2u);
  const ir::Predicate& fields = when.children[0];
  ASSERT_EQ(fields.kind, Kind::Not);
  ASSERT_EQ(fields.children.size(), 1u);
  EXPECT_EQ(fields.children[0].kind, Kind::FieldCompare);
  EXPECT_EQ(fields.children[0].op, ir::TestOp::Eq);
  EXPECT_EQ(fields.children[0].field, field_id("process.uid"));
  EXPECT_EQ(fields.children[0].other_field, field_id("process.euid"));
  const ir::Predicate& pid = when.children[1];
  ASSERT_EQ(pid.kind, Kind::Not);
  EXPECT_EQ(pid.children[0].kind, Kind::Test);
  EXPECT_EQ(pid.children[0].op, ir::TestOp::Eq);
  EXPECT_EQ(pid.children[0].operands, std::vector<Value>{int64_t{1}});
  EXPECT_EQ(analysis.text(pid.origin), "process.pid != 1");
  EXPECT_EQ(analysis.text(pid.children[0].origin), "process.pid != 1");
}

TEST(SemaHandBuilt, ExtendAndDisableApplyInPathOrder) {
  Analysis analysis;
  AstBuilder base(analysis, "base/rules.vigil",
                  "rule r {\n  on exec\n  severity low\n  tags [T1059]\n"
                  "  except process.pid == 1\n}\n");
  base.rule("r", base.on({"exec"}), base.severity("low"), base.tags({"T1059"}),
            base.except(base.compare(base.field("process.pid"), CompareOp::Eq, base.integer(1))));
  base.finish();
  // z_local comes after a_site: its severity wins, both excepts and tags add.
  AstBuilder z(analysis, "z_local.vigil",
               "extend rule r {\n  severity critical\n  tags [local]\n"
               "  except process.pid == 3\n}\n");
  z.extend_rule("r", z.severity("critical"), z.tags({"local"}),
                z.except(z.compare(z.field("process.pid"), CompareOp::Eq, z.integer(3))));
  z.finish();
  AstBuilder a(analysis, "a_site.vigil",
               "extend rule r {\n  severity high\n  tags [site, T1059]\n"
               "  except process.pid == 2\n  enabled false\n}\n");
  a.extend_rule("r", a.severity("high"), a.tags({"site", "T1059"}),
                a.except(a.compare(a.field("process.pid"), CompareOp::Eq, a.integer(2))),
                a.enabled("false"));
  a.finish();
  run_analysis(analysis);
  ASSERT_EQ(analysis.headlines(), Lines{});
  const ir::Rule& rule = analysis.rule("r");
  EXPECT_EQ(rule.severity, Severity::Critical);
  EXPECT_EQ(rule.tags, (std::vector<std::string>{"T1059", "site", "local"}));
  ASSERT_EQ(rule.excepts.size(), 3u);
  EXPECT_EQ(rule.excepts[0].operands, std::vector<Value>{int64_t{1}});
  EXPECT_EQ(rule.excepts[1].operands, std::vector<Value>{int64_t{2}});
  EXPECT_EQ(rule.excepts[2].operands, std::vector<Value>{int64_t{3}});
  EXPECT_FALSE(rule.enabled);
}

TEST(SemaHandBuilt, DisableRuleKeepsTheRuleDisabled) {
  Analysis analysis;
  AstBuilder a(analysis, "a.vigil", "rule r {\n  on exec\n}\nrule s {\n  on exec\n}\n");
  a.rule("r", a.on({"exec"}));
  a.from("rule s");
  a.rule("s", a.on({"exec"}));
  a.finish();
  AstBuilder b(analysis, "b.vigil", "disable rule s\n");
  b.disable_rule("s");
  b.finish();
  run_analysis(analysis);
  ASSERT_EQ(analysis.headlines(), Lines{});
  ASSERT_EQ(analysis.policy->rules.size(), 2u);
  EXPECT_TRUE(analysis.rule("r").enabled);
  EXPECT_FALSE(analysis.rule("s").enabled);
}

TEST(SemaHandBuilt, UnknownExtensionTargetsSuggestNames) {
  Analysis analysis;
  AstBuilder a(analysis, "a.vigil", "rule shell_spawn {\n  on exec\n}\nlist shells = [\"a\"]\n");
  a.rule("shell_spawn", a.on({"exec"}));
  a.from("list shells");
  a.list("shells", a.items(a.str("a")));
  a.finish();
  AstBuilder b(analysis, "b.vigil", "disable rule shell_spwn\nextend list shell [\"b\"]\n");
  b.disable_rule("shell_spwn");
  b.from("extend list");
  b.extend_list("shell", b.items(b.str("b")));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.only("unknown-rule"),
            "b.vigil:1:14: error[unknown-rule]: `disable rule` names an unknown rule "
            "`shell_spwn`\n  hint: did you mean `shell_spawn`?");
  EXPECT_EQ(analysis.only("unknown-list"),
            "b.vigil:2:13: error[unknown-list]: `extend list` names an unknown list `shell`\n"
            "  hint: did you mean `shells`?");
}

TEST(SemaHandBuilt, MacrosExpandWithOriginsInsideTheMacro) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "macro root = process.uid == 0\n"
               "rule r {\n  on exec\n  when (root) and not process.exe startswith [\"/usr/\", "
               "\"/bin/\"]\n}\n");
  b.macro("root", b.compare(b.field("process.uid"), CompareOp::Eq, b.integer(0)));
  b.from("rule r");
  b.rule("r", b.on({"exec"}),
         b.when(b.all(b.paren(b.name("root")),
                      b.negate(b.compare(b.field("process.exe"), CompareOp::StartsWith,
                                         b.items(b.str("/usr/"), b.str("/bin/")))))));
  b.finish();
  run_analysis(analysis);
  ASSERT_EQ(analysis.headlines(), Lines{});
  const ir::Predicate& when = analysis.rule("r").when;
  ASSERT_EQ(when.kind, Kind::And);
  ASSERT_EQ(when.children.size(), 2u);
  // The parentheses disappear; the macro's node points into the macro.
  EXPECT_EQ(when.children[0].kind, Kind::Test);
  EXPECT_EQ(analysis.text(when.children[0].origin), "process.uid == 0");
  const ir::Predicate& negation = when.children[1];
  ASSERT_EQ(negation.kind, Kind::Not);
  const ir::Predicate& prefixes = negation.children[0];
  EXPECT_EQ(prefixes.op, ir::TestOp::StartsWith);
  EXPECT_EQ(prefixes.operands, (std::vector<Value>{std::string("/bin/"), std::string("/usr/")}));
  EXPECT_EQ(analysis.text(negation.origin), "not process.exe startswith [\"/usr/\", \"/bin/\"]");
}

TEST(SemaHandBuilt, IpMembershipBecomesNetworks) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "rule r {\n  on net.connect\n"
               "  when net.daddr not in [10.0.0.0/8, 192.168.1.7, ::1, 10.0.0.0/8]\n}\n");
  b.rule("r", b.on({"net.connect"}),
         b.when(b.compare(b.field("net.daddr"), CompareOp::NotIn,
                          b.items(b.network("10.0.0.0/8"), b.ip("192.168.1.7"), b.ip("::1"),
                                  b.network("10.0.0.0/8")))));
  b.finish();
  run_analysis(analysis);
  ASSERT_EQ(analysis.headlines(), Lines{});
  const ir::Predicate& when = analysis.rule("r").when;
  ASSERT_EQ(when.kind, Kind::Not);
  const ir::Predicate& test = when.children[0];
  EXPECT_EQ(test.op, ir::TestOp::InNetworks);
  ASSERT_EQ(test.operands.size(), 3u);  // the duplicate network is dropped
  std::vector<std::string> networks;
  for (const Value& value : test.operands)
    networks.push_back(std::get<IpNetwork>(value).to_string());
  EXPECT_EQ(networks, (Lines{"10.0.0.0/8", "192.168.1.7/32", "::1/128"}));
}

TEST(SemaHandBuilt, UnknownFieldGivesOneErrorNotACascade) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil", "rule r {\n  on exec\n  when process.exee == 1\n}\n");
  b.rule("r", b.on({"exec"}),
         b.when(b.compare(b.field("process.exee"), CompareOp::Eq, b.integer(1))));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.headlines(),
            Lines{"a.vigil:3:8: error[unknown-field]: unknown field `process.exee`"});
  EXPECT_EQ(analysis.sorted()[0].hint, "did you mean `process.exe`?");
}

TEST(SemaHandBuilt, DeepHandBuiltNestingIsAnErrorNotACrash) {
  Analysis analysis;
  std::string text = "rule r {\n  on exec\n  when ";
  const int depth = 5000;
  for (int i = 0; i < depth; ++i) text += "not ";
  text += "process.pid == 1\n}\n";
  AstBuilder b(analysis, "a.vigil", text);
  ast::ExprPtr expr = b.compare(b.field("process.pid"), CompareOp::Eq, b.integer(1));
  for (int i = 0; i < depth; ++i) {
    auto wrapper = std::make_unique<ast::Expr>();
    wrapper->kind = ast::ExprKind::Not;
    wrapper->range = expr->range;
    wrapper->children.push_back(std::move(expr));
    expr = std::move(wrapper);
  }
  b.rule("r", b.on({"exec"}), b.when(std::move(expr)));
  b.finish();
  run_analysis(analysis);
  EXPECT_FALSE(analysis.policy);
  EXPECT_EQ(analysis.diagnostics.error_count(), 1u);
  EXPECT_EQ(analysis.sorted()[0].code, "nesting-too-deep");
}

// Shapes the parser never builds, but the analyser must still handle.
TEST(SemaHandBuilt, ListLiteralInConditionPositionIsNotACondition) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil", "rule r {\n  on exec\n  when [1]\n}\n");
  b.rule("r", b.on({"exec"}), b.when(b.items(b.integer(1))));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.only("not-a-condition"),
            "a.vigil:3:8: error[not-a-condition]: a list is not a condition\n"
            "  hint: use a list on the right of `in`, e.g. `process.exe in [\"/bin/sh\"]`");
}

TEST(SemaHandBuilt, NestedListItemsAreRejected) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil",
               "list l = [[1]]\nrule r {\n  on exec\n  when process.pid in [[2]]\n}\n");
  b.list("l", b.items(b.items(b.integer(1))));
  b.from("rule r");
  b.rule("r", b.on({"exec"}),
         b.when(b.compare(b.field("process.pid"), CompareOp::In, b.items(b.items(b.integer(2))))));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.errors(),
            (Lines{
                "a.vigil:1:11: error[invalid-list-item]: a list item must be a literal or the name "
                "of a list",
                "a.vigil:4:24: error[invalid-list-item]: a list item must be a literal or the name "
                "of a list",
            }));
}

TEST(SemaHandBuilt, InvalidEnabledValue) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil", "rule r {\n  on exec\n  enabled maybe\n}\n");
  b.rule("r", b.on({"exec"}), b.enabled("maybe"));
  b.finish();
  run_analysis(analysis);
  EXPECT_EQ(analysis.errors(), Lines{"a.vigil:3:11: error[invalid-enabled]: `enabled` must be "
                                     "`true` or `false`, not `maybe`"});
}

TEST(SemaHandBuilt, MissingBodiesAndExpressionsDoNotCrash) {
  Analysis analysis;
  AstBuilder b(analysis, "a.vigil", "macro m = x\nlist l = [1]\nrule r {\n  on exec\n}\n");
  b.macro("m", b.name("x"));
  b.list("l", b.items(b.integer(1)));
  b.from("rule r");
  b.rule("r", b.on({"exec"}));
  b.finish();
  // Strip what a parser that recovered from errors might leave out.
  for (ast::Decl& decl : analysis.files[0].decls) decl.body.reset();
  ast::Clause when;
  when.kind = ast::ClauseKind::When;
  analysis.files[0].decls[2].clauses.push_back(std::move(when));
  run_analysis(analysis);
  EXPECT_EQ(analysis.errors(), Lines{});
  EXPECT_EQ(analysis.warnings(), (Lines{
                                     "a.vigil:1:7: warning[unused-macro]: macro `m` is never used",
                                     "a.vigil:2:6: warning[unused-list]: list `l` is never used",
                                 }));
}

}  // namespace
}  // namespace vigil::sema_test
