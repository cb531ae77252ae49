// Whether `action deny` on exec and file events can be enforced: that needs
// BPF LSM, which the kernel must have been booted with (lsm=...,bpf), and a
// BPF LSM program vigil generates (exec and file.open so far). Rules that
// would need what is missing are refused when enforcing, unless they say
// `fallback kill`.
#pragma once

#include <optional>
#include <string>

#include "compiler/ir.h"

namespace vigil::runtime {

struct LsmSupport {
  bool kernel_has_bpf_lsm = false;
  std::string active;  // /sys/kernel/security/lsm, e.g. "lockdown,capability,landlock"
  std::string why;     // one sentence on why deny cannot use BPF LSM here
};

// Reads the active LSMs (mounting securityfs if needed).
LsmSupport probe_bpf_lsm();

// The BTF id of bpf_lsm_<hook> ("file_open"), the kernel function an LSM
// program for that hook names; -1 and `why` if the kernel has no BTF or no
// such hook.
int lsm_hook_btf_id(const std::string& hook, std::string* why);

// Why an enforced deny rule cannot be enforced (nullopt: it can):
// `unsupported_events` lists its events vigil has no LSM program for; when
// empty, the problem is that BPF LSM is not usable (`bpf_lsm_usable` false).
struct LsmDenyProblem {
  std::string unsupported_events;  // "file.rename, file.unlink"
};
std::optional<LsmDenyProblem> lsm_deny_problem(const ir::Rule& rule, bool bpf_lsm_usable);

// The error for an enforced deny rule that needs BPF LSM and has no
// `fallback kill`; empty if the rule is fine.
std::string lsm_deny_error(const ir::Rule& rule, const std::string& where,
                           const LsmSupport& support);

}  // namespace vigil::runtime
