#include "compiler/codegen/plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace vigil::codegen {
namespace {

using Kind = ir::Predicate::Kind;

bool carries(EventKind kind, FieldId field) {
  return (field_info(field).events & event_bit(kind)) != 0;
}

bool user_space_leaf(const ir::Predicate& leaf) {
  if (leaf.kind == Kind::Test)
    return leaf.op == ir::TestOp::Matches ||
           field_info(leaf.field).source == FieldSource::UserSpace;
  if (leaf.kind == Kind::FieldCompare)
    return field_info(leaf.field).source == FieldSource::UserSpace ||
           field_info(leaf.other_field).source == FieldSource::UserSpace;
  return false;
}

ir::Predicate constant(bool value, SourceRange origin) {
  ir::Predicate out;
  out.kind = value ? Kind::True : Kind::False;
  out.origin = origin;
  return out;
}

// The predicate as the kernel evaluates it on `event`: tests of fields the
// event does not carry are false (as in the reference evaluator), and
// user-space leaves become whatever lets the event through at their polarity.
// `approximated` is set if any user-space leaf was replaced.
ir::Predicate kernel_form(const ir::Predicate& node, EventKind event, bool positive,
                          bool& approximated) {
  switch (node.kind) {
    case Kind::True:
    case Kind::False: return node;
    case Kind::Test:
    case Kind::FieldCompare: {
      bool carried = carries(event, node.field) &&
                     (node.kind == Kind::Test || carries(event, node.other_field));
      if (!carried) return constant(false, node.origin);
      if (user_space_leaf(node)) {
        approximated = true;
        return constant(positive, node.origin);
      }
      return node;
    }
    case Kind::Not: {
      ir::Predicate child = kernel_form(node.children.front(), event, !positive, approximated);
      if (child.kind == Kind::True || child.kind == Kind::False)
        return constant(child.kind == Kind::False, node.origin);
      if (child.kind == Kind::Not) return std::move(child.children.front());
      ir::Predicate out;
      out.kind = Kind::Not;
      out.origin = node.origin;
      out.children.push_back(std::move(child));
      return out;
    }
    case Kind::And:
    case Kind::Or: {
      const bool is_and = node.kind == Kind::And;
      ir::Predicate out;
      out.kind = node.kind;
      out.origin = node.origin;
      for (const ir::Predicate& child : node.children) {
        ir::Predicate folded = kernel_form(child, event, positive, approximated);
        if (folded.kind == (is_and ? Kind::False : Kind::True)) return folded;
        if (folded.kind == (is_and ? Kind::True : Kind::False)) continue;
        out.children.push_back(std::move(folded));
      }
      if (out.children.empty()) return constant(is_and, node.origin);
      if (out.children.size() == 1) return std::move(out.children.front());
      return out;
    }
  }
  return node;
}

// A top-level conjunct found by collect_conjuncts.
struct FoundConjunct {
  const ir::Predicate* node;
  bool negated;
  bool from_except;
  const ir::Predicate* shown;  // the expression a reader would recognise
};

// Top-level conjuncts: nested Ands of `when`, and each except negated (an
// except that is an Or gives one negated conjunct per alternative).
void collect_conjuncts(const ir::Predicate& node, bool negated, bool from_except,
                       const ir::Predicate* shown, std::vector<FoundConjunct>& out) {
  if (!negated && node.kind == Kind::And) {
    for (const ir::Predicate& child : node.children)
      collect_conjuncts(child, false, from_except, nullptr, out);
  } else if (negated && node.kind == Kind::Or) {
    for (const ir::Predicate& child : node.children)
      collect_conjuncts(child, true, from_except, nullptr, out);
  } else if (node.kind == Kind::Not && !node.children.empty()) {
    collect_conjuncts(node.children.front(), !negated, from_except, shown ? shown : &node, out);
  } else {
    out.push_back({&node, negated, from_except, shown ? shown : &node});
  }
}

// The one field all leaves test, if every leaf is a Test of the same field.
std::optional<FieldId> single_tested_field(const ir::Predicate& node) {
  std::optional<FieldId> field;
  bool ok = true;
  auto visit = [&](auto&& self, const ir::Predicate& n) -> void {
    if (!ok) return;
    switch (n.kind) {
      case Kind::Test:
        if (field && *field != n.field) ok = false;
        field = n.field;
        return;
      case Kind::FieldCompare: ok = false; return;
      case Kind::True:
      case Kind::False: return;
      default:
        for (const ir::Predicate& child : n.children) self(self, child);
    }
  };
  visit(visit, node);
  if (!ok) return std::nullopt;
  return field;
}

bool mentions_contains(const ir::Predicate& node) {
  if (node.kind == Kind::Test && node.op == ir::TestOp::Contains) return true;
  for (const ir::Predicate& child : node.children)
    if (mentions_contains(child)) return true;
  return false;
}

bool is_string_test(const ir::Predicate& node) {
  return node.kind == Kind::Test && field_info(node.field).type == Type::String;
}

void collect_fields(const ir::Predicate& node, std::set<FieldId>& fields) {
  if (node.kind == Kind::Test) fields.insert(node.field);
  if (node.kind == Kind::FieldCompare) {
    fields.insert(node.field);
    fields.insert(node.other_field);
  }
  for (const ir::Predicate& child : node.children) collect_fields(child, fields);
}

class Planner {
 public:
  explicit Planner(PolicyPlan& plan) : plan_(plan) {}

