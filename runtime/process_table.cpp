#include "runtime/process_table.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string_view>

#include "runtime/container_id.h"

namespace vigil::runtime {
namespace {

constexpr size_t kMaxAncestors = 8;
// What the table keeps of /proc's strings (the kernel's records keep less:
// exe 255 bytes, cmdline 511), so its memory stays bounded.
constexpr size_t kMaxCommBytes = 64;
constexpr size_t kMaxExeBytes = 1024;
constexpr size_t kMaxCmdlineBytes = 1024;

FieldId required_field(std::string_view name) {
  std::optional<FieldId> id = find_field(name);
  if (!id) throw std::logic_error("schema has no field " + std::string(name));
  return *id;
}

// The fields the table reads and writes, resolved once.
struct Fields {
  FieldId pid = required_field("process.pid");
  FieldId tgid = required_field("process.tgid");
  FieldId ppid = required_field("process.ppid");
  FieldId uid = required_field("process.uid");
  FieldId euid = required_field("process.euid");
  FieldId gid = required_field("process.gid");
  FieldId comm = required_field("process.comm");
  FieldId exe = required_field("process.exe");
  FieldId cmdline = required_field("process.cmdline");
  FieldId tty = required_field("process.tty");
  FieldId cgroup_id = required_field("process.cgroup_id");
  FieldId start_time = required_field("process.start_time");
  FieldId parent_comm = required_field("parent.comm");
  FieldId parent_exe = required_field("parent.exe");
  FieldId ancestors_comm = required_field("process.ancestors.comm");
  FieldId ancestors_exe = required_field("process.ancestors.exe");
  FieldId fork_child_pid = required_field("fork.child_pid");
  FieldId user_name = required_field("user.name");
  FieldId container_id = required_field("process.container_id");
};

const Fields& fields() {
  static const Fields instance;
  return instance;
}

int64_t int_field(const Event& event, FieldId id) {
  std::span<const Value> values = event.get(id);
  const int64_t* value = values.empty() ? nullptr : std::get_if<int64_t>(&values.front());
  return value ? *value : 0;
}

std::string string_field(const Event& event, FieldId id) {
  std::span<const Value> values = event.get(id);
  const std::string* value = values.empty() ? nullptr : std::get_if<std::string>(&values.front());
  return value ? *value : std::string();
}

std::vector<std::string> string_fields(const Event& event, FieldId id) {
  std::vector<std::string> strings;
  for (const Value& value : event.get(id))
    if (const std::string* text = std::get_if<std::string>(&value)) strings.push_back(*text);
  return strings;
}

// Whether `reported` (from the kernel record, truncated to `kept` bytes)
// names `stored` (from /proc, longer kept).
bool same_text(std::string_view stored, std::string_view reported, size_t kept) {
  if (stored == reported) return true;
  return reported.size() >= kept && stored.starts_with(reported);
}

size_t kept_bytes(FieldId id) {
  uint16_t bytes = field_info(id).capacity.string_bytes;
  return bytes > 0 ? bytes - 1u : SIZE_MAX;
}

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct ProcStat {
  std::string comm;
  int64_t ppid = 0;
  uint64_t start_ticks = 0;
};

// "<pid> (<comm>) <state> <ppid> ... <starttime: field 22> ...". The comm
// may hold spaces and parentheses: it ends at the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  ProcStat stat;
  stat.comm = std::string(text.substr(open + 1, std::min(close - open - 1, kMaxCommBytes)));
  std::vector<std::string_view> rest;  // from field 3 (state) on
  size_t start = close + 1;
  while (start < text.size() && rest.size() < 20) {
    while (start < text.size() && (text[start] == ' ' || text[start] == '\n')) ++start;
    size_t end = text.find_first_of(" \n", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) rest.push_back(text.substr(start, end - start));
    start = end;
  }
  constexpr size_t kPpid = 4 - 3, kStartTime = 22 - 3;
  if (rest.size() <= kStartTime) return std::nullopt;
  auto ppid = parse_integer<int64_t>(rest[kPpid]);
  auto start_ticks = parse_integer<uint64_t>(rest[kStartTime]);
  if (!ppid || !start_ticks) return std::nullopt;
  stat.ppid = *ppid;
  stat.start_ticks = *start_ticks;
  return stat;
}

// The real uid from /proc/<pid>/status ("Uid:\t<real>\t<effective>...").
std::optional<int64_t> parse_status_uid(std::string_view text) {
  size_t at = text.starts_with("Uid:") ? 0 : text.find("\nUid:");
  if (at == std::string_view::npos) return std::nullopt;
  at = text.find(':', at) + 1;
  while (at < text.size() && (text[at] == '\t' || text[at] == ' ')) ++at;
  size_t end = text.find_first_of("\t \n", at);
  if (end == std::string_view::npos) end = text.size();
  return parse_integer<int64_t>(text.substr(at, end - at));
}

// /proc/<pid>/cmdline: NUL-terminated arguments, joined by single spaces
// the way the kernel record joins them.
std::string join_cmdline(std::string text) {
  while (!text.empty() && text.back() == '\0') text.pop_back();
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// The unified hierarchy's path in the text of /proc/<pid>/cgroup.
std::optional<std::string_view> unified_cgroup_path(std::string_view text) {
  size_t at = text.starts_with("0::") ? 0 : text.find("\n0::");
  if (at == std::string_view::npos) return std::nullopt;
  at = text.find("::", at) + 2;
  size_t end = text.find('\n', at);
  return text.substr(at, end == std::string_view::npos ? text.size() - at : end - at);
}

}  // namespace

// What the event says about its process.
struct ProcessTable::EventProcess {
  int64_t pid = 0, tgid = 0, ppid = 0, uid = 0, euid = 0, gid = 0;
  std::string comm, exe, cmdline, tty;
  uint64_t cgroup_id = 0, start_time = 0;
  std::string parent_comm, parent_exe;
  std::vector<std::string> ancestor_comms, ancestor_exes;

