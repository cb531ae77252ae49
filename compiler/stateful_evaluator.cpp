#include "compiler/stateful_evaluator.h"

#include <limits>

namespace vigil {
namespace {

constexpr uint64_t kMaxTime = std::numeric_limits<uint64_t>::max();

uint64_t saturating_add(uint64_t a, uint64_t b) {
  return a > kMaxTime - b ? kMaxTime : a + b;
}

// Time since `start`; an event stamped before it (as events from different
// CPUs can be) is taken to be at `start`.
uint64_t elapsed(uint64_t now, uint64_t start) {
  return now > start ? now - start : 0;
}

std::string time_text(uint64_t ns) {
  if (ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return "the end of time";
  return value_to_string(Duration{static_cast<int64_t>(ns)});
}

// The key of an event: each `by` field's value, length-prefixed so that no
// two different tuples encode alike. Strings compare as exact bytes.
std::string encode_key(const std::vector<FieldId>& by, const Event& event) {
  std::string key;
  for (FieldId field : by) {
    auto values = event.get(field);
    std::string text = values.empty() ? std::string("-") : value_to_string(values.front());
    key += std::to_string(text.size());
    key += ':';
    key += text;
  }
  return key;
}

std::string step_count_text(size_t step, size_t steps) {
  return "step " + std::to_string(step) + " of " + std::to_string(steps);
}

}  // namespace

std::string describe_key(const std::vector<FieldId>& by, const Event& event) {
  std::string text;
  for (FieldId field : by) {
    if (!text.empty()) text += ", ";
    text += std::string(field_info(field).name) + " = ";
    auto values = event.get(field);
    text += values.empty() ? std::string("(no value)") : value_to_string(values.front());
  }
  return text;
}

StatefulEvaluator::StatefulEvaluator(const ir::PolicySet& policy)
    : policy_(policy), states_(policy.rules.size()) {}

void StatefulEvaluator::reset() {
  states_.assign(policy_.rules.size(), RuleState{});
}

std::vector<const ir::Rule*> StatefulEvaluator::process(const Event& event) {
  std::vector<const ir::Rule*> fired;
  for (size_t i = 0; i < policy_.rules.size(); ++i) {
    const ir::Rule& rule = policy_.rules[i];
    bool fires = false;
    if (rule.sequence)
      fires = sequence_fires(rule, states_[i], event, nullptr);
    else if (rule.threshold)
      fires = threshold_fires(rule, states_[i], event, nullptr);
    else
      fires = rule_matches(rule, event);
    if (fires) fired.push_back(&rule);
  }
  return fired;
}

std::vector<const ir::Rule*> StatefulEvaluator::process(const Event& event,
                                                        std::vector<StateNote>& notes) {
  std::vector<const ir::Rule*> fired;
  for (size_t i = 0; i < policy_.rules.size(); ++i) {
    const ir::Rule& rule = policy_.rules[i];
    bool fires = false;
    if (rule.sequence)
      fires = sequence_fires(rule, states_[i], event, &notes);
    else if (rule.threshold)
      fires = threshold_fires(rule, states_[i], event, &notes);
    else
      fires = rule_matches(rule, event);
    if (fires) fired.push_back(&rule);
  }
  return fired;
}

bool StatefulEvaluator::threshold_fires(const ir::Rule& rule, RuleState& state, const Event& event,
                                        std::vector<StateNote>* notes) {
  const ir::Threshold& threshold = *rule.threshold;
  const bool concerned = rule.enabled && (rule.events & event_bit(event.kind())) != 0;
  auto note = [&](std::string detail) {
    if (notes && concerned) notes->push_back({&rule, "threshold: " + std::move(detail)});
  };
  if (!rule_matches(rule, event)) {
    note("the event does not match the rule, so it is not counted");
    return false;
  }
  const uint64_t now = event.time_ns;
  const std::string key_text = notes ? "key " + describe_key(threshold.by, event) + ": " : "";
  ThresholdState& key = state.thresholds[encode_key(threshold.by, event)];
  if (now < key.quiet_until) {
    note(key_text + "quiet until " + time_text(key.quiet_until) + " after firing, not counted");
    return false;
  }
  if (!key.window_open || elapsed(now, key.window_start) >= threshold.window_ns) {
    key.window_open = true;
    key.window_start = now;
    key.count = 0;
  }
  key.count += 1;
  const std::string counted = key_text + "counted " + std::to_string(key.count) + " of " +
                              std::to_string(threshold.count) + " (window from " +
                              time_text(key.window_start) + ")";
  if (key.count < threshold.count) {
    note(counted);
    return false;
  }
  key.quiet_until = threshold.rearm_ns ? saturating_add(now, *threshold.rearm_ns)
                                       : saturating_add(key.window_start, threshold.window_ns);
  key.window_open = false;
  key.count = 0;
  note(counted + " -> fires; quiet until " + time_text(key.quiet_until));
  return true;
}

bool StatefulEvaluator::sequence_fires(const ir::Rule& rule, RuleState& state, const Event& event,
                                       std::vector<StateNote>* notes) {
  const ir::Sequence& sequence = *rule.sequence;
  const size_t steps = sequence.steps.size();
  const bool concerned = rule.enabled && (rule.events & event_bit(event.kind())) != 0;
  auto note = [&](std::string detail) {
    if (notes && concerned) notes->push_back({&rule, "sequence: " + std::move(detail)});
  };
  std::vector<bool> matched(steps);
  bool any = false;
  for (size_t k = 0; k < steps; ++k) any |= matched[k] = step_matches(rule, k, event);
  if (!any) {
    note("the event matches no step");
    return false;
  }
  const uint64_t now = event.time_ns;
  const std::string key_text = notes ? "key " + describe_key(sequence.by, event) + ": " : "";
  std::string expired;
  auto it = state.sequences.find(encode_key(sequence.by, event));
  if (it != state.sequences.end() && elapsed(now, it->second.started_at) > sequence.window_ns) {
    expired = "the sequence started at " + time_text(it->second.started_at) + " expired (window " +
              time_text(sequence.window_ns) + "); ";
    state.sequences.erase(it);
    it = state.sequences.end();
  }
  if (it != state.sequences.end() && it->second.next_step < steps &&
      matched[it->second.next_step]) {
    SequenceState& key = it->second;
    key.next_step += 1;
    const std::string advanced = key_text + "matched " + step_count_text(key.next_step, steps) +
                                 " (started at " + time_text(key.started_at) + ")";
    if (key.next_step == steps) {
      state.sequences.erase(it);
      note(advanced + " -> fires");
      return true;
    }
    note(advanced);
    return false;
  }
  if (matched[0]) {
    const bool restarted = it != state.sequences.end();
    state.sequences[encode_key(sequence.by, event)] = SequenceState{1, now};
    note(key_text + expired + (restarted ? "matched step 1 again: restarted at " : "started at ") +
         time_text(now) + ", " + step_count_text(1, steps));
    return false;
  }
  std::string waiting = it == state.sequences.end()
                            ? "no sequence in progress"
                            : "waiting for step " + std::to_string(it->second.next_step + 1);
  std::string steps_matched;
  size_t matched_count = 0;
  for (size_t k = 0; k < steps; ++k) {
    if (!matched[k]) continue;
    steps_matched += (matched_count++ == 0 ? "" : ", ") + std::to_string(k + 1);
  }
  note(key_text + expired + "the event matches " + (matched_count > 1 ? "steps " : "step ") +
       steps_matched + ", but " + waiting + "; nothing changes");
  return false;
}

}  // namespace vigil
