// Rendering an alert for a sink: JSON Lines (the agent's native form), a
// readable line for a terminal, or OCSF 1.1 for SIEMs. docs/alerts.md
// documents every form. Strings from the kernel are untrusted bytes: no form
// lets them break a line, forge a field or reach the terminal as a control
// sequence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/alert.h"

namespace vigil::runtime {

enum class AlertFormat { Text, Json, Ocsf };

// "text", "json", "ocsf"; nullopt for anything else.
std::optional<AlertFormat> find_alert_format(std::string_view name);

// One JSON object on one line (no newline; the caller adds it). Pure ASCII:
// non-ASCII text is \u-escaped, invalid UTF-8 becomes U+FFFD.
std::string format_alert_json(const Alert& alert);

// One line for a terminal: `HH:MM:SS.mmm SEVERITY [action] rule: output
// (pid=.. exe=.. user=.. container=..)`, time in UTC. Control characters,
// C1 controls, bidi overrides, invalid UTF-8 and backslashes are escaped.
// `color` adds ANSI colors (severity, rule). No newline.
std::string format_alert_text(const Alert& alert, bool color);

// One OCSF 1.1 event as a JSON object on one line (same escaping as JSON).
std::string format_alert_ocsf(const Alert& alert);

std::string format_alert(const Alert& alert, AlertFormat format, bool color);

// RFC 3339 in UTC with nanoseconds: "2026-12-05T22:54:51.123456789Z".
std::string format_rfc3339_ns(int64_t unix_ns);

}  // namespace vigil::runtime
