// The language's vocabulary: events, fields, operators, actions, severities.
// Each is defined in exactly one table (schema.cpp). The parser, type checker,
// lowering, reference evaluator, code generator and the generated docs all
// read these tables; adding a field means adding one row.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "compiler/value.h"

namespace vigil {

// ---- Events -----------------------------------------------------------------

enum class EventKind : uint8_t {
  Exec,
  Exit,
  Fork,
  FileOpen,
  FileRename,
  FileUnlink,
  FileChmod,
  FileChown,
  FileLink,
  FileSymlink,
  FileMkdir,
  NetConnect,
  NetBind,
  NetListen,
  NetAccept,
  ProcessSetuid,
  ProcessSetgid,
  ProcessPtrace,
  KernelModuleLoad,
  Bpf,
  Mount,
  ProcessMemfdCreate,
};
inline constexpr size_t kEventKindCount = 22;

// A set of event kinds.
using EventMask = uint32_t;
constexpr EventMask event_bit(EventKind kind) {
  return EventMask{1} << static_cast<unsigned>(kind);
}
inline constexpr EventMask kAllEvents = (EventMask{1} << kEventKindCount) - 1;

// How `action deny` can be enforced for an event, if at all.
enum class DenyMechanism : uint8_t { None, CgroupSockAddr, Lsm };

struct EventInfo {
  EventKind kind;
  std::string_view name;         // as written after `on`, e.g. "file.open"
  std::string_view description;  // one line, for docs
  bool allows_kill;              // `action kill` is meaningful
  DenyMechanism deny;            // how `action deny` would be enforced
};

std::span<const EventInfo> all_events();
const EventInfo& event_info(EventKind kind);
std::optional<EventKind> find_event(std::string_view name);

// ---- Fields -----------------------------------------------------------------

using FieldId = uint16_t;

// Where a field's value is known. Kernel fields can be tested in the
// generated eBPF; user-space fields force user-space completion of a rule.
enum class FieldSource : uint8_t { Kernel, UserSpace };

// How much of a kernel field's value the event record holds. Longer strings
// are truncated to `string_bytes - 1` bytes (the record keeps the NUL); a
// multi-valued field keeps its first `max_values` values. Both back ends see
// the same truncated values (docs/backend.md, "Event record").
struct FieldCapacity {
  uint16_t string_bytes = 0;  // String fields: bytes per value including the NUL
  uint8_t max_values = 1;     // multi-valued fields: values kept
};

struct FieldInfo {
  FieldId id;             // index into all_fields()
  std::string_view name;  // e.g. "process.exe"
  Type type;
  bool multi_valued;  // holds several values; a test is true if any value satisfies it
  FieldSource source;
  EventMask events;              // the events that carry this field
  FieldCapacity capacity;        // in the kernel's event record (Kernel fields)
  std::string_view description;  // one line, for docs
};

std::span<const FieldInfo> all_fields();
const FieldInfo& field_info(FieldId id);
std::optional<FieldId> find_field(std::string_view name);

// ---- Operators ----------------------------------------------------------------

enum class CompareOp : uint8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  In,
  NotIn,
  StartsWith,
  EndsWith,
  Contains,
  Glob,
  Matches,
};

struct OperatorInfo {
  CompareOp op;
  std::string_view spelling;     // as written, e.g. "startswith", "not in"
  std::string_view description;  // one line, for docs
  bool kernel_capable;           // false: forces user-space evaluation (`matches`)
  bool requires_literal;         // right operand must be a literal (glob, matches)
};

std::span<const OperatorInfo> all_operators();
const OperatorInfo& operator_info(CompareOp op);

// ---- Actions and severities ----------------------------------------------------

enum class Action : uint8_t { Alert, Kill, Deny };
std::string_view action_name(Action action);
std::optional<Action> find_action(std::string_view name);

enum class Severity : uint8_t { Info, Low, Medium, High, Critical };
std::string_view severity_name(Severity severity);
std::optional<Severity> find_severity(std::string_view name);

}  // namespace vigil
