// What a matched rule's action came to, from the kernel's record: killed,
// or only reported (would_kill/would_deny) and why. The kernel decides; this
// names its decision for the alert (docs/enforcement.md lists the reasons).
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir.h"
#include "runtime/alert.h"

namespace vigil::runtime {

struct ActionOutcome {
  ActionTaken taken = ActionTaken::Alert;
  std::string reason;  // empty when the action was taken (or is a plain alert)
};

// Whether some event of a deny rule would need BPF LSM to refuse the call.
bool deny_needs_lsm(const ir::Rule& rule);

// `acted`: the kernel set the rule's acted bit; `signalled`: it sent SIGKILL
// for the event; `withheld`: the record's
// WithheldReason bits; `agent_audit`: the agent runs with --audit.
ActionOutcome action_outcome(const ir::Rule& rule, bool acted, bool signalled, uint32_t withheld,
                             bool agent_audit);

}  // namespace vigil::runtime
