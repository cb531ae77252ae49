#include "runtime/lsm_probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "compiler/codegen/generate.h"
#include "runtime/action_outcome.h"
#include "runtime/kernel_mounts.h"

namespace vigil::runtime {
namespace {

constexpr long kSecurityfsMagic = 0x73636673;
constexpr const char* kSecurityfs = "/sys/kernel/security";

// Loads `return 0` as an lsm/file_open program and attaches it for an
// instant (it allows everything); "" if both work, else what failed.
std::string try_noop_lsm_program() {
  std::string why;
  int id = lsm_hook_btf_id("file_open", &why);
  if (id < 0) return why;
  bpf_insn code[2] = {};
  code[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  code[0].dst_reg = BPF_REG_0;
  code[1].code = BPF_JMP | BPF_EXIT;
  bpf_prog_load_opts options{};
  options.sz = sizeof options;
  options.expected_attach_type = BPF_LSM_MAC;
  options.attach_btf_id = static_cast<uint32_t>(id);
  int program = bpf_prog_load(BPF_PROG_TYPE_LSM, "vigil_lsm_probe", "GPL", code, 2, &options);
  if (program < 0) return std::string("loading: ") + std::strerror(errno);
  int link = bpf_link_create(program, 0, BPF_LSM_MAC, nullptr);
  if (link < 0) link = bpf_raw_tracepoint_open(nullptr, program);
  std::string result = link < 0 ? std::string("attaching: ") + std::strerror(errno) : "";
  if (link >= 0) close(link);
  close(program);
  return result;
}

}  // namespace

int lsm_hook_btf_id(const std::string& hook, std::string* why) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (libbpf_get_error(vmlinux)) {
    *why = "no kernel BTF";
    return -1;
  }
  std::string function = "bpf_lsm_" + hook;
  int id = btf__find_by_name_kind(vmlinux, function.c_str(), BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (id < 0) *why = "no BTF for " + function;
  return id < 0 ? -1 : id;
}

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
  bool listed = false;
  std::stringstream names(support.active);
  for (std::string name; std::getline(names, name, ',');)
    if (name == "bpf") listed = true;
  if (!listed) {
    support.why = "this kernel was not booted with BPF LSM (active: " + support.active +
                  "; it needs lsm=...,bpf on the kernel command line)";
    return support;
  }
  // Listed is not enough: lockdown or the kernel's configuration can still
  // refuse LSM programs. Load and attach one that allows everything.
  std::string refused = try_noop_lsm_program();
  support.kernel_has_bpf_lsm = refused.empty();
  support.why = refused.empty() ? "BPF LSM is active (" + support.active + ")"
                                : "BPF LSM is listed (" + support.active +
                                      ") but the kernel refuses its programs: " + refused;
  return support;
}

std::optional<LsmDenyProblem> lsm_deny_problem(const ir::Rule& rule, bool bpf_lsm_usable) {
  if (rule.action != Action::Deny || rule.mode != ir::Mode::Enforce || rule.fallback_kill ||
      !rule.enabled || !deny_needs_lsm(rule))
    return std::nullopt;
  LsmDenyProblem problem;
  for (const EventInfo& event : all_events())
    if ((rule.events & event_bit(event.kind)) && event.deny == DenyMechanism::Lsm &&
        !codegen::lsm_deny_generated(event.kind))
      problem.unsupported_events +=
          std::string(problem.unsupported_events.empty() ? "" : ", ") + std::string(event.name);
  if (problem.unsupported_events.empty() && bpf_lsm_usable) return std::nullopt;
  return problem;
}

std::string lsm_deny_error(const ir::Rule& rule, const std::string& where,
                           const LsmSupport& support) {
  std::optional<LsmDenyProblem> problem = lsm_deny_problem(rule, support.kernel_has_bpf_lsm);
  if (!problem) return "";
  const std::string fix =
      ". Add `fallback kill` to kill the process instead, `mode audit` to only report, or run "
      "with --audit";
  if (!problem->unsupported_events.empty())
    return "rule " + rule.name + " (" + where + "): `action deny` on " +
           problem->unsupported_events +
           " needs BPF LSM programs this version of vigil does not generate yet (it denies exec "
           "and file.open)" +
           fix;
  return "rule " + rule.name + " (" + where + "): `action deny` on this event needs BPF LSM, and " +
         support.why + fix;
}

}  // namespace vigil::runtime
