#include "compiler/evaluator.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "compiler/glob.h"
#include "compiler/regex_cache.h"
#include "compiler/text_escape.h"

namespace vigil {
namespace {

Value default_value(Type type) {
  switch (type) {
    case Type::Bool: return false;
    case Type::Int:
    case Type::Port: return int64_t{0};
    case Type::String: return std::string();
    case Type::Ip: return IpAddress{};  // 0.0.0.0
    case Type::Duration: return Duration{0};
    case Type::Cidr: return IpNetwork{};
  }
  return int64_t{0};
}

bool has_type(const Value& value, Type type) {
  switch (type) {
    case Type::Bool: return std::holds_alternative<bool>(value);
    case Type::Int:
    case Type::Port: return std::holds_alternative<int64_t>(value);
    case Type::String: return std::holds_alternative<std::string>(value);
    case Type::Ip: return std::holds_alternative<IpAddress>(value);
    case Type::Duration: return std::holds_alternative<Duration>(value);
    case Type::Cidr: return std::holds_alternative<IpNetwork>(value);
  }
  return false;
}

bool carries(EventKind kind, FieldId field) {
  return field < all_fields().size() && (field_info(field).events & event_bit(kind)) != 0;
}

// ---- Value comparisons -------------------------------------------------------------

// An IPv4 address is its first 4 bytes; whatever the other 12 hold is ignored.
bool same_address(const IpAddress& a, const IpAddress& b) {
  if (a.is_v4 != b.is_v4) return false;
  return std::memcmp(a.bytes.data(), b.bytes.data(), a.is_v4 ? 4 : 16) == 0;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.index() != b.index()) return false;
  if (auto* address = std::get_if<IpAddress>(&a))
    return same_address(*address, std::get<IpAddress>(b));
  return a == b;
}

// -1, 0, 1 for ordered types (int, port, duration); nullopt otherwise.
std::optional<int> order(const Value& a, const Value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (auto* x = std::get_if<int64_t>(&a))
    if (auto* y = std::get_if<int64_t>(&b)) return sign(*x, *y);
  if (auto* x = std::get_if<Duration>(&a))
    if (auto* y = std::get_if<Duration>(&b)) return sign(*x, *y);
  return std::nullopt;
}

bool compare(ir::TestOp op, const Value& left, const Value& right) {
  using enum ir::TestOp;
  if (op == Eq) return values_equal(left, right);
  auto ordering = order(left, right);
  if (!ordering) return false;
  switch (op) {
    case Lt: return *ordering < 0;
    case Le: return *ordering <= 0;
    case Gt: return *ordering > 0;
    case Ge: return *ordering >= 0;
    default: return false;
  }
}

bool in_network(const IpAddress& address, const Value& operand) {
  if (auto* network = std::get_if<IpNetwork>(&operand)) return network->contains(address);
  if (auto* single = std::get_if<IpAddress>(&operand)) return same_address(address, *single);
  return false;
}

// A test against one value of a field. `glob` is the compiled pattern for Glob.
bool test_one_value(const ir::Predicate& test, const GlobPattern* glob, const Value& value) {
  using enum ir::TestOp;
  const auto& operands = test.operands;
  auto any_operand = [&](auto&& holds) {
    return std::any_of(operands.begin(), operands.end(), holds);
  };
  switch (test.op) {
    case Eq:
    case Lt:
    case Le:
    case Gt:
    case Ge:
      return any_operand([&](const Value& operand) { return compare(test.op, value, operand); });
    case InSet:
      return any_operand([&](const Value& operand) { return values_equal(value, operand); });
    case InNetworks: {
      auto* address = std::get_if<IpAddress>(&value);
      return address &&
             any_operand([&](const Value& operand) { return in_network(*address, operand); });
    }
    case StartsWith:
    case EndsWith:
    case Contains: {
      auto* text = std::get_if<std::string>(&value);
      if (!text) return false;
      return any_operand([&](const Value& operand) {
        auto* part = std::get_if<std::string>(&operand);
        if (!part) return false;
        std::string_view subject = *text;
        if (test.op == StartsWith) return subject.starts_with(*part);
        if (test.op == EndsWith) return subject.ends_with(*part);
        return subject.find(*part) != std::string_view::npos;
      });
    }
    case Glob: {
      auto* text = std::get_if<std::string>(&value);
      return text && glob && glob->matches(*text);
    }
    case Matches: {
      auto* text = std::get_if<std::string>(&value);
      if (!text || operands.empty()) return false;
      auto* pattern = std::get_if<std::string>(&operands.front());
      return pattern && evaluator_regex_cache().search(*pattern, *text);
    }
  }
  return false;
}

bool evaluate_test(const ir::Predicate& test, const Event& event) {
  std::optional<GlobPattern> glob;
  if (test.op == ir::TestOp::Glob && !test.operands.empty()) {
    if (auto* pattern = std::get_if<std::string>(&test.operands.front())) glob.emplace(*pattern);
  }
  auto values = event.get(test.field);
  const GlobPattern* compiled = glob ? &*glob : nullptr;
  return std::any_of(values.begin(), values.end(),
                     [&](const Value& value) { return test_one_value(test, compiled, value); });
}

bool evaluate_field_compare(const ir::Predicate& node, const Event& event) {
  // Both fields are single-valued (the analyser checks); for robustness any
  // pair of values counts, and a missing value makes the comparison false.
  for (const Value& left : event.get(node.field))
    for (const Value& right : event.get(node.other_field))
      if (compare(node.op, left, right)) return true;
  return false;
}

}  // namespace

