// What the running agent tells `vigil status` and the Prometheus exporter:
// counters from the kernel and from the record pipeline, the policy
// generation in force and the last reload. A snapshot, copied out of the agent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil::runtime {

struct EventCounters {
  std::string event;  // "file.open"
  uint64_t seen = 0;  // events the kernel built and matched (all CPUs)
};

struct RuleCounters {
  std::string rule;
  uint64_t alerts = 0;           // alerts emitted for it
  uint64_t completed_false = 0;  // pending in the kernel, rejected by user space
};

struct ReloadResult {
  uint64_t generation = 0;  // the generation it produced, or tried to
  bool ok = false;
  std::string trigger;  // "start", "SIGHUP", "policy change", "bundle change"
  std::string error;    // !ok: what failed (file:line:col or the rule at fault)
  int64_t finished_unix_ns = 0;
  uint64_t duration_us = 0;  // from the reload starting (after the debounce) to live or failure
};

struct AgentStatus {
  std::string version;
  int64_t started_unix_ns = 0;
  int pid = 0;
  std::string source;              // the policy directory or bundle file
  uint64_t generation = 0;         // in force
  size_t rules = 0;                // enabled rules in force
  std::vector<std::string> hooks;  // attached hooks ("tp/syscalls/sys_enter_openat")
  std::vector<EventCounters> events;
  uint64_t records = 0;  // records read from the ring buffer
  uint64_t records_malformed = 0;
  uint64_t kernel_submitted = 0;   // records the kernel wrote
  uint64_t kernel_dropped = 0;     // records lost because the ring buffer was full
  uint64_t ring_buffer_bytes = 0;  // the ring buffer's size (--ring-buffer-mib)
  uint64_t kernel_killed = 0;      // processes killed by kill rules (and fallback kills)
  uint64_t alerts = 0;
  std::vector<RuleCounters> rule_counters;
  std::optional<ReloadResult> last_reload;   // the newest attempt
  std::optional<ReloadResult> last_failure;  // the newest failed attempt, if any
};

}  // namespace vigil::runtime