  // `units`: (rule index, sequence step or -1), one bit each, in bit order.
  EventPlan plan_event(EventKind kind, const std::vector<std::pair<uint32_t, int>>& units) {
    EventPlan event;
    event.kind = kind;
    std::map<std::pair<FieldId, bool>, FieldAutomatonPlan> automata;
    std::map<FieldId, FieldAutomatonPlan> value_gates;
    std::set<FieldId> fields;
    for (uint32_t bit = 0; bit < units.size(); ++bit) {
      const ir::Rule& rule = *plan_.rules[units[bit].first];
      PlannedRule planned;
      planned.index = units[bit].first;
      planned.bit = bit;
      planned.rule = &rule;
      planned.step = units[bit].second;
      const ir::Predicate& when =
          planned.step >= 0 ? rule.sequence->steps[planned.step].when : rule.when;
      std::vector<FoundConjunct> conjuncts;
      collect_conjuncts(when, false, false, nullptr, conjuncts);
      for (const ir::Predicate& except : rule.excepts)
        collect_conjuncts(except, true, true, nullptr, conjuncts);
      std::map<FieldId, std::vector<ir::Predicate>> gates;
      for (const FoundConjunct& found : conjuncts) {
        const ir::Predicate* source = found.node;
        const bool negated = found.negated;
        collect_fields(*source, fields);
        PlannedConjunct conjunct;
        conjunct.source = source;
        conjunct.negated = negated;
        conjunct.from_except = found.from_except;
        conjunct.shown = found.shown;
        bool approximated = false;
        ir::Predicate folded = kernel_form(*source, kind, !negated, approximated);
        if (negated && folded.kind != Kind::True && folded.kind != Kind::False) {
          ir::Predicate not_node;
          not_node.kind = Kind::Not;
          not_node.origin = source->origin;
          not_node.children.push_back(std::move(folded));
          folded = std::move(not_node);
        } else if (negated) {
          folded = constant(folded.kind == Kind::False, source->origin);
        }
        if (approximated) planned.kernel_complete = false;
        if (folded.kind == Kind::True || folded.kind == Kind::False) {
          conjunct.placement = approximated ? Placement::UserSpace : Placement::Constant;
          if (folded.kind == Kind::False) planned.never_matches = true;
        } else if (auto field = gate_field(folded); field && !approximated) {
          conjunct.placement = Placement::Gate;
          conjunct.gate_field = field;
          gates[*field].push_back(folded);
        } else {
          conjunct.placement = approximated ? Placement::UserSpace : Placement::Residual;
          make_atoms(folded, event.atom_count, conjunct.atoms, automata);
        }
        conjunct.kernel = std::move(folded);
        planned.conjuncts.push_back(std::move(conjunct));
      }
      if (!planned.never_matches) {
        for (auto& [field, tests] : gates) {
          ir::Predicate gate;
          if (tests.size() == 1) {
            gate = std::move(tests.front());
          } else {
            gate.kind = Kind::And;
            gate.children = std::move(tests);
          }
          FieldAutomatonPlan& automaton = field_info(field).type == Type::String
                                              ? automata[{field, false}]
                                              : value_gates[field];
          automaton.field = field;
          automaton.outputs.push_back({AutomatonOutput::Kind::Gate, bit, std::move(gate)});
        }
      }
      for (const ir::OutputSegment& segment : rule.output)
        if (segment.field) fields.insert(*segment.field);
      // The key of a threshold or sequence is computed in the kernel.
      if (rule.threshold) fields.insert(rule.threshold->by.begin(), rule.threshold->by.end());
      if (rule.sequence) fields.insert(rule.sequence->by.begin(), rule.sequence->by.end());
      event.rules.push_back(std::move(planned));
    }
    for (auto& [field, automaton] : automata) event.automata.push_back(std::move(automaton));
    for (auto& [field, gates] : value_gates) event.value_gates.push_back(std::move(gates));
    for (FieldId field : fields)
      if (carries(kind, field) && field_info(field).source == FieldSource::Kernel)
        event.fields_read.push_back(field);
    return event;
  }