// ---- Event -------------------------------------------------------------------------

namespace {

// Where each field of one event kind lives in an Event: an index into
// single_ or multi_, or nowhere (the kind does not carry it).
struct EventSlots {
  struct Slot {
    int16_t index = -1;
    bool multi = false;
  };
  std::vector<Slot> slots;      // indexed by FieldId
  std::vector<Value> defaults;  // single_ of a fresh event
  size_t multi_count = 0;
};

const EventSlots& event_slots(EventKind kind) {
  static const std::vector<EventSlots> table = [] {
    std::vector<EventSlots> kinds(kEventKindCount);
    for (size_t k = 0; k < kEventKindCount; ++k) {
      EventSlots& layout = kinds[k];
      layout.slots.resize(all_fields().size());
      for (const FieldInfo& field : all_fields()) {
        if (!carries(static_cast<EventKind>(k), field.id)) continue;
        EventSlots::Slot& slot = layout.slots[field.id];
        slot.multi = field.multi_valued;
        if (field.multi_valued) {
          slot.index = static_cast<int16_t>(layout.multi_count++);
        } else {
          slot.index = static_cast<int16_t>(layout.defaults.size());
          layout.defaults.push_back(default_value(field.type));
        }
      }
    }
    return kinds;
  }();
  return table[static_cast<size_t>(kind)];
}

}  // namespace

Event::Event(EventKind kind)
    : kind_(kind), single_(event_slots(kind).defaults), multi_(event_slots(kind).multi_count) {}

void Event::set(FieldId field, Value value) {
  if (!carries(kind_, field) || !has_type(value, field_info(field).type)) return;
  EventSlots::Slot slot = event_slots(kind_).slots[field];
  if (slot.multi)
    multi_[slot.index].assign(1, std::move(value));
  else
    single_[slot.index] = std::move(value);
}

void Event::set_values(FieldId field, std::vector<Value> values) {
  if (!carries(kind_, field)) return;
  const FieldInfo& info = field_info(field);
  if (!info.multi_valued && values.size() != 1) return;
  for (const Value& value : values)
    if (!has_type(value, info.type)) return;
  EventSlots::Slot slot = event_slots(kind_).slots[field];
  if (slot.multi)
    multi_[slot.index] = std::move(values);
  else
    single_[slot.index] = std::move(values.front());
}

std::span<const Value> Event::get(FieldId field) const {
  if (!carries(kind_, field)) return {};
  EventSlots::Slot slot = event_slots(kind_).slots[field];
  if (slot.multi) return multi_[slot.index];
  return {&single_[slot.index], 1};
}

// ---- Evaluation --------------------------------------------------------------------

