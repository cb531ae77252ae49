#include "runtime/record_pipeline.h"

#include "compiler/evaluator.h"
#include "runtime/match_record.h"

namespace vigil::runtime {
namespace {

ActionTaken reported_action(Action action, bool audit) {
  switch (action) {
    case Action::Kill: return audit ? ActionTaken::WouldKill : ActionTaken::Killed;
    case Action::Deny: return audit ? ActionTaken::WouldDeny : ActionTaken::Denied;
    case Action::Alert: break;
  }
  return ActionTaken::Alert;
}

}  // namespace

RecordPipeline::RecordPipeline(Options options, ProcessTable& processes, const ClockMapping& clock,
                               Emit emit)
    : options_(std::move(options)), processes_(processes), clock_(clock), emit_(std::move(emit)) {}

void RecordPipeline::add_generation(std::shared_ptr<const PolicyGeneration> generation) {
  generations_.push_back(std::move(generation));
  while (generations_.size() > options_.retired_generations_kept + 1) generations_.pop_front();
}

const PolicyGeneration* RecordPipeline::find_generation(uint64_t id) const {
  for (auto it = generations_.rbegin(); it != generations_.rend(); ++it)
    if ((*it)->id() == id) return it->get();
  return nullptr;
}

bool RecordPipeline::handle(std::span<const uint8_t> bytes) {
  ++records_;
  std::string error;
  std::optional<RecordHeader> header = parse_record_header(bytes, &error);
  const PolicyGeneration* generation = header ? find_generation(header->generation) : nullptr;
  if (header && !generation)
    error = "record of unknown generation " + std::to_string(header->generation);
  std::optional<MatchRecord> record;
  if (generation) {
    record = parse_match_record(bytes, generation->bundle().rule_words, &error);
  }
  if (!record) {
    ++malformed_;
    last_error_ = error;
    return false;
  }

  Event& event = record->event;
  processes_.fill_user_space_fields(event);
  const auto& rules = generation->rules_of(event.kind());
  std::optional<ProcessContext> context;
  for (uint32_t bit = 0; bit < rules.size(); ++bit) {
    bool matched = record->matched_bit(bit);
    bool pending = record->pending_bit(bit);
    if (!matched && !pending) continue;
    const GenerationRule& rule = rules[bit];
    RuleCounters& counters = per_rule_[rule.info->name];
    counters.rule = rule.info->name;
    // The kernel was a prefilter: user space decides.
    if (pending && !rule_matches(*rule.rule, event)) {
      ++counters.completed_false;
      continue;
    }
    if (!context) context = processes_.context_for(event);
    Alert alert;
    alert.origin = AlertOrigin::Rule;
    alert.time_unix_ns = clock_.to_unix_ns(event.time_ns);
    alert.host = options_.host;
    alert.generation = generation->id();
    alert.rule = rule.info->name;
    alert.rule_file = rule.info->file;
    alert.rule_line = rule.info->line;
    alert.severity = rule.rule->severity;
    alert.tags = rule.rule->tags;
    alert.action = reported_action(rule.rule->action, options_.audit);
    alert.output = render_output(*rule.rule, event);
    alert.event = event;
    alert.process = *context;
    ++counters.alerts;
    ++alerts_;
    emit_(alert);
  }
  processes_.observe(event);
  return true;
}

std::vector<RuleCounters> RecordPipeline::rule_counters() const {
  std::vector<RuleCounters> counters;
  for (const auto& [name, entry] : per_rule_) counters.push_back(entry);
  return counters;
}

}  // namespace vigil::runtime