 private:
  // A gate tests only one single-valued kernel field: a string (not with
  // `contains`, an atom: see FieldAutomatonPlan), or an int, port or address
  // with membership tests only (==, in), whose outcome a table lookup gives.
  static std::optional<FieldId> gate_field(const ir::Predicate& node) {
    std::optional<FieldId> field = single_tested_field(node);
    if (!field) return std::nullopt;
    const FieldInfo& info = field_info(*field);
    if (info.multi_valued || info.source != FieldSource::Kernel) return std::nullopt;
    if (info.type == Type::String) {
      if (mentions_contains(node)) return std::nullopt;
      return field;
    }
    if (info.type != Type::Int && info.type != Type::Port && info.type != Type::Ip)
      return std::nullopt;
    if (!only_membership_tests(node)) return std::nullopt;
    return field;
  }

  static bool only_membership_tests(const ir::Predicate& node) {
    if (node.kind == Kind::Test)
      return node.op == ir::TestOp::Eq || node.op == ir::TestOp::InSet ||
             node.op == ir::TestOp::InNetworks;
    return std::all_of(node.children.begin(), node.children.end(), only_membership_tests);
  }

  // Every string test in residual code reads an atom bit.
  static void make_atoms(const ir::Predicate& node, uint32_t& atom_count,
                         std::vector<uint32_t>& atoms,
                         std::map<std::pair<FieldId, bool>, FieldAutomatonPlan>& automata) {
    if (is_string_test(node)) {
      uint32_t atom = atom_count++;
      atoms.push_back(atom);
      const bool accumulate = node.op == ir::TestOp::Contains;
      FieldAutomatonPlan& automaton = automata[{node.field, accumulate}];
      automaton.field = node.field;
      automaton.accumulate = accumulate;
      ir::Predicate test = node;
      if (accumulate) test.op = ir::TestOp::EndsWith;  // at some prefix of the value
      automaton.outputs.push_back({AutomatonOutput::Kind::Atom, atom, std::move(test)});
      return;
    }
    for (const ir::Predicate& child : node.children) make_atoms(child, atom_count, atoms, automata);
  }

  PolicyPlan& plan_;
};

}  // namespace

bool kernel_capable(const ir::Predicate& predicate) {
  if (user_space_leaf(predicate)) return false;
  return std::all_of(predicate.children.begin(), predicate.children.end(),
                     [](const ir::Predicate& child) { return kernel_capable(child); });
}

PolicyPlan plan_policy(const ir::PolicySet& policy) {
  PolicyPlan plan;
  for (const ir::Rule& rule : policy.rules)
    if (rule.enabled) plan.rules.push_back(&rule);
  plan.rule_count = static_cast<uint32_t>(plan.rules.size());
  Planner planner(plan);
  for (const EventInfo& event : all_events()) {
    // A sequence rule gets a bit per step that applies to the event: the
    // generated code then knows which steps an event matched.
    std::vector<std::pair<uint32_t, int>> units;
    for (uint32_t index = 0; index < plan.rule_count; ++index) {
      const ir::Rule& rule = *plan.rules[index];
      if (!(rule.events & event_bit(event.kind))) continue;
      if (!rule.sequence) {
        units.emplace_back(index, -1);
        continue;
      }
      for (size_t step = 0; step < rule.sequence->steps.size(); ++step)
        if (rule.sequence->steps[step].events & event_bit(event.kind))
          units.emplace_back(index, static_cast<int>(step));
    }
    if (!units.empty()) plan.events.push_back(planner.plan_event(event.kind, units));
  }
  return plan;
}

}  // namespace vigil::codegen