bool evaluate(const ir::Predicate& predicate, const Event& event) {
  using Kind = ir::Predicate::Kind;
  switch (predicate.kind) {
    case Kind::True: return true;
    case Kind::False: return false;
    case Kind::And:
      return std::all_of(predicate.children.begin(), predicate.children.end(),
                         [&](const ir::Predicate& child) { return evaluate(child, event); });
    case Kind::Or:
      return std::any_of(predicate.children.begin(), predicate.children.end(),
                         [&](const ir::Predicate& child) { return evaluate(child, event); });
    case Kind::Not:
      return !predicate.children.empty() && !evaluate(predicate.children.front(), event);
    case Kind::Test: return evaluate_test(predicate, event);
    case Kind::FieldCompare: return evaluate_field_compare(predicate, event);
  }
  return false;
}

namespace {

bool no_except_holds(const ir::Rule& rule, const Event& event) {
  return std::none_of(rule.excepts.begin(), rule.excepts.end(),
                      [&](const ir::Predicate& except) { return evaluate(except, event); });
}

}  // namespace

bool step_matches(const ir::Rule& rule, size_t step, const Event& event) {
  if (!rule.enabled || !rule.sequence || step >= rule.sequence->steps.size()) return false;
  const ir::SequenceStep& candidate = rule.sequence->steps[step];
  if ((candidate.events & event_bit(event.kind())) == 0) return false;
  return evaluate(candidate.when, event) && no_except_holds(rule, event);
}

bool rule_matches(const ir::Rule& rule, const Event& event) {
  if (!rule.enabled || (rule.events & event_bit(event.kind())) == 0) return false;
  if (rule.sequence) {
    for (size_t step = 0; step < rule.sequence->steps.size(); ++step)
      if (step_matches(rule, step, event)) return true;
    return false;
  }
  if (!evaluate(rule.when, event)) return false;
  return no_except_holds(rule, event);
}

std::vector<const ir::Rule*> matching_rules(const ir::PolicySet& policy, const Event& event) {
  std::vector<const ir::Rule*> matched;
  for (const ir::Rule& rule : policy.rules)
    if (rule_matches(rule, event)) matched.push_back(&rule);
  return matched;
}

// ---- Explanations ------------------------------------------------------------------

namespace {

constexpr size_t kMaxOperandsShown = 8;

std::string field_name(FieldId field) {
  return field < all_fields().size() ? std::string(field_info(field).name)
                                     : "field#" + std::to_string(field);
}

// `process.exe = "/bin/sh"`, `process.args = ["ls", "-l"]`, `file.path = (not on this event)`.
std::string field_with_values(FieldId field, const Event& event) {
  std::string text = field_name(field) + " = ";
  auto values = event.get(field);
  bool multi = field < all_fields().size() && field_info(field).multi_valued;
  if (!multi) {
    if (values.empty()) return text + "(not on this event)";
    return text + value_to_string(values.front());
  }
  text += "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + value_to_string(values[i]);
  return text + "]";
}

std::string operand_list(const std::vector<Value>& operands, bool force_list) {
  if (operands.size() == 1 && !force_list) return value_to_string(operands.front());
  std::string text = "[";
  for (size_t i = 0; i < operands.size() && i < kMaxOperandsShown; ++i)
    text += (i ? ", " : "") + value_to_string(operands[i]);
  if (operands.size() > kMaxOperandsShown)
    text += ", ... (" + std::to_string(operands.size() - kMaxOperandsShown) + " more)";
  return text + "]";
}

std::string_view op_spelling(ir::TestOp op, bool negated) {
  using enum ir::TestOp;
  switch (op) {
    case Eq: return negated ? "!=" : "==";
    case Lt: return negated ? "not <" : "<";
    case Le: return negated ? "not <=" : "<=";
    case Gt: return negated ? "not >" : ">";
    case Ge: return negated ? "not >=" : ">=";
    case InSet:
    case InNetworks: return negated ? "not in" : "in";
    case StartsWith: return negated ? "not startswith" : "startswith";
    case EndsWith: return negated ? "not endswith" : "endswith";
    case Contains: return negated ? "not contains" : "contains";
    case Glob: return negated ? "not glob" : "glob";
    case Matches: return negated ? "not matches" : "matches";
  }
  return "?";
}

std::string result_suffix(bool result) {
  return result ? " -> true" : " -> false";
}

// The detail of a leaf, possibly seen through one `not` (`!=`, `not in`).
std::string leaf_detail(const ir::Predicate& leaf, const Event& event, bool negated, bool result) {
  using Kind = ir::Predicate::Kind;
  if (leaf.kind == Kind::FieldCompare) {
    return field_with_values(leaf.field, event) + ", " +
           field_with_values(leaf.other_field, event) + "; " + field_name(leaf.field) + " " +
           std::string(op_spelling(leaf.op, negated)) + " " + field_name(leaf.other_field) +
           result_suffix(result);
  }
  bool list = leaf.op == ir::TestOp::InSet || leaf.op == ir::TestOp::InNetworks;
  return field_with_values(leaf.field, event) + "; " + std::string(op_spelling(leaf.op, negated)) +
         " " + operand_list(leaf.operands, list) + result_suffix(result);
}

bool is_leaf(const ir::Predicate& node) {
  return node.kind == ir::Predicate::Kind::Test || node.kind == ir::Predicate::Kind::FieldCompare;
}

// Appends the sub-expressions that decided a predicate's value, outermost
// first: every child of a true `and` / false `or`, the first false child of
// an `and` / true child of an `or`, and the leaves below. Results are
// memoised so that explaining costs O(nodes), not O(nodes x depth).
class Explainer {
 public:
  Explainer(const Event& event, std::vector<EvaluationStep>& trace)
      : event_(event), trace_(trace) {}

