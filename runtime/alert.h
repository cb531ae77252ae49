// An alert: what the agent reports when a rule matches (or when the agent
// itself has something to say, e.g. the kernel dropped events). Built by the
// record pipeline from a decoded kernel record, the rule that matched and the
// enrichment of its process; rendered by alert_format.h; written by sinks.
// docs/alerts.md documents every field as rendered.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/schema.h"

namespace vigil::runtime {

struct AncestorInfo {
  int64_t pid = 0;
  std::string comm;
  std::string exe;
};

// Who did it: the event's own process context (from the kernel record),
// completed by the process table (user name, container, ancestors the kernel
// was not asked for).
struct ProcessContext {
  int64_t pid = 0;   // thread id
  int64_t tgid = 0;  // process id
  int64_t ppid = 0;
  int64_t uid = 0;
  int64_t euid = 0;
  int64_t gid = 0;
  std::string user_name;  // NSS name of uid; empty if it has none
  std::string comm;
  std::string exe;
  std::string cmdline;
  std::string tty;  // "pts/3"; empty without a controlling terminal
  uint64_t cgroup_id = 0;
  std::string container_id;             // empty on the host
  int64_t start_time_unix_ns = 0;       // process start, wall clock
  std::vector<AncestorInfo> ancestors;  // parent first, at most 8
};

// What the rule's action did. Audit* means the rule (or the agent, --audit)
// asked for enforcement but only reported it.
enum class ActionTaken : uint8_t { Alert, Killed, Denied, WouldKill, WouldDeny };
std::string_view action_taken_name(ActionTaken action);  // "alert", "killed", ..., "would_kill"

// Where an alert comes from: a policy rule, or the agent about itself.
enum class AlertOrigin : uint8_t { Rule, Agent };

struct Alert {
  AlertOrigin origin = AlertOrigin::Rule;
  int64_t time_unix_ns = 0;  // when the event happened (wall clock)
  std::string host;
  uint64_t generation = 0;  // the policy generation whose programs reported it

  std::string rule;       // rule name; for agent alerts e.g. "vigil.events_dropped"
  std::string rule_file;  // policy file and line of the rule (empty for agent alerts)
  uint32_t rule_line = 0;
  Severity severity = Severity::Medium;
  std::vector<std::string> tags;  // e.g. "attack.T1059.004"
  ActionTaken action = ActionTaken::Alert;
  // Why a kill/deny rule only reported (would_kill/would_deny): "audit mode",
  // "pid 1 is never killed", ...; empty when the action was taken.
  std::string action_reason;
  std::string output;  // the rendered `output` template (agent alerts: the message)
  // `dedup`: identical alerts this one stands for (rendered when > 1).
  uint64_t count = 1;

  // Rule alerts: the event (its kind and every field it carries) and who
  // did it. Agent alerts have neither. Shared, not copied: every rule that
  // matches one record reports the same event and process.
  std::shared_ptr<const Event> event;
  std::shared_ptr<const ProcessContext> process;
};

}  // namespace vigil::runtime
