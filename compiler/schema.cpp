#include "compiler/schema.h"

#include <array>
#include <cassert>

namespace vigil {
namespace {

using enum EventKind;

constexpr EventMask events(std::initializer_list<EventKind> kinds) {
  EventMask mask = 0;
  for (EventKind kind : kinds) mask |= event_bit(kind);
  return mask;
}

// ---- The event table -------------------------------------------------------------
// clang-format off
constexpr std::array kEvents = {
    EventInfo{Exec, "exec", "A process replaced its image (execve/execveat succeeded).", true,
              DenyMechanism::Lsm},
    EventInfo{Exit, "exit", "A process exited.", false, DenyMechanism::None},
    EventInfo{Fork, "fork", "A process created a child (fork/vfork/clone of a new process).", true,
              DenyMechanism::None},
    EventInfo{FileOpen, "file.open", "A file was opened (open/openat/openat2).", true,
              DenyMechanism::Lsm},
    EventInfo{FileRename, "file.rename", "A file was renamed (rename/renameat/renameat2).", true,
              DenyMechanism::Lsm},
    EventInfo{FileUnlink, "file.unlink", "A file or directory was removed (unlink/unlinkat/rmdir).",
              true, DenyMechanism::Lsm},
    EventInfo{FileChmod, "file.chmod", "A file's mode changed (chmod/fchmod/fchmodat).", true,
              DenyMechanism::Lsm},
    EventInfo{FileChown, "file.chown", "A file's owner changed (chown/fchown/lchown/fchownat).",
              true, DenyMechanism::Lsm},
    EventInfo{FileLink, "file.link", "A hard link was created (link/linkat).", true,
              DenyMechanism::Lsm},
    EventInfo{FileSymlink, "file.symlink", "A symbolic link was created (symlink/symlinkat).", true,
              DenyMechanism::Lsm},
    EventInfo{FileMkdir, "file.mkdir", "A directory was created (mkdir/mkdirat).", true,
              DenyMechanism::Lsm},
    EventInfo{NetConnect, "net.connect", "A socket connected (connect).", true,
              DenyMechanism::CgroupSockAddr},
    EventInfo{NetBind, "net.bind", "A socket was bound to a local address (bind).", true,
              DenyMechanism::CgroupSockAddr},
    EventInfo{NetListen, "net.listen", "A socket started listening (listen).", true,
              DenyMechanism::Lsm},
    EventInfo{NetAccept, "net.accept", "A connection was accepted (accept/accept4).", true,
              DenyMechanism::Lsm},
    EventInfo{ProcessSetuid, "process.setuid", "A process changed its user ids (setuid family).",
              true, DenyMechanism::Lsm},
    EventInfo{ProcessSetgid, "process.setgid", "A process changed its group ids (setgid family).",
              true, DenyMechanism::Lsm},
    EventInfo{ProcessPtrace, "process.ptrace", "A process called ptrace.", true,
              DenyMechanism::Lsm},
    EventInfo{KernelModuleLoad, "kernel.module_load",
              "A kernel module load was requested (init_module/finit_module).", true,
              DenyMechanism::Lsm},
    EventInfo{Bpf, "bpf", "A process called bpf().", true, DenyMechanism::Lsm},
    EventInfo{Mount, "mount", "A filesystem was mounted (mount).", true, DenyMechanism::Lsm},
    EventInfo{ProcessMemfdCreate, "process.memfd_create",
              "A process created an anonymous memory file (memfd_create).", true,
              DenyMechanism::Lsm},
};
// clang-format on
static_assert(kEvents.size() == kEventKindCount);

// ---- The field table -------------------------------------------------------------
constexpr EventMask kFileEvents = events(
    {FileOpen, FileRename, FileUnlink, FileChmod, FileChown, FileLink, FileSymlink, FileMkdir});
constexpr EventMask kNetEvents = events({NetConnect, NetBind, NetListen, NetAccept});

constexpr auto K = FieldSource::Kernel;
constexpr auto U = FieldSource::UserSpace;
constexpr bool kOne = false;
constexpr bool kMany = true;

// Kernel capacity of a field's value in the event record (see FieldCapacity).
constexpr FieldCapacity kScalar{};
constexpr FieldCapacity str(uint16_t bytes) {
  return FieldCapacity{bytes, 1};
}
constexpr FieldCapacity strs(uint8_t count, uint16_t bytes) {
  return FieldCapacity{bytes, count};
}

// Rows: name, type, multi-valued, where computed, events, kernel capacity,
// description. The FieldId of a row is its index (filled in below).
struct FieldRow {
  std::string_view name;
  Type type;
  bool multi_valued;
  FieldSource source;
  EventMask events;
  FieldCapacity capacity;
  std::string_view description;
};

// clang-format off
constexpr std::array kFieldRows = {
    // Process context, on every event.
    FieldRow{"process.pid", Type::Int, kOne, K, kAllEvents, kScalar, "Thread id of the acting task (kernel pid)."},
    FieldRow{"process.tgid", Type::Int, kOne, K, kAllEvents, kScalar, "Process id (thread group id)."},
    FieldRow{"process.ppid", Type::Int, kOne, K, kAllEvents, kScalar, "Process id of the parent."},
    FieldRow{"process.uid", Type::Int, kOne, K, kAllEvents, kScalar, "Real user id."},
    FieldRow{"process.euid", Type::Int, kOne, K, kAllEvents, kScalar, "Effective user id."},
    FieldRow{"process.gid", Type::Int, kOne, K, kAllEvents, kScalar, "Real group id."},
    FieldRow{"process.comm", Type::String, kOne, K, kAllEvents, str(16), "Command name (at most 15 bytes)."},
    FieldRow{"process.exe", Type::String, kOne, K, kAllEvents, str(256), "Absolute path of the executable."},
    FieldRow{"process.cmdline", Type::String, kOne, K, kAllEvents, str(512), "Arguments joined by single spaces."},
    FieldRow{"process.args", Type::String, kMany, K, kAllEvents, strs(16, 128), "Each argument, argv[0] first."},
    FieldRow{"process.tty", Type::String, kOne, K, kAllEvents, str(32), "Controlling terminal name (e.g. pts/0), empty if none."},
    FieldRow{"process.stdin_type", Type::String, kOne, K, kAllEvents, str(8), "Type of the file open on fd 0 at the event: \"socket\", \"pipe\" (pipe or FIFO), \"tty\" (terminal: char device major 4, 5 or 136-143), \"char\" (other char device, e.g. /dev/null), \"file\", \"dir\", \"block\", \"none\" (fd 0 not open) or \"other\"."},
    FieldRow{"process.stdout_type", Type::String, kOne, K, kAllEvents, str(8), "Type of the file open on fd 1 at the event, named as for process.stdin_type."},
    FieldRow{"process.cgroup_id", Type::Int, kOne, K, kAllEvents, kScalar, "Id of the process's cgroup v2."},
    FieldRow{"process.container_id", Type::String, kOne, U, kAllEvents, str(0), "Container id derived from the cgroup path, empty on the host."},
    FieldRow{"process.start_time", Type::Int, kOne, K, kAllEvents, kScalar, "Process start time, ns since boot."},
    FieldRow{"parent.pid", Type::Int, kOne, K, kAllEvents, kScalar, "Process id of the parent."},
    FieldRow{"parent.comm", Type::String, kOne, K, kAllEvents, str(16), "Command name of the parent."},
    FieldRow{"parent.exe", Type::String, kOne, K, kAllEvents, str(256), "Executable path of the parent."},
    FieldRow{"process.ancestors.comm", Type::String, kMany, K, kAllEvents, strs(8, 16), "Command names of the ancestors, parent first, up to 8."},
    FieldRow{"process.ancestors.exe", Type::String, kMany, K, kAllEvents, strs(8, 256), "Executable paths of the ancestors, parent first, up to 8."},
    FieldRow{"user.name", Type::String, kOne, U, kAllEvents, str(0), "Name of the real user (NSS lookup)."},
    // exit / fork
    FieldRow{"exit.code", Type::Int, kOne, K, events({Exit}), kScalar, "Exit status as returned by wait (code << 8 | signal)."},
    FieldRow{"fork.child_pid", Type::Int, kOne, K, events({Fork}), kScalar, "Process id of the new child."},
    // Files
    FieldRow{"file.path", Type::String, kOne, K, kFileEvents, str(256), "Path as passed to the syscall (for rename, link, symlink: the source)."},
    FieldRow{"file.newpath", Type::String, kOne, K, events({FileRename, FileLink, FileSymlink}), str(256), "The new name (rename), or the link created (link, symlink)."},
    FieldRow{"file.flags", Type::Int, kOne, K, events({FileOpen}), kScalar, "open(2) flags."},
    FieldRow{"file.write", Type::Bool, kOne, K, events({FileOpen}), kScalar, "Opened for writing: O_WRONLY, O_RDWR, O_CREAT or O_TRUNC."},
    FieldRow{"file.mode", Type::Int, kOne, K, events({FileOpen, FileChmod, FileMkdir}), kScalar, "Mode argument (permission bits)."},
    FieldRow{"file.uid", Type::Int, kOne, K, events({FileChown}), kScalar, "New owner user id (-1: unchanged)."},
    FieldRow{"file.gid", Type::Int, kOne, K, events({FileChown}), kScalar, "New owner group id (-1: unchanged)."},
    // Network
    FieldRow{"net.family", Type::String, kOne, K, kNetEvents, str(8), "Address family: \"inet\", \"inet6\" or \"unix\"."},
    FieldRow{"net.protocol", Type::String, kOne, K, kNetEvents, str(8), "\"tcp\", \"udp\" or \"other\"."},
    FieldRow{"net.saddr", Type::Ip, kOne, K, kNetEvents, kScalar, "Local address."},
    FieldRow{"net.sport", Type::Port, kOne, K, kNetEvents, kScalar, "Local port."},
    FieldRow{"net.daddr", Type::Ip, kOne, K, kNetEvents, kScalar, "Remote address (connect: destination; accept: peer)."},
    FieldRow{"net.dport", Type::Port, kOne, K, kNetEvents, kScalar, "Remote port."},
    // Credentials
    FieldRow{"setuid.uid", Type::Int, kOne, K, events({ProcessSetuid}), kScalar, "Requested user id."},
    FieldRow{"setgid.gid", Type::Int, kOne, K, events({ProcessSetgid}), kScalar, "Requested group id."},
    // ptrace
    FieldRow{"ptrace.request", Type::Int, kOne, K, events({ProcessPtrace}), kScalar, "ptrace request (e.g. 16 = PTRACE_ATTACH, 0x4206 = PTRACE_SEIZE)."},
    FieldRow{"ptrace.target_pid", Type::Int, kOne, K, events({ProcessPtrace}), kScalar, "Process id of the traced process."},
    // Kernel modules, bpf, mount, memfd
    FieldRow{"module.name", Type::String, kOne, K, events({KernelModuleLoad}), str(64), "Module name, when known."},
    FieldRow{"module.path", Type::String, kOne, K, events({KernelModuleLoad}), str(256), "Path of the module file (finit_module), else empty."},
    FieldRow{"bpf.cmd", Type::Int, kOne, K, events({Bpf}), kScalar, "bpf(2) command (e.g. 5 = BPF_PROG_LOAD)."},
    FieldRow{"mount.source", Type::String, kOne, K, events({Mount}), str(256), "Source device or path."},
    FieldRow{"mount.target", Type::String, kOne, K, events({Mount}), str(256), "Mount point."},
    FieldRow{"mount.fstype", Type::String, kOne, K, events({Mount}), str(32), "Filesystem type."},
    FieldRow{"mount.flags", Type::Int, kOne, K, events({Mount}), kScalar, "mount(2) flags."},
    FieldRow{"memfd.name", Type::String, kOne, K, events({ProcessMemfdCreate}), str(256), "Name given to memfd_create."},
    FieldRow{"memfd.flags", Type::Int, kOne, K, events({ProcessMemfdCreate}), kScalar, "memfd_create flags."},
};
// clang-format on

constexpr auto kFields = [] {
  std::array<FieldInfo, kFieldRows.size()> fields{};
  for (size_t i = 0; i < kFieldRows.size(); ++i) {
    const FieldRow& row = kFieldRows[i];
    fields[i] = FieldInfo{static_cast<FieldId>(i),
                          row.name,
                          row.type,
                          row.multi_valued,
                          row.source,
                          row.events,
                          row.capacity,
                          row.description};
  }
  return fields;
}();

// Every kernel string field has room in the event record; multi-valued
// fields keep several values, single-valued ones exactly one.
constexpr bool capacities_are_consistent() {
  for (const FieldRow& row : kFieldRows) {
    bool kernel_string = row.source == K && row.type == Type::String;
    if (kernel_string && row.capacity.string_bytes < 2) return false;
    if (!kernel_string && row.source == K && row.capacity.string_bytes != 0) return false;
    if (row.multi_valued != (row.capacity.max_values > 1)) return false;
  }
  return true;
}
static_assert(capacities_are_consistent());

// ---- The operator table ----------------------------------------------------------
// clang-format off
constexpr std::array kOperators = {
    OperatorInfo{CompareOp::Eq, "==", "Equal.", true, false},
    OperatorInfo{CompareOp::Ne, "!=", "Not equal.", true, false},
    OperatorInfo{CompareOp::Lt, "<", "Less than (int, port, duration).", true, false},
    OperatorInfo{CompareOp::Le, "<=", "Less than or equal (int, port, duration).", true, false},
    OperatorInfo{CompareOp::Gt, ">", "Greater than (int, port, duration).", true, false},
    OperatorInfo{CompareOp::Ge, ">=", "Greater than or equal (int, port, duration).", true, false},
    OperatorInfo{CompareOp::In, "in", "Member of a list, or (ip) inside a network.", true, false},
    OperatorInfo{CompareOp::NotIn, "not in", "Not a member of a list / outside every network.", true, false},
    OperatorInfo{CompareOp::StartsWith, "startswith", "String starts with the operand (or any of a list).", true, false},
    OperatorInfo{CompareOp::EndsWith, "endswith", "String ends with the operand (or any of a list).", true, false},
    OperatorInfo{CompareOp::Contains, "contains", "String contains the operand (or any of a list).", true, false},
    OperatorInfo{CompareOp::Glob, "glob", "Shell-style path pattern: * ? and **.", true, true},
    OperatorInfo{CompareOp::Matches, "matches", "RE2 regular expression (user space only).", false, true},
};
// clang-format on

}  // namespace

std::span<const EventInfo> all_events() {
  return kEvents;
}

const EventInfo& event_info(EventKind kind) {
  const EventInfo& info = kEvents[static_cast<size_t>(kind)];
  assert(info.kind == kind);
  return info;
}

std::optional<EventKind> find_event(std::string_view name) {
  for (const EventInfo& info : kEvents)
    if (info.name == name) return info.kind;
  return std::nullopt;
}

std::span<const FieldInfo> all_fields() {
  return kFields;
}
const FieldInfo& field_info(FieldId id) {
  return kFields.at(id);
}

std::optional<FieldId> find_field(std::string_view name) {
  for (const FieldInfo& info : kFields)
    if (info.name == name) return info.id;
  return std::nullopt;
}

std::span<const OperatorInfo> all_operators() {
  return kOperators;
}

const OperatorInfo& operator_info(CompareOp op) {
  const OperatorInfo& info = kOperators[static_cast<size_t>(op)];
  assert(info.op == op);
  return info;
}

namespace {
constexpr std::array<std::string_view, 3> kActionNames = {"alert", "kill", "deny"};
constexpr std::array<std::string_view, 5> kSeverityNames = {"info", "low", "medium", "high",
                                                            "critical"};
}  // namespace

std::string_view action_name(Action action) {
  return kActionNames[static_cast<size_t>(action)];
}

std::optional<Action> find_action(std::string_view name) {
  for (size_t i = 0; i < kActionNames.size(); ++i)
    if (kActionNames[i] == name) return static_cast<Action>(i);
  return std::nullopt;
}

std::string_view severity_name(Severity severity) {
  return kSeverityNames[static_cast<size_t>(severity)];
}

std::optional<Severity> find_severity(std::string_view name) {
  for (size_t i = 0; i < kSeverityNames.size(); ++i)
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  return std::nullopt;
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::String: return "string";
    case Type::Ip: return "ip";
    case Type::Port: return "port";
    case Type::Duration: return "duration";
    case Type::Cidr: return "network";
  }
  return "?";
}

}  // namespace vigil