  void explain(const ir::Predicate& node, std::string_view prefix) {
    using Kind = ir::Predicate::Kind;
    bool result = value(node);
    auto add = [&](std::string detail) {
      trace_.push_back({node.origin, result, std::string(prefix) + detail});
    };
    switch (node.kind) {
      case Kind::True:
      case Kind::False: add(result ? "true" : "false"); return;
      case Kind::Test:
      case Kind::FieldCompare: add(leaf_detail(node, event_, false, result)); return;
      case Kind::Not:
        if (node.children.empty()) {
          add("not (nothing)" + result_suffix(result));
        } else if (is_leaf(node.children.front())) {
          add(leaf_detail(node.children.front(), event_, true, result));
        } else {
          add(std::string("not: the negated expression is ") + (result ? "false" : "true") +
              result_suffix(result));
          explain(node.children.front(), prefix);
        }
        return;
      case Kind::And:
      case Kind::Or: {
        bool decided_by_all = (node.kind == Kind::And) == result;
        for (const ir::Predicate& child : node.children) {
          if (decided_by_all) {
            explain(child, prefix);
          } else if (value(child) == result) {
            explain(child, prefix);
            break;
          }
        }
        return;
      }
    }
  }

 private:
  bool value(const ir::Predicate& node) {
    auto it = memo_.find(&node);
    if (it != memo_.end()) return it->second;
    bool result = false;
    using Kind = ir::Predicate::Kind;
    switch (node.kind) {
      case Kind::And:
        result = std::all_of(node.children.begin(), node.children.end(),
                             [&](const ir::Predicate& child) { return value(child); });
        break;
      case Kind::Or:
        result = std::any_of(node.children.begin(), node.children.end(),
                             [&](const ir::Predicate& child) { return value(child); });
        break;
      case Kind::Not: result = !node.children.empty() && !value(node.children.front()); break;
      default: result = evaluate(node, event_); break;
    }
    memo_.emplace(&node, result);
    return result;
  }

  const Event& event_;
  std::vector<EvaluationStep>& trace_;
  std::unordered_map<const ir::Predicate*, bool> memo_;
};

}  // namespace

