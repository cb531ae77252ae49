// Which tests of a rule the back end puts where: automaton gates, atoms,
// residual code, user space; and the rule bit layout.
#include <gtest/gtest.h>

#include "compiler/codegen/plan.h"
#include "tests/unit/sema_test_support.h"

namespace vigil::codegen {
namespace {

struct Planned {
  std::unique_ptr<sema_test::Analysis> analysis;
  PolicyPlan plan;

  const EventPlan& event(EventKind kind) const {
    for (const EventPlan& event : plan.events)
      if (event.kind == kind) return event;
    ADD_FAILURE() << "no plan for event " << event_info(kind).name;
    static const EventPlan kNone{};
    return kNone;
  }
  const PlannedRule& rule(EventKind kind, std::string_view name) const {
    for (const PlannedRule& rule : event(kind).rules)
      if (rule.rule->name == name) return rule;
    ADD_FAILURE() << "no rule " << name;
    static const PlannedRule kNone{};
    return kNone;
  }
  // "Gate(file.path)", "Residual[2 atoms]", "UserSpace", "Constant", per conjunct.
  std::vector<std::string> placements(EventKind kind, std::string_view name) const {
    std::vector<std::string> out;
    for (const PlannedConjunct& c : rule(kind, name).conjuncts) {
      std::string text;
      switch (c.placement) {
        case Placement::Gate:
          text = "Gate(" + std::string(field_info(*c.gate_field).name) + ")";
          break;
        case Placement::Residual: text = "Residual"; break;
        case Placement::UserSpace: text = "UserSpace"; break;
        case Placement::Constant: text = "Constant"; break;
      }
      if (!c.atoms.empty()) text += "[" + std::to_string(c.atoms.size()) + " atoms]";
      if (c.negated) text = "not " + text;
      out.push_back(text);
    }
    return out;
  }
};

Planned plan_text(const std::string& text) {
  Planned out;
  out.analysis = sema_test::analyze_text(text);
  EXPECT_EQ(out.analysis->errors(), std::vector<std::string>{});
  if (out.analysis->policy) out.plan = plan_policy(*out.analysis->policy);
  return out;
}

using Strings = std::vector<std::string>;

TEST(CodegenPlan, SingleFieldStringConjunctsAreGatesOtherCodeIsResidual) {
  Planned p = plan_text(R"(
rule r {
  on file.open
  when file.path startswith "/etc/" and file.write and process.uid != 0
  except process.comm in ["a", "b"] or process.exe endswith "/apt"
})");
  EXPECT_EQ(p.placements(EventKind::FileOpen, "r"),
            (Strings{"Gate(file.path)", "Residual", "not Gate(process.uid)",
                     "not Gate(process.comm)", "not Gate(process.exe)"}));
  EXPECT_TRUE(p.rule(EventKind::FileOpen, "r").kernel_complete);
  // One automaton per gated string field and one lookup table for the int
  // field, each with one gate output at the rule's bit.
  const EventPlan& event = p.event(EventKind::FileOpen);
  ASSERT_EQ(event.value_gates.size(), 1u);
  EXPECT_EQ(field_info(event.value_gates[0].field).name, "process.uid");
  ASSERT_EQ(event.automata.size(), 3u);
  for (const FieldAutomatonPlan& automaton : event.automata) {
    ASSERT_EQ(automaton.outputs.size(), 1u);
    EXPECT_EQ(automaton.outputs[0].kind, AutomatonOutput::Kind::Gate);
    EXPECT_EQ(automaton.outputs[0].bit, 0u);
  }
}

TEST(CodegenPlan, SeveralConjunctsOnOneFieldFormOneGateOutput) {
  Planned p = plan_text(R"(
rule r {
  on file.open
  when file.path startswith "/etc/" and file.path endswith ".conf" and not (file.path glob "/etc/x*")
})");
  const EventPlan& event = p.event(EventKind::FileOpen);
  ASSERT_EQ(event.automata.size(), 1u);
  ASSERT_EQ(event.automata[0].outputs.size(), 1u);
  EXPECT_EQ(event.automata[0].outputs[0].test.kind, ir::Predicate::Kind::And);
  EXPECT_EQ(event.automata[0].outputs[0].test.children.size(), 3u);
}

TEST(CodegenPlan, ContainsIsAnAtomOfAnAccumulatingAutomaton) {
  Planned p = plan_text(R"(
rule r {
  on file.open
  when file.path contains ["/.ssh/", "id_rsa"] and file.path startswith "/home/"
})");
  EXPECT_EQ(p.placements(EventKind::FileOpen, "r"),
            (Strings{"Residual[1 atoms]", "Gate(file.path)"}));
  const EventPlan& event = p.event(EventKind::FileOpen);
  ASSERT_EQ(event.automata.size(), 2u);
  const FieldAutomatonPlan& gates = event.automata[0];
  const FieldAutomatonPlan& hits = event.automata[1];
  EXPECT_FALSE(gates.accumulate);
  ASSERT_TRUE(hits.accumulate);
  // "contains any of" = "at some prefix of the value, ends with one of them".
  ASSERT_EQ(hits.outputs.size(), 1u);
  EXPECT_EQ(hits.outputs[0].kind, AutomatonOutput::Kind::Atom);
  EXPECT_EQ(hits.outputs[0].test.op, ir::TestOp::EndsWith);
  EXPECT_EQ(hits.outputs[0].test.operands.size(), 2u);
}

TEST(CodegenPlan, MixedFieldDisjunctionsAndMultiValuedFieldsUseAtoms) {
  Planned p = plan_text(R"(
rule r {
  on exec
  when (process.exe == "/bin/sh" or process.comm == "sh") and process.args contains "-c"
})");
  EXPECT_EQ(p.placements(EventKind::Exec, "r"),
            (Strings{"Residual[2 atoms]", "Residual[1 atoms]"}));
  EXPECT_EQ(p.event(EventKind::Exec).atom_count, 3u);
  const EventPlan& event = p.event(EventKind::Exec);
  for (const FieldAutomatonPlan& automaton : event.automata)
    for (const AutomatonOutput& output : automaton.outputs)
      EXPECT_EQ(output.kind, AutomatonOutput::Kind::Atom);
}

TEST(CodegenPlan, UserSpaceTestsMakeAPrefilterThatLetsEventsThrough) {
  Planned p = plan_text(R"(
rule r {
  on exec
  when process.exe matches "^/usr/s?bin/" and process.uid == 0
  except user.name == "root"
})");
  const PlannedRule& rule = p.rule(EventKind::Exec, "r");
  EXPECT_FALSE(rule.kernel_complete);
  EXPECT_EQ(p.placements(EventKind::Exec, "r"),
            (Strings{"UserSpace", "Gate(process.uid)", "not UserSpace"}));
  // Both user-space conjuncts become `true` in the kernel, whatever their polarity.
  EXPECT_EQ(rule.conjuncts[0].kernel.kind, ir::Predicate::Kind::True);
  EXPECT_EQ(rule.conjuncts[2].kernel.kind, ir::Predicate::Kind::True);
}

TEST(CodegenPlan, NestedUserSpaceTestsAreReplacedByPolarity) {
  Planned p = plan_text(R"(
rule r {
  on exec
  when not (process.exe == "/bin/sh" and process.container_id == "")
})");
  const PlannedRule& rule = p.rule(EventKind::Exec, "r");
  EXPECT_FALSE(rule.kernel_complete);
  // not (A and U) with U -> false (negative polarity): not (A and false) = true.
  ASSERT_EQ(rule.conjuncts.size(), 1u);
  EXPECT_EQ(rule.conjuncts[0].placement, Placement::UserSpace);
  EXPECT_EQ(rule.conjuncts[0].kernel.kind, ir::Predicate::Kind::True);
}

TEST(CodegenPlan, RuleBitsCountEnabledRulesAcrossEvents) {
  Planned p = plan_text(R"(
rule a { on exec when process.uid == 0 }
rule b { on file.open, exec when process.uid == 1 }
rule c { on file.open when process.uid == 2 enabled false }
)");
  EXPECT_EQ(p.plan.rule_count, 2u);
  ASSERT_EQ(p.plan.events.size(), 2u);
  EXPECT_EQ(p.event(EventKind::Exec).rules.size(), 2u);
  EXPECT_EQ(p.event(EventKind::FileOpen).rules.size(), 1u);
  EXPECT_EQ(p.rule(EventKind::FileOpen, "b").index, p.rule(EventKind::Exec, "b").index);
  // Bits are per event: b is bit 1 on exec, after a, and bit 0 on file.open.
  EXPECT_EQ(p.rule(EventKind::Exec, "b").bit, 1u);
  EXPECT_EQ(p.rule(EventKind::FileOpen, "b").bit, 0u);
}

TEST(CodegenPlan, FieldsReadIncludeOutputFields) {
  Planned p = plan_text(R"(
rule a { on exec when process.uid == 0 output "{process.cmdline} by {user.name}" })");
  std::vector<std::string> names;
  for (FieldId field : p.event(EventKind::Exec).fields_read)
    names.emplace_back(field_info(field).name);
  EXPECT_EQ(names, (Strings{"process.uid", "process.cmdline"}));
}

TEST(CodegenPlan, OrderingTestsStayResidualMembershipTestsAreLookups) {
  Planned p = plan_text(R"(
rule a {
  on net.connect
  when net.dport > 1024 and net.dport not in [8080, 8443] and net.daddr in [10.0.0.0/8, ::1]
})");
  EXPECT_EQ(p.placements(EventKind::NetConnect, "a"),
            (Strings{"Residual", "not Gate(net.dport)", "Gate(net.daddr)"}));
  EXPECT_EQ(p.event(EventKind::NetConnect).value_gates.size(), 2u);
}

TEST(CodegenPlan, FieldComparesStayResidual) {
  Planned p = plan_text(R"(
rule a { on exec when process.exe == parent.exe and process.uid < process.euid })");
  EXPECT_EQ(p.placements(EventKind::Exec, "a"), (Strings{"Residual", "Residual"}));
  EXPECT_TRUE(p.event(EventKind::Exec).automata.empty());
}

}  // namespace
}  // namespace vigil::codegen
