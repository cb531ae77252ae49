// The stateful reference evaluator: events are fed in time order, and for
// each it says which rules fire, keeping the per-key state of `threshold`
// and `sequence` rules exactly as docs/semantics.md ("Stateful rules")
// defines it. A rule without threshold or sequence fires when rule_matches
// holds, as with the stateless functions of evaluator.h. `dedup` is not
// applied here: it only collapses alerts in the agent.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/ir.h"

namespace vigil {

// What one event did to one stateful rule, for `vigil test` reports, e.g.
// "threshold: key process.pid = 7: counted 2 of 3 (window from 0s)".
struct StateNote {
  const ir::Rule* rule = nullptr;
  std::string detail;
};

class StatefulEvaluator {
 public:
  // Keeps a reference: `policy` must outlive the evaluator.
  explicit StatefulEvaluator(const ir::PolicySet& policy);

  // Feeds the next event (Event::time_ns is its time; times should not go
  // backwards, see docs/semantics.md) and returns the enabled rules that fire
  // on it, in policy order.
  std::vector<const ir::Rule*> process(const Event& event);
  // The same, and appends a note for each stateful rule the event concerns
  // (one of the rule's events).
  std::vector<const ir::Rule*> process(const Event& event, std::vector<StateNote>& notes);

  // Forgets all state, as if no event had been fed.
  void reset();

 private:
  struct ThresholdState {
    bool window_open = false;
    uint64_t window_start = 0;
    uint64_t count = 0;
    uint64_t quiet_until = 0;
  };
  struct SequenceState {
    size_t next_step = 0;
    uint64_t started_at = 0;
  };
  // Keyed by the encoded values of the rule's `by` fields (exact bytes).
  struct RuleState {
    std::unordered_map<std::string, ThresholdState> thresholds;
    std::unordered_map<std::string, SequenceState> sequences;
  };

  bool threshold_fires(const ir::Rule& rule, RuleState& state, const Event& event,
                       std::vector<StateNote>* notes);
  bool sequence_fires(const ir::Rule& rule, RuleState& state, const Event& event,
                      std::vector<StateNote>* notes);

  const ir::PolicySet& policy_;
  std::vector<RuleState> states_;  // indexed like policy_.rules
};

// The key of `event` for the fields `by`, as a person reads it:
// `process.pid = 7, process.comm = "sh"`.
std::string describe_key(const std::vector<FieldId>& by, const Event& event);

}  // namespace vigil