namespace {

// explain_rule for a sequence rule: each step the event could belong to,
// with the steps of its `when` and excepts prefixed `step N: `.
RuleEvaluation explain_sequence(const ir::Rule& rule, const Event& event) {
  RuleEvaluation evaluation;
  const std::vector<ir::SequenceStep>& steps = rule.sequence->steps;
  bool in_some_step = false;
  for (size_t k = 0; k < steps.size(); ++k) {
    const ir::SequenceStep& step = steps[k];
    if ((step.events & event_bit(event.kind())) == 0) continue;
    in_some_step = true;
    const std::string prefix = "step " + std::to_string(k + 1) + ": ";
    Explainer explainer(event, evaluation.trace);
    if (!evaluate(step.when, event)) {
      explainer.explain(step.when, prefix);
      continue;
    }
    evaluation.when_held = true;
    if (step.when.kind == ir::Predicate::Kind::True)
      evaluation.trace.push_back({step.range, true, prefix + "the step has no `when` -> true"});
    else
      explainer.explain(step.when, prefix);
    bool excepted = false;
    for (size_t i = 0; i < rule.excepts.size() && !excepted; ++i) {
      if (!evaluate(rule.excepts[i], event)) continue;
      excepted = true;
      if (evaluation.decisive_except < 0) evaluation.decisive_except = static_cast<int>(i);
      Explainer(event, evaluation.trace).explain(rule.excepts[i], prefix + "except: ");
    }
    if (excepted) continue;
    evaluation.matched = true;
    for (const ir::Predicate& except : rule.excepts)
      Explainer(event, evaluation.trace).explain(except, prefix + "except: ");
  }
  if (!in_some_step) {
    evaluation.trace.push_back({rule.sequence->range, false,
                                "event `" + std::string(event_info(event.kind()).name) +
                                    "` is in no step of the sequence"});
  }
  if (evaluation.matched) evaluation.decisive_except = -1;
  return evaluation;
}

}  // namespace

RuleEvaluation explain_rule(const ir::Rule& rule, const Event& event) {
  RuleEvaluation evaluation;
  std::string_view event_name = event_info(event.kind()).name;
  if (!rule.enabled) {
    evaluation.trace.push_back({rule.name_range, false, "the rule is disabled"});
    return evaluation;
  }
  if ((rule.events & event_bit(event.kind())) == 0) {
    std::string events;
    for (const EventInfo& info : all_events()) {
      if (rule.events & event_bit(info.kind))
        events += (events.empty() ? "" : ", ") + std::string(info.name);
    }
    evaluation.trace.push_back({rule.name_range, false,
                                "event `" + std::string(event_name) +
                                    "` is not one of the rule's events (" + events + ")"});
    return evaluation;
  }

  if (rule.sequence) return explain_sequence(rule, event);

  evaluation.when_held = evaluate(rule.when, event);
  if (!evaluation.when_held) {
    Explainer(event, evaluation.trace).explain(rule.when, "");
    return evaluation;
  }
  for (size_t i = 0; i < rule.excepts.size(); ++i) {
    if (evaluate(rule.excepts[i], event)) {
      evaluation.decisive_except = static_cast<int>(i);
      Explainer(event, evaluation.trace).explain(rule.excepts[i], "except: ");
      return evaluation;
    }
  }
  evaluation.matched = true;
  if (rule.when.kind == ir::Predicate::Kind::True) {
    evaluation.trace.push_back({rule.name_range, true, "`when` is always true -> true"});
  } else {
    Explainer(event, evaluation.trace).explain(rule.when, "");
  }
  for (const ir::Predicate& except : rule.excepts)
    Explainer(event, evaluation.trace).explain(except, "except: ");
  return evaluation;
}

// ---- Output ------------------------------------------------------------------------

namespace {

void append_rendered(std::string& out, const Value& value) {
  if (auto* text = std::get_if<std::string>(&value)) {
    append_control_escaped(out, *text);
  } else {
    out += value_to_string(value);
  }
}

}  // namespace

std::string render_output(const ir::Rule& rule, const Event& event) {
  // The analyser supplies the default template ("<name> matched").
  std::string out;
  for (const ir::OutputSegment& segment : rule.output) {
    if (!segment.field) {
      out += segment.text;
      continue;
    }
    auto values = event.get(*segment.field);
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out += ", ";
      append_rendered(out, values[i]);
    }
  }
  return out;
}

}  // namespace vigil
