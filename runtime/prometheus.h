// AgentStatus in the Prometheus text exposition format (version 0.0.4):
// what the status socket answers to "metrics", and what the agent writes for
// node_exporter's textfile collector. Metric families, in order:
//
//   vigil_build_info{version}                gauge, always 1
//   vigil_start_time_seconds                 gauge
//   vigil_policy_generation, vigil_rules, vigil_hooks_attached      gauges
//   vigil_events_seen_total{event}           counter
//   vigil_records_total, vigil_records_malformed_total              counters
//   vigil_kernel_submitted_total, vigil_kernel_dropped_total,
//   vigil_kernel_killed_total                                        counters
//   vigil_alerts_emitted_total               counter, every alert (the agent's own too)
//   vigil_alerts_total{rule}                 counter
//   vigil_rule_completed_false_total{rule}   counter
//   vigil_last_reload_success, vigil_last_reload_generation,
//   vigil_last_reload_timestamp_seconds, vigil_last_reload_duration_seconds
//                                            gauges, once a reload happened
//   vigil_last_reload_failure_timestamp_seconds   gauge, once one failed
#pragma once

#include <string>
#include <string_view>

#include "runtime/agent_status.h"

namespace vigil::runtime {

std::string prometheus_metrics(const AgentStatus& status);

// A label value escaped for the text format: backslash, double quote and
// newline become \\, \" and \n.
std::string escape_prometheus_label(std::string_view value);

// Replaces `path` with `text` atomically (a temporary file beside it, then
// rename), so the textfile collector never reads half a file. The temporary
// name does not end in .prom, which the collector ignores. Mode 0644: the
// collector usually runs as another user. False and `error` on failure.
bool write_metrics_file(const std::string& path, std::string_view text, std::string* error);

}  // namespace vigil::runtime
