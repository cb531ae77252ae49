#include "runtime/record_pipeline.h"

#include "compiler/evaluator.h"
#include "runtime/action_outcome.h"
#include "runtime/match_record.h"

namespace vigil::runtime {

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

  processes_.fill_user_space_fields(record->event);
  auto shared_event = std::make_shared<const Event>(std::move(record->event));
  const Event& event = *shared_event;
  const auto& rules = generation->rules_of(event.kind());
  std::shared_ptr<const ProcessContext> context;
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
    if (!context) context = std::make_shared<const ProcessContext>(processes_.context_for(event));
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
    ActionOutcome outcome = action_outcome(*rule.rule, record->acted_bit(bit), record->signalled,
                                           record->withheld, options_.audit);
    alert.action = outcome.taken;
    alert.action_reason = std::move(outcome.reason);
    alert.output = render_output(*rule.rule, event);
    alert.event = shared_event;
    alert.process = context;
    if (rule.rule->dedup_ns && !dedup_.admit(alert, rule.rule->dedup_ns)) {
      ++counters.alerts;
      continue;  // a repeat: counted, reported by flush_dedup()
    }
    ++counters.alerts;
    ++alerts_;
    emit_(alert);
    if ((record->withheld & kWithheldBlastTripped) && rule.rule->action == Action::Kill &&
        !record->acted_bit(bit))
      emit_kill_limit_alert(alert);
  }
  processes_.observe(event);
  return true;
}

// The kernel switched a kill rule to audit: that is worth its own alert, a
// critical one, since the rule is no longer protecting anything.
void RecordPipeline::emit_kill_limit_alert(const Alert& trigger) {
  Alert alert;
  alert.origin = AlertOrigin::Agent;
  alert.time_unix_ns = trigger.time_unix_ns;
  alert.host = options_.host;
  alert.generation = trigger.generation;
  alert.rule = "vigil.kill_limit_reached";
  alert.severity = Severity::Critical;
  alert.output = "rule " + trigger.rule + " would have killed more than " +
                 std::to_string(options_.kill_limit) +
                 " distinct executables within a minute; it now only reports (would_kill) "
                 "until the agent restarts";
  ++alerts_;
  emit_(alert);
}

void RecordPipeline::flush_dedup(int64_t now_unix_ns, bool final_flush) {
  dedup_.flush(
      now_unix_ns,
      [this](const Alert& summary) {
        ++alerts_;
        emit_(summary);
      },
      final_flush);
}

std::vector<RuleCounters> RecordPipeline::rule_counters() const {
  std::vector<RuleCounters> counters;
  for (const auto& [name, entry] : per_rule_) counters.push_back(entry);
  return counters;
}

}  // namespace vigil::runtime
