#include "runtime/hook_dispatcher.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/lsm_probe.h"

namespace vigil::runtime {
namespace {

std::string errno_text(int code) {
  return std::strerror(code);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.imm = imm;
  return insn;
}

// r1 (the context) is passed on unchanged: bpf_tail_call(ctx, slot_map, 0),
// and return `empty_result` when the slot is empty.
std::vector<bpf_insn> dispatcher_instructions(int slot_map_fd, int32_t empty_result) {
  return {
      instruction(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, slot_map_fd),
      instruction(0, 0, 0, 0),  // the upper half of the 64-bit immediate
      instruction(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0),
      instruction(BPF_JMP | BPF_CALL, 0, 0, BPF_FUNC_tail_call),
      instruction(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, empty_result),
      instruction(BPF_JMP | BPF_EXIT, 0, 0, 0),
  };
}

// The cgroup socket-address hooks `action deny` uses.
std::optional<bpf_attach_type> cgroup_attach_type(std::string_view name) {
  if (name == "connect4") return BPF_CGROUP_INET4_CONNECT;
  if (name == "connect6") return BPF_CGROUP_INET6_CONNECT;
  if (name == "bind4") return BPF_CGROUP_INET4_BIND;
  if (name == "bind6") return BPF_CGROUP_INET6_BIND;
  return std::nullopt;
}

std::optional<long> tracepoint_id(const std::string& tracefs, const HookPoint& point,
                                  std::string* error) {
  std::string path = tracefs + "/events/" + point.category + "/" + point.name + "/id";
  std::ifstream in(path);
  long id = -1;
  if (!(in >> id) || id < 0) {
    *error = "tracepoint " + point.category + "/" + point.name +
             " does not exist on this kernel (" + path + " unreadable)";
    return std::nullopt;
  }
  return id;
}

}  // namespace

std::optional<HookPoint> HookPoint::from_section(std::string_view section) {
  auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (section.starts_with(prefix) && section.size() > prefix.size())
      return section.substr(prefix.size());
    return std::nullopt;
  };
  for (std::string_view prefix : {"tp/", "tracepoint/"}) {
    if (auto rest = after(prefix)) {
      size_t slash = rest->find('/');
      if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest->size() ||
          rest->find('/', slash + 1) != std::string_view::npos)
        return std::nullopt;
      return HookPoint{HookKind::Tracepoint, std::string(rest->substr(0, slash)),
                       std::string(rest->substr(slash + 1))};
    }
  }
  if (auto rest = after("cgroup/"); rest && cgroup_attach_type(*rest))
    return HookPoint{HookKind::CgroupSockAddr, "", std::string(*rest)};
  if (auto rest = after("lsm/"); rest && rest->find('/') == std::string_view::npos)
    return HookPoint{HookKind::Lsm, "", std::string(*rest)};
  for (std::string_view prefix : {"raw_tp/", "raw_tracepoint/"}) {
    if (auto rest = after(prefix)) {
      if (rest->find('/') != std::string_view::npos) return std::nullopt;
      return HookPoint{HookKind::RawTracepoint, "", std::string(*rest)};
    }
  }
  return std::nullopt;
}

std::string HookPoint::section() const {
  switch (kind) {
    case HookKind::Tracepoint: return "tp/" + category + "/" + name;
    case HookKind::RawTracepoint: return "raw_tp/" + name;
    case HookKind::CgroupSockAddr: return "cgroup/" + name;
    case HookKind::Lsm: return "lsm/" + name;
  }
  return name;
}

std::unique_ptr<HookDispatcher> HookDispatcher::create(const HookPoint& point, std::string tracefs,
                                                       std::string* error, std::string cgroup) {
  std::unique_ptr<HookDispatcher> hook(new HookDispatcher());
  hook->point_ = point;
  hook->tracefs_ = std::move(tracefs);
  hook->cgroup_ = std::move(cgroup);
  if (point.kind == HookKind::CgroupSockAddr && hook->cgroup_.empty()) {
    *error = "no cgroup v2 to attach " + point.section() + " to (action deny needs cgroup v2)";
    return nullptr;
  }
  if (point.kind == HookKind::Tracepoint && !tracepoint_id(hook->tracefs_, point, error))
    return nullptr;

  hook->slot_fd_ = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "vigil_slot", sizeof(uint32_t),
                                  sizeof(uint32_t), 1, nullptr);
  if (hook->slot_fd_ < 0) {
    *error = "cannot create the program slot of " + point.section() + ": " + errno_text(errno);
    return nullptr;
  }
  // A cgroup hook with an empty slot allows the call (1); tracing hooks return 0.
  const bool cgroup_hook = point.kind == HookKind::CgroupSockAddr;
  std::vector<bpf_insn> code = dispatcher_instructions(hook->slot_fd_, cgroup_hook ? 1 : 0);
  bpf_prog_type type = BPF_PROG_TYPE_RAW_TRACEPOINT;
  if (cgroup_hook) type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
  if (point.kind == HookKind::Tracepoint) type = BPF_PROG_TYPE_TRACEPOINT;
  if (point.kind == HookKind::Lsm) type = BPF_PROG_TYPE_LSM;
  char log[4096] = "";
  bpf_prog_load_opts options{};
  options.sz = sizeof options;
  if (cgroup_hook) options.expected_attach_type = *cgroup_attach_type(point.name);
  if (point.kind == HookKind::Lsm) {
    // An LSM program names its hook by the BTF id of bpf_lsm_<hook>.
    std::string why;
    int id = lsm_hook_btf_id(point.name, &why);
    if (id < 0) {
      *error = "LSM hook " + point.name + " does not exist on this kernel (" + why + ")";
      return nullptr;
    }
    options.expected_attach_type = BPF_LSM_MAC;
    options.attach_btf_id = static_cast<uint32_t>(id);
  }
  options.log_buf = log;
  options.log_size = sizeof log;
  options.log_level = 0;
  hook->program_fd_ = bpf_prog_load(type, "vigil_hook", "GPL", code.data(), code.size(), &options);
  if (hook->program_fd_ < 0) {
    int code_errno = errno;
    *error = "cannot load the dispatcher of " + point.section() + ": " + errno_text(code_errno);
    if (log[0]) *error += std::string(" (verifier: ") + log + ")";
    return nullptr;
  }
  return hook;
}

