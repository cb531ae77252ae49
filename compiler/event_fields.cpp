#include "compiler/event_fields.h"

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

}  // namespace

void check_event_fields(const std::vector<RuleOutline>& rules, const CheckedConditions& conditions,
                        Diagnostics& diagnostics) {
  for (const RuleOutline& outline : rules) {
    const EventMask events = outline.rule.events;
    if (events == 0) continue;  // no known events: reported already
    std::vector<const ast::Expr*> exprs;
    if (outline.when) exprs.push_back(outline.when);
    exprs.insert(exprs.end(), outline.excepts.begin(), outline.excepts.end());
    for (const ast::Expr* expr : exprs) {
      auto it = conditions.conditions.find(expr);
      if (it == conditions.conditions.end()) continue;
      for (const FieldUse& use : it->second.fields)
        check_use(events, use.field, use.site, false, diagnostics);
    }
    for (const auto& [field, range] : outline.output_fields)
      check_use(events, field, UseSite{range, std::nullopt, {}}, true, diagnostics);
  }
}

}  // namespace vigil
