#include "runtime/action_outcome.h"

#include "runtime/match_record.h"

namespace vigil::runtime {
namespace {

// The guards in the order the kernel checks them: the first that holds is why.
std::string withheld_reason(uint32_t withheld) {
  if (withheld & kWithheldAudit) return "agent in audit mode (--audit)";
  if (withheld & kWithheldInit) return "pid 1 is never killed";
  if (withheld & kWithheldAgent) return "the agent never kills itself";
  if (withheld & kWithheldKernelThread) return "kernel threads are never killed";
  if (withheld & kWithheldBlastTripped)
    return "kill limit reached: this rule now only reports (until the agent restarts)";
  if (withheld & kWithheldBlastRadius) return "kill limit reached earlier: rule in audit";
  if (withheld & kWithheldSignalFailed) return "the kernel refused to send the signal";
  if (withheld & kWithheldUnhooked)
    return "the call passed no deny hook (not an IPv4/IPv6 socket, or outside the deny cgroup)";
  return "";
}

}  // namespace

bool deny_needs_lsm(const ir::Rule& rule) {
  for (const EventInfo& event : all_events())
    if ((rule.events & event_bit(event.kind)) && event.deny == DenyMechanism::Lsm) return true;
  return false;
}

ActionOutcome action_outcome(const ir::Rule& rule, bool acted, bool signalled, uint32_t withheld,
                             bool agent_audit) {
  if (rule.action == Action::Alert) return {};
  // `fallback kill`: a deny whose BPF LSM program cannot run here is
  // enforced by killing (docs/enforcement.md).
  const bool kill = rule.action == Action::Kill ||
                    (rule.action == Action::Deny && rule.fallback_kill && deny_needs_lsm(rule));
  // A deny rule's bit is set by the hook that refused the call, or, with
  // `fallback kill`, by the kill: the record says which.
  if (acted) return {kill && signalled ? ActionTaken::Killed : ActionTaken::Denied, ""};
  ActionOutcome outcome{
      rule.action == Action::Kill ? ActionTaken::WouldKill : ActionTaken::WouldDeny, ""};
  if (rule.mode == ir::Mode::Audit)
    outcome.reason = "rule in audit mode";
  else if (agent_audit)
    outcome.reason = "agent in audit mode (--audit)";
  else if (std::string reason = withheld_reason(withheld); !reason.empty())
    outcome.reason = reason;
  else if (!kill)
    outcome.reason = "no enforcement hook for this event on this kernel";
  else
    outcome.reason = "not enforced by the kernel";
  return outcome;
}

}  // namespace vigil::runtime
