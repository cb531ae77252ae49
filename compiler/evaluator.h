// The reference evaluator: the semantic oracle of the language. It evaluates
// the IR against an event in user space, with exactly the semantics the
// eBPF back end must reproduce (and is differential-tested against).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "compiler/ir.h"
#include "compiler/schema.h"
#include "compiler/value.h"

namespace vigil {

// One event: its kind, a timestamp, and a value for every field the event
// carries. Fields not set hold their type's default ("" / 0 / false /
// 0.0.0.0 / no values for multi-valued fields).
class Event {
 public:
  explicit Event(EventKind kind);

  EventKind kind() const { return kind_; }
  uint64_t time_ns = 0;

  // Precondition: the field belongs to this event and `value` has its type.
  void set(FieldId field, Value value);
  void set_values(FieldId field, std::vector<Value> values);  // multi-valued fields
  std::span<const Value> get(FieldId field) const;

 private:
  // Storage is per carried field only, laid out once per event kind
  // (evaluator.cpp's EventSlots): the agent builds one Event per kernel
  // record, so it costs one allocation, not one per field.
  EventKind kind_;
  std::vector<Value> single_;              // single-valued fields, one value each
  std::vector<std::vector<Value>> multi_;  // multi-valued fields
};

// The step that decided an outcome, for `vigil test` failure reports.
struct EvaluationStep {
  SourceRange origin;  // the sub-expression
  bool result = false;
  std::string detail;  // e.g. `process.exe = "/bin/sh" startswith "/usr/"  -> false`
};

struct RuleEvaluation {
  bool matched = false;
  bool when_held = false;
  int decisive_except = -1;           // index of the except that suppressed it, if any
  std::vector<EvaluationStep> trace;  // decisive sub-expressions, outermost first
};

bool evaluate(const ir::Predicate& predicate, const Event& event);

// Whether one event satisfies a rule, on its own: the rule is enabled, the
// event is one of its events, `when` holds and no `except` does. For a
// sequence rule: the event matches some step (step_matches). This is not
// whether a threshold or sequence rule fires, which depends on the events
// before it: StatefulEvaluator (stateful_evaluator.h) decides that.
bool rule_matches(const ir::Rule& rule, const Event& event);
// Step `step` of a sequence rule: the rule is enabled, the event is one of
// the step's events, the step's `when` holds and no `except` of the rule does.
bool step_matches(const ir::Rule& rule, size_t step, const Event& event);
// Why rule_matches is what it is (for a sequence rule, step by step).
RuleEvaluation explain_rule(const ir::Rule& rule, const Event& event);

// Renders a rule's output template for an event.
std::string render_output(const ir::Rule& rule, const Event& event);

// Enabled rules that match the event, in policy order (rule_matches: for
// threshold and sequence rules, the per-event test only).
std::vector<const ir::Rule*> matching_rules(const ir::PolicySet& policy, const Event& event);

}  // namespace vigil