HookDispatcher::~HookDispatcher() {
  detach();
  close_fd(program_fd_);
  close_fd(slot_fd_);
}

bool HookDispatcher::set_target(int program_fd, std::string* error) {
  uint32_t key = 0;
  uint32_t value = static_cast<uint32_t>(program_fd);
  if (bpf_map_update_elem(slot_fd_, &key, &value, BPF_ANY) != 0) {
    int code = errno;
    *error = "cannot put a program in the slot of " + point_.section() + ": " + errno_text(code);
    if (code == EINVAL) *error += " (the program's type does not match the hook's)";
    return false;
  }
  return true;
}

bool HookDispatcher::clear_target(std::string* error) {
  uint32_t key = 0;
  if (bpf_map_delete_elem(slot_fd_, &key) != 0 && errno != ENOENT) {
    *error = "cannot empty the slot of " + point_.section() + ": " + errno_text(errno);
    return false;
  }
  return true;
}

bool HookDispatcher::attach(std::string* error) {
  if (attached()) return true;
  if (point_.kind == HookKind::Lsm) {
    link_fd_ = bpf_link_create(program_fd_, 0, BPF_LSM_MAC, nullptr);
    if (link_fd_ < 0) link_fd_ = bpf_raw_tracepoint_open(nullptr, program_fd_);
    if (link_fd_ < 0) {
      int code = errno;
      link_fd_ = -1;
      *error = "cannot attach the BPF LSM hook " + point_.name + ": " + errno_text(code);
      return false;
    }
    return true;
  }
  if (point_.kind == HookKind::CgroupSockAddr) {
    // A link: added beside the cgroup's other programs (multi-attach), never
    // replacing them, and gone when the agent closes it or dies.
    int cgroup_fd = open(cgroup_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0) {
      *error = "cannot open cgroup " + cgroup_ + ": " + errno_text(errno);
      return false;
    }
    link_fd_ = bpf_link_create(program_fd_, cgroup_fd, *cgroup_attach_type(point_.name), nullptr);
    int code = errno;
    close(cgroup_fd);
    if (link_fd_ < 0) {
      link_fd_ = -1;
      *error =
          "cannot attach " + point_.section() + " to cgroup " + cgroup_ + ": " + errno_text(code);
      return false;
    }
    return true;
  }
  if (point_.kind == HookKind::RawTracepoint) {
    link_fd_ = bpf_raw_tracepoint_open(point_.name.c_str(), program_fd_);
    if (link_fd_ < 0) {
      int code = errno;
      link_fd_ = -1;
      *error = "cannot attach to raw tracepoint " + point_.name + ": " + errno_text(code);
      return false;
    }
    return true;
  }
  std::optional<long> id = tracepoint_id(tracefs_, point_, error);
  if (!id) return false;
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = static_cast<uint64_t>(*id);
  attr.sample_period = 1;
  attr.wakeup_events = 1;
  perf_fd_ = static_cast<int>(syscall(SYS_perf_event_open, &attr, -1 /* any process */, 0 /* cpu */,
                                      -1, PERF_FLAG_FD_CLOEXEC));
  if (perf_fd_ < 0) {
    int code = errno;
    perf_fd_ = -1;
    *error =
        "cannot open tracepoint " + point_.category + "/" + point_.name + ": " + errno_text(code);
    return false;
  }
  link_fd_ = bpf_link_create(program_fd_, perf_fd_, BPF_PERF_EVENT, nullptr);
  if (link_fd_ < 0) {
    int code = errno;
    link_fd_ = -1;
    close_fd(perf_fd_);
    *error = "cannot attach to tracepoint " + point_.category + "/" + point_.name + ": " +
             errno_text(code);
    return false;
  }
  return true;
}

void HookDispatcher::detach() {
  close_fd(link_fd_);
  close_fd(perf_fd_);
}

}  // namespace vigil::runtime
