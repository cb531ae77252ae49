// A hook the agent owns for its whole life: one kernel attach point (a
// tracepoint, raw tracepoint, or a cgroup socket-address hook such as
// cgroup/connect4 for `action deny`), a one-slot BPF program array, and a tiny
// dispatcher program attached to the point that tail-calls whatever program
// the slot holds. Policy generations never attach anything themselves: their
// capture programs are put in the slots. Replacing a slot is atomic, so each
// event is handled by exactly one generation, old or new, and none is lost or
// seen twice while the policy changes. (Tracepoint links cannot be updated in
// place, BPF_LINK_UPDATE: detach-then-attach would lose events.)
//
// The dispatcher is six instructions built here, not compiled: `vigil run
// --bundle` needs no compiler. An empty slot makes the tail call fall
// through: the hook then costs a few nanoseconds and does nothing (a cgroup
// or LSM hook then allows the call: no policy, no denial).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::runtime {

enum class HookKind { Tracepoint, RawTracepoint, CgroupSockAddr, Lsm };

// "tp/syscalls/sys_enter_openat", "raw_tp/sched_process_fork", "cgroup/connect4",
// "lsm/file_open", ...
struct HookPoint {
  HookKind kind = HookKind::Tracepoint;
  std::string category;  // tracepoints only: "syscalls"
  std::string name;  // "sys_enter_openat"; cgroup: connect4, connect6, bind4, bind6; lsm: file_open

  // nullopt for a section with no attach point ("syscall", "tp", "tp_btf/…").
  static std::optional<HookPoint> from_section(std::string_view section);
  std::string section() const;  // the canonical spelling: "tp/…", "raw_tp/…", "cgroup/…", "lsm/…"
};

class HookDispatcher {
 public:
  // Creates the slot and loads the dispatcher; nothing is attached yet.
  // `tracefs` is a tracefs mount (for tracepoint ids); `cgroup` the cgroup v2
  // directory a cgroup hook attaches to (it covers every process below it).
  static std::unique_ptr<HookDispatcher> create(const HookPoint& point, std::string tracefs,
                                                std::string* error, std::string cgroup = "");
  ~HookDispatcher();
  HookDispatcher(const HookDispatcher&) = delete;
  HookDispatcher& operator=(const HookDispatcher&) = delete;

  // Puts a program in the slot (atomically replacing what was there). The
  // program must be of the hook's type (tracepoint / raw tracepoint).
  bool set_target(int program_fd, std::string* error);
  // Empties the slot: from now on the hook does nothing.
  bool clear_target(std::string* error);

  bool attach(std::string* error);
  void detach();
  bool attached() const { return link_fd_ >= 0; }

  const HookPoint& point() const { return point_; }
  int dispatcher_fd() const { return program_fd_; }
  int slot_map_fd() const { return slot_fd_; }

 private:
  HookDispatcher() = default;

  HookPoint point_;
  std::string tracefs_;
  std::string cgroup_;
  int slot_fd_ = -1;
  int program_fd_ = -1;
  int perf_fd_ = -1;  // tracepoints: the perf event the link attaches to
  int link_fd_ = -1;
};

}  // namespace vigil::runtime
