// The processes the agent has heard of, to complete an alert's process
// context: the user's name, the container, the ancestors the kernel was not
// asked for, and the command line when no rule read it.
//
// The kernel only sends matched events, so the table cannot follow every
// fork, exec and exit: it is seeded from /proc at start, kept current from
// the events that do arrive (every event carries its process's context, and
// the event is always believed over the table), and fills what it misses from
// /proc/<pid>/ on demand. A tgid is reused once its process is gone, so an
// entry counts as the same process only if its start time agrees (within
// 20 ms: /proc reports start times in clock ticks) and, when the event names
// an executable, it is the same one (else the process exec'd meanwhile and
// its entry is read again).
//
// Bounded: at most max_entries processes (least recently used forgotten),
// so short-lived processes cannot grow it. Single-threaded: the agent calls
// it from its main loop only; nothing here locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "runtime/alert.h"
#include "runtime/cgroup_paths.h"
#include "runtime/clock_mapping.h"
#include "runtime/lru_map.h"
#include "runtime/user_names.h"

namespace vigil::runtime {

struct ProcessEntry {
  int64_t tgid = 0;
  int64_t ppid = 0;
  int64_t uid = 0;
  std::string comm;
  std::string exe;
  std::string cmdline;         // arguments joined by single spaces (at most 1 KiB kept)
  uint64_t start_time_ns = 0;  // CLOCK_MONOTONIC; 0: unknown (a forked child not seen yet)
  uint64_t cgroup_id = 0;      // 0: unknown
  std::string container_id;
  bool container_known = false;  // container_id is derived (from cgroup_id or /proc)
};

struct ProcessTableOptions {
  std::string proc_root = "/proc";  // tests point it at a fake tree
  size_t max_entries = 32768;
  // /proc reads that failed (the process is gone) are not retried for this long.
  std::chrono::milliseconds failure_ttl = std::chrono::seconds(2);
  size_t max_failures = 4096;
  std::chrono::nanoseconds start_time_tolerance = std::chrono::milliseconds(20);
  long clock_ticks_per_second = 0;  // the unit of /proc/<pid>/stat's starttime; 0: sysconf
  CgroupPathsOptions cgroups;
  UserNamesOptions users;
};

class ProcessTable {
 public:
  // `clock` converts start times; it must outlive the table.
  ProcessTable(ProcessTableOptions options, const ClockMapping& clock);

  // Reads every process in /proc; returns how many were read (the table
  // keeps the last max_entries of them).
  size_t seed_from_proc();

  // Keeps the table current with an event: its process's context; exec
  // refreshes exe, comm and command line; fork adds the child (a copy of the
  // parent until the child's own events say more); exit forgets the process
  // (so call it after the exit's alert was built).
  void observe(const Event& event);

  // The alert's process context: the event's fields, completed with the
  // user name, the container, the start time as wall-clock time, the command
  // line if the event has none, and the ancestors (the event's own if the
  // kernel recorded them, else the parent chain through the table; parent
  // first, at most 8, ending with pid 1 or wherever the chain is unknown).
  ProcessContext context_for(const Event& event);

  // Sets the user-space fields (user.name, process.container_id) on the
  // event, so the reference evaluator can complete rules that read them.
  void fill_user_space_fields(Event& event);

  // The cached entry, or nullptr; does not read /proc.
  const ProcessEntry* find(int64_t tgid) const { return entries_.peek(tgid); }
  size_t size() const { return entries_.size(); }
  size_t proc_reads() const { return proc_reads_; }  // processes read from /proc so far

  UserNames& users() { return users_; }
  CgroupPaths& cgroups() { return cgroups_; }

 private:
  struct EventProcess;

  ProcessEntry* sync(const EventProcess& process, bool* read_proc_now);
  ProcessEntry* lookup(int64_t tgid);
  std::optional<ProcessEntry> read_proc(int64_t tgid);
  std::optional<std::string> read_proc_file(int64_t tgid, const char* name, size_t max_bytes) const;
  std::string container_for(const EventProcess& process, ProcessEntry* entry);
  std::vector<AncestorInfo> walk_ancestors(const EventProcess& process);
  std::vector<AncestorInfo> ancestors_for(const EventProcess& process);
  bool same_start(uint64_t a_ns, uint64_t b_ns) const;

  ProcessTableOptions options_;
  const ClockMapping& clock_;
  UserNames users_;
  CgroupPaths cgroups_;
  LruMap<int64_t, ProcessEntry> entries_;
  LruMap<int64_t, std::chrono::steady_clock::time_point> failures_;  // tgid -> retry after
  long ticks_per_second_;
  size_t proc_reads_ = 0;
};

}  // namespace vigil::runtime
