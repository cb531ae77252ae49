#include "compiler/event_fields.h"

#include <algorithm>
#include <string>

#include "compiler/message_text.h"

namespace vigil {
namespace {

// "event `exec`", "events `exec` and `fork`".
std::string events_phrase(EventMask mask) {
  std::vector<std::string_view> names;
  for (const EventInfo& event : all_events())
    if (mask & event_bit(event.kind)) names.push_back(event.name);
  return (names.size() == 1 ? "event " : "events ") + join_quoted(names);
}

std::string available_hint(const FieldInfo& field) {
  std::string list;
  for (const EventInfo& event : all_events()) {
    if (!(field.events & event_bit(event.kind))) continue;
    if (!list.empty()) list += ", ";
    list += event.name;
  }
  return quoted(field.name) + " exists on: " + list;
}

void check_use(EventMask rule_events, FieldId id, const UseSite& site, bool in_output,
               Diagnostics& diagnostics) {
  const FieldInfo& field = field_info(id);
  const EventMask missing = rule_events & ~field.events;
  if (missing == 0) return;
  const std::string where = " is not available on " + events_phrase(missing);
  if (site.via) {
    Diagnostic& error = diagnostics.error("field-not-on-event", *site.via,
                                          "macro " + quoted(site.via_macro) + " uses field " +
                                              quoted(field.name) + ", which" + where);
    error.hint = available_hint(field);
    error.related.push_back({site.range, quoted(field.name) + " is used here"});
    return;
  }
  Diagnostic& error = diagnostics.error(
      "field-not-on-event", site.range,
      std::string(in_output ? "output field " : "field ") + quoted(field.name) + where);
  error.hint = available_hint(field);
}

void check_condition(EventMask events, const ast::Expr* expr, const CheckedConditions& conditions,
                     Diagnostics& diagnostics) {
  if (expr == nullptr) return;
  auto it = conditions.conditions.find(expr);
  if (it == conditions.conditions.end()) return;
  for (const FieldUse& use : it->second.fields)
    check_use(events, use.field, use.site, false, diagnostics);
}

// A key field must be on every event the rule counts or sequences. For a
// sequence, `step_events` says where each step names its events.
void check_key_field(FieldId id, SourceRange where, EventMask events,
                     const std::vector<std::vector<std::pair<EventKind, SourceRange>>>* steps,
                     Diagnostics& diagnostics) {
  const FieldInfo& field = field_info(id);
  const EventMask missing = events & ~field.events;
  if (missing == 0) return;
  Diagnostic& error = diagnostics.error(
      "field-not-on-event", where,
      "key field " + quoted(field.name) + " is not available on " + events_phrase(missing));
  error.hint = available_hint(field) + "; a key field must be on every event of the rule";
  if (steps == nullptr) return;
  for (size_t i = 0; i < steps->size(); ++i)
    for (const auto& [event, range] : (*steps)[i])
      if (missing & event_bit(event))
        error.related.push_back({range, "step " + std::to_string(i + 1) + " includes " +
                                            quoted(event_info(event).name) + " here"});
}

void check_sequence_fields(const RuleOutline& outline, const CheckedConditions& conditions,
                           Diagnostics& diagnostics) {
  const ir::Sequence& sequence = *outline.rule.sequence;
  const size_t steps = std::min(sequence.steps.size(), outline.step_whens.size());
  for (size_t i = 0; i < steps; ++i) {
    const EventMask events = sequence.steps[i].events;
    if (events == 0) continue;  // no known events: reported already
    check_condition(events, outline.step_whens[i], conditions, diagnostics);
  }
  for (const auto& [field, range] : outline.key_fields)
    check_key_field(field, range, outline.rule.events, &outline.step_events, diagnostics);
  // `except` applies to the event of every step.
  for (const ast::Expr* except : outline.excepts)
    check_condition(outline.rule.events, except, conditions, diagnostics);
  // The alert is about the event that completes the sequence.
  if (steps == 0 || sequence.steps.back().events == 0) return;
  const EventMask last = sequence.steps.back().events;
  for (const auto& [field, range] : outline.output_fields) {
    const FieldInfo& info = field_info(field);
    const EventMask missing = last & ~info.events;
    if (missing == 0) continue;
    Diagnostic& error =
        diagnostics.error("field-not-on-event", range,
                          "output field " + quoted(info.name) + " is not available on " +
                              events_phrase(missing) + " of the last step");
    error.hint =
        available_hint(info) + "; the output is rendered for the event that completes the sequence";
  }
}

}  // namespace

void check_event_fields(const std::vector<RuleOutline>& rules, const CheckedConditions& conditions,
                        Diagnostics& diagnostics) {
  for (const RuleOutline& outline : rules) {
    if (outline.rule.sequence) {
      check_sequence_fields(outline, conditions, diagnostics);
      continue;
    }
    const EventMask events = outline.rule.events;
    if (events == 0) continue;  // no known events: reported already
    check_condition(events, outline.when, conditions, diagnostics);
    for (const ast::Expr* except : outline.excepts)
      check_condition(events, except, conditions, diagnostics);
    for (const auto& [field, range] : outline.output_fields)
      check_use(events, field, UseSite{range, std::nullopt, {}}, true, diagnostics);
    for (const auto& [field, range] : outline.key_fields)
      check_key_field(field, range, events, nullptr, diagnostics);
  }
}

}  // namespace vigil
