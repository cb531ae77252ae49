// Pieces the JSON and OCSF alert forms share (alert_format.cpp,
// alert_ocsf.cpp): typed field values, the event's own fields, and the one
// way an alert object is serialised.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/alert.h"

namespace vigil::runtime {

// Keys stay in insertion order so the documented field order is the output order.
using AlertJson = nlohmann::ordered_json;

// bool, int (and port) as numbers, strings, ip/cidr as text, durations in ns.
AlertJson alert_value_json(const Value& value);

// Every field the event's kind carries except the process context
// (process.*, parent.*, user.*): {"file.path": "/etc/shadow", ...}.
// Multi-valued fields are arrays.
AlertJson alert_event_fields_json(const Event& event);

// The values of one field as the event holds them: the value, an array for
// a multi-valued field, null if the event does not carry it.
AlertJson alert_field_json(const Event& event, FieldId field);

// One line, pure ASCII (non-ASCII \u-escaped) and never throwing: bytes
// that are not UTF-8 become U+FFFD.
std::string dump_alert_json(const AlertJson& json);

// What the JSON and OCSF forms report of a rule (or agent) alert beyond
// its event: origin, generation, rule, policy, tags, action.
AlertJson alert_rule_json(const Alert& alert);

}  // namespace vigil::runtime