  explicit EventProcess(const Event& event) {
    const Fields& f = fields();
    pid = int_field(event, f.pid);
    tgid = int_field(event, f.tgid);
    ppid = int_field(event, f.ppid);
    uid = int_field(event, f.uid);
    euid = int_field(event, f.euid);
    gid = int_field(event, f.gid);
    comm = string_field(event, f.comm);
    exe = string_field(event, f.exe);
    cmdline = string_field(event, f.cmdline);
    tty = string_field(event, f.tty);
    cgroup_id = static_cast<uint64_t>(int_field(event, f.cgroup_id));
    start_time = static_cast<uint64_t>(std::max<int64_t>(0, int_field(event, f.start_time)));
    parent_comm = string_field(event, f.parent_comm);
    parent_exe = string_field(event, f.parent_exe);
    ancestor_comms = string_fields(event, f.ancestors_comm);
    ancestor_exes = string_fields(event, f.ancestors_exe);
  }
};

ProcessTable::ProcessTable(ProcessTableOptions options, const ClockMapping& clock)
    : options_(std::move(options)),
      clock_(clock),
      users_(options_.users),
      cgroups_(options_.cgroups),
      entries_(options_.max_entries),
      failures_(options_.max_failures),
      ticks_per_second_(options_.clock_ticks_per_second > 0 ? options_.clock_ticks_per_second
                                                            : ::sysconf(_SC_CLK_TCK)) {
  if (ticks_per_second_ <= 0) ticks_per_second_ = 100;
}

bool ProcessTable::same_start(uint64_t a_ns, uint64_t b_ns) const {
  if (a_ns == 0 || b_ns == 0) return true;  // unknown: nothing to contradict
  uint64_t difference = a_ns > b_ns ? a_ns - b_ns : b_ns - a_ns;
  return difference <= static_cast<uint64_t>(options_.start_time_tolerance.count());
}

std::optional<std::string> ProcessTable::read_proc_file(int64_t tgid, const char* name,
                                                        size_t max_bytes) const {
  std::string path = options_.proc_root + "/" + std::to_string(tgid) + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (text.size() < max_bytes) {
    ssize_t n = ::read(fd, buffer, std::min(sizeof buffer, max_bytes - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::optional<ProcessEntry> ProcessTable::read_proc(int64_t tgid) {
  if (tgid <= 0) return std::nullopt;
  ++proc_reads_;
  std::optional<std::string> stat_text = read_proc_file(tgid, "stat", 4096);
  std::optional<ProcStat> stat = stat_text ? parse_proc_stat(*stat_text) : std::nullopt;
  std::optional<std::string> status_text = read_proc_file(tgid, "status", 16384);
  std::optional<int64_t> uid = status_text ? parse_status_uid(*status_text) : std::nullopt;
  if (!stat || !uid) return std::nullopt;  // gone, or not a process

  ProcessEntry entry;
  entry.tgid = tgid;
  entry.ppid = stat->ppid;
  entry.uid = *uid;
  entry.comm = std::move(stat->comm);
  uint64_t ticks = stat->start_ticks, hz = static_cast<uint64_t>(ticks_per_second_);
  uint64_t boottime_ns = ticks / hz * 1'000'000'000 + ticks % hz * 1'000'000'000 / hz;
  entry.start_time_ns = clock_.monotonic_from_boottime(boottime_ns);

  // Kernel threads have no exe; without privileges it cannot be read.
  std::string exe_path = options_.proc_root + "/" + std::to_string(tgid) + "/exe";
  char exe[kMaxExeBytes];
  ssize_t length = ::readlink(exe_path.c_str(), exe, sizeof exe);
  if (length > 0) {
    entry.exe.assign(exe, static_cast<size_t>(length));
    // The kernel's records name a deleted executable by its old path alone.
    constexpr std::string_view kDeleted = " (deleted)";
    if (std::string_view(entry.exe).ends_with(kDeleted))
      entry.exe.resize(entry.exe.size() - kDeleted.size());
  }
  if (auto cmdline = read_proc_file(tgid, "cmdline", kMaxCmdlineBytes))
    entry.cmdline = join_cmdline(std::move(*cmdline));
  if (auto cgroup = read_proc_file(tgid, "cgroup", 65536)) {
    entry.container_id = container_id_from_proc_cgroup(*cgroup);
    entry.container_known = true;
    if (auto path = unified_cgroup_path(*cgroup))
      entry.cgroup_id = cgroups_.id_of(*path).value_or(0);
  }
  return entry;
}

size_t ProcessTable::seed_from_proc() {
  DIR* directory = ::opendir(options_.proc_root.c_str());
  if (!directory) return 0;
  size_t added = 0;
  while (dirent* item = ::readdir(directory)) {
    auto tgid = parse_integer<int64_t>(item->d_name);
    if (!tgid || *tgid <= 0) continue;
    if (std::optional<ProcessEntry> entry = read_proc(*tgid)) {
      entries_.put(*tgid, std::move(*entry));
      ++added;
    }
  }
  ::closedir(directory);
  return added;
}

ProcessEntry* ProcessTable::lookup(int64_t tgid) {
  if (ProcessEntry* entry = entries_.find(tgid)) return entry;
  auto now = std::chrono::steady_clock::now();
  if (const auto* retry_after = failures_.peek(tgid); retry_after && now < *retry_after)
    return nullptr;
  std::optional<ProcessEntry> entry = read_proc(tgid);
  if (!entry) {
    failures_.put(tgid, now + options_.failure_ttl);
    return nullptr;
  }
  failures_.erase(tgid);
  return &entries_.put(tgid, std::move(*entry));
}

ProcessEntry* ProcessTable::sync(const EventProcess& process, bool* read_proc_now) {
  *read_proc_now = false;
  if (process.tgid <= 0) return nullptr;
  const Fields& f = fields();
  ProcessEntry* entry = entries_.find(process.tgid);
  bool stale = entry && (!same_start(entry->start_time_ns, process.start_time) ||
                         (!process.exe.empty() && !entry->exe.empty() &&
                          !same_text(entry->exe, process.exe, kept_bytes(f.exe))));
  if (!entry || stale) {
    std::optional<ProcessEntry> fresh = read_proc(process.tgid);
    *read_proc_now = true;
    // /proc may already show another process under this tgid.
    if (fresh && !same_start(fresh->start_time_ns, process.start_time)) fresh.reset();
    ProcessEntry created;
    created.tgid = process.tgid;
    entry = &entries_.put(process.tgid, fresh ? std::move(*fresh) : std::move(created));
    failures_.erase(process.tgid);
  }
  // The event is authoritative for what it carries.
  entry->ppid = process.ppid;
  entry->uid = process.uid;
  if (!process.comm.empty()) entry->comm = process.comm;
  if (!process.exe.empty() && !same_text(entry->exe, process.exe, kept_bytes(f.exe)))
    entry->exe = process.exe;
  if (!process.cmdline.empty() &&
      !same_text(entry->cmdline, process.cmdline, kept_bytes(f.cmdline)))
    entry->cmdline = process.cmdline;
  if (process.start_time != 0) entry->start_time_ns = process.start_time;
  if (process.cgroup_id != 0 && process.cgroup_id != entry->cgroup_id) {
    entry->cgroup_id = process.cgroup_id;
    entry->container_known = false;
  }
  return entry;
}

void ProcessTable::observe(const Event& event) {
  EventProcess process(event);
  if (event.kind() == EventKind::Exit) {
    entries_.erase(process.tgid);
    return;
  }
  bool read_proc_now = false;
  ProcessEntry* entry = sync(process, &read_proc_now);
  if (!entry) return;
  if (event.kind() == EventKind::Exec) {
    // The new image's argv: the record's if a rule asked for it, else /proc's.
    if (process.cmdline.empty() && !read_proc_now) {
      std::optional<std::string> cmdline =
          read_proc_file(process.tgid, "cmdline", kMaxCmdlineBytes);
      entry->cmdline = cmdline ? join_cmdline(std::move(*cmdline)) : std::string();
    }
  } else if (event.kind() == EventKind::Fork) {
    int64_t child = int_field(event, fields().fork_child_pid);
    if (child > 0 && child != process.tgid) {
      ProcessEntry copy = *entry;
      copy.tgid = child;
      copy.ppid = process.tgid;
      copy.start_time_ns = 0;  // its own first event will tell
      entries_.put(child, std::move(copy));
      failures_.erase(child);
    }
  }
}

std::string ProcessTable::container_for(const EventProcess& process, ProcessEntry* entry) {
  if (entry && entry->container_known && entry->cgroup_id == process.cgroup_id)
    return entry->container_id;
  if (process.cgroup_id != 0) {
    // In the root cgroup (a v1 or hybrid host) the unified path says
    // nothing: the runtime may have used a v1 hierarchy; /proc tells.
    std::optional<std::string> path = cgroups_.path_of(process.cgroup_id);
    if (path && *path != "/") {
      std::string id = container_id_from_cgroup_path(*path);
      if (entry) {
        entry->cgroup_id = process.cgroup_id;
        entry->container_id = id;
        entry->container_known = true;
      }
      return id;
    }
  }
  if (!entry) return "";
  if (!entry->container_known) {
    std::optional<std::string> text = read_proc_file(process.tgid, "cgroup", 65536);
    entry->container_id = text ? container_id_from_proc_cgroup(*text) : std::string();
    entry->container_known = true;
  }
  if (process.cgroup_id != 0) entry->cgroup_id = process.cgroup_id;
  return entry->container_id;
}

std::vector<AncestorInfo> ProcessTable::walk_ancestors(const EventProcess& process) {
  std::vector<AncestorInfo> chain;
  std::vector<int64_t> seen{process.tgid};
  int64_t pid = process.ppid;
  uint64_t child_start = process.start_time;
  // A parent starts before its child: one that started later is another
  // process under a reused pid (a stale entry, or the real parent is gone).
  auto started_after_child = [&](const ProcessEntry& entry) {
    return entry.start_time_ns != 0 && child_start != 0 &&
           entry.start_time_ns >
               child_start + static_cast<uint64_t>(options_.start_time_tolerance.count());
  };
  while (chain.size() < kMaxAncestors && pid > 0) {
    if (std::find(seen.begin(), seen.end(), pid) != seen.end()) break;  // a loop of stale entries
    seen.push_back(pid);
    ProcessEntry* entry = lookup(pid);
    if (entry && started_after_child(*entry)) {
      entries_.erase(pid);
      failures_.erase(pid);
      entry = lookup(pid);
      if (entry && started_after_child(*entry)) entry = nullptr;
    }
    if (!entry) {
      chain.push_back(AncestorInfo{pid, "", ""});
      break;
    }
    chain.push_back(AncestorInfo{pid, entry->comm, entry->exe});
    child_start = entry->start_time_ns;
    pid = entry->ppid;
  }
  return chain;
}

std::vector<AncestorInfo> ProcessTable::ancestors_for(const EventProcess& process) {
  std::vector<AncestorInfo> chain = walk_ancestors(process);
  const size_t exe_kept = kept_bytes(fields().exe);
  if (process.ancestor_comms.empty() && process.ancestor_exes.empty()) {
    // The kernel's view of the parent beats the table's.
    if (!chain.empty() && chain.front().pid == process.ppid) {
      if (!process.parent_comm.empty()) chain.front().comm = process.parent_comm;
      if (!process.parent_exe.empty() &&
          !same_text(chain.front().exe, process.parent_exe, exe_kept))
        chain.front().exe = process.parent_exe;
    }
    return chain;
  }
  // The kernel recorded the ancestors: the table only adds their pids (and
  // the half the rule did not ask for) where it agrees with them.
  size_t count = std::min(kMaxAncestors,
                          std::max(process.ancestor_comms.size(), process.ancestor_exes.size()));
  std::vector<AncestorInfo> ancestors(count);
  for (size_t i = 0; i < count; ++i) {
    AncestorInfo& ancestor = ancestors[i];
    if (i < process.ancestor_comms.size()) ancestor.comm = process.ancestor_comms[i];
    if (i < process.ancestor_exes.size()) ancestor.exe = process.ancestor_exes[i];
    if (i == 0) {
      ancestor.pid = process.ppid;
      if (ancestor.comm.empty()) ancestor.comm = process.parent_comm;
      if (ancestor.exe.empty()) ancestor.exe = process.parent_exe;
    }
    if (i >= chain.size()) continue;
    const AncestorInfo& known = chain[i];
    bool agrees = (i == 0 && known.pid == process.ppid) ||
                  (!ancestor.comm.empty() && ancestor.comm == known.comm) ||
                  (!ancestor.exe.empty() && same_text(known.exe, ancestor.exe, exe_kept));
    if (!agrees) continue;
    ancestor.pid = known.pid;
    if (ancestor.comm.empty()) ancestor.comm = known.comm;
    if (ancestor.exe.empty()) ancestor.exe = known.exe;
  }
  return ancestors;
}

ProcessContext ProcessTable::context_for(const Event& event) {
  EventProcess process(event);
  ProcessContext context;
  context.pid = process.pid;
  context.tgid = process.tgid;
  context.ppid = process.ppid;
  context.uid = process.uid;
  context.euid = process.euid;
  context.gid = process.gid;
  context.comm = process.comm;
  context.exe = process.exe;
  context.cmdline = process.cmdline;
  context.tty = process.tty;
  context.cgroup_id = process.cgroup_id;

  bool read_proc_now = false;
  ProcessEntry* entry = sync(process, &read_proc_now);
  uint64_t start_time = process.start_time;
  if (entry) {
    // What the record left out (the cmdline unless a rule read it).
    if (context.comm.empty()) context.comm = entry->comm;
    if (context.exe.empty()) context.exe = entry->exe;
    if (context.cmdline.empty()) context.cmdline = entry->cmdline;
    if (start_time == 0) start_time = entry->start_time_ns;
  }
  context.user_name = users_.name_of(process.uid);
  context.container_id = container_for(process, entry);
  context.start_time_unix_ns = start_time != 0 ? clock_.to_unix_ns(start_time) : 0;
  // Last: the walk may evict `entry`.
  context.ancestors = ancestors_for(process);
  return context;
}

void ProcessTable::fill_user_space_fields(Event& event) {
  EventProcess process(event);
  bool read_proc_now = false;
  ProcessEntry* entry = sync(process, &read_proc_now);
  const Fields& f = fields();
  event.set(f.user_name, Value(users_.name_of(process.uid)));
  event.set(f.container_id, Value(container_for(process, entry)));
}

}  // namespace vigil::runtime
