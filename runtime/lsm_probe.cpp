#include "runtime/lsm_probe.h"

#include <sys/mount.h>
#include <sys/vfs.h>

#include <fstream>
#include <sstream>

#include "runtime/action_outcome.h"
#include "runtime/kernel_mounts.h"

namespace vigil::runtime {
namespace {

constexpr long kSecurityfsMagic = 0x73636673;
constexpr const char* kSecurityfs = "/sys/kernel/security";

}  // namespace

LsmSupport probe_bpf_lsm() {
  LsmSupport support;
  if (!is_mounted(kSecurityfs, kSecurityfsMagic))
    ::mount("securityfs", kSecurityfs, "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  std::ifstream in(std::string(kSecurityfs) + "/lsm");
  std::getline(in, support.active);
  if (!in && support.active.empty()) {
    support.why = "the kernel's active LSMs cannot be read (" + std::string(kSecurityfs) +
                  "/lsm), so BPF LSM is assumed absent";
    return support;
  }
  std::stringstream names(support.active);
  for (std::string name; std::getline(names, name, ',');)
    if (name == "bpf") support.kernel_has_bpf_lsm = true;
  support.why = support.kernel_has_bpf_lsm
                    ? "this kernel has BPF LSM, but this version of vigil does not generate LSM "
                      "programs yet"
                    : "this kernel was not booted with BPF LSM (active: " + support.active +
                          "; it needs lsm=...,bpf on the kernel command line)";
  return support;
}

std::string lsm_deny_error(const ir::Rule& rule, const std::string& where,
                           const LsmSupport& support) {
  if (rule.action != Action::Deny || rule.mode != ir::Mode::Enforce || rule.fallback_kill ||
      !rule.enabled || !deny_needs_lsm(rule))
    return "";
  return "rule " + rule.name + " (" + where + "): `action deny` on this event needs BPF LSM, and " +
         support.why +
         ". Add `fallback kill` to kill the process instead, `mode audit` to only report, or run "
         "with --audit";
}

}  // namespace vigil::runtime
