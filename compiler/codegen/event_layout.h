// The kernel's event record: one C struct holding every kernel field of every
// event kind, laid out from the field table (schema.cpp). The same layout
// generates the C declaration the BPF templates include and the user-space
// encoder/decoder, so the two sides cannot drift: the C carries static
// assertions of every offset computed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/schema.h"

namespace vigil::codegen {

// One field's storage in the record.
struct EventMember {
  FieldId field;
  std::string c_name;  // "file_path": the field name with '.' -> '_'
  size_t offset = 0;
  size_t size = 0;  // bytes of the value storage (all values of a multi-valued field)
  // Multi-valued fields: a __u32 count of values present, at count_offset.
  size_t count_offset = 0;
};

// Offsets of the record header, before the fields.
inline constexpr size_t kEventKindOffset = 0;        // __u32: EventKind
inline constexpr size_t kEventFlagsOffset = 4;       // __u32: VIGIL_EVENT_* flags
inline constexpr size_t kEventTimeOffset = 8;        // __u64: bpf_ktime_get_ns()
inline constexpr size_t kEventTruncatedOffset = 16;  // __u64: bit FieldId set if truncated
inline constexpr size_t kEventHeaderSize = 24;

class EventLayout {
 public:
  // The layout of the current field table; computed once.
  static const EventLayout& get();

  size_t size() const { return size_; }
  std::span<const EventMember> members() const { return members_; }
  // nullptr for user-space fields, which the record does not hold.
  const EventMember* member(FieldId field) const;

  // `enum vigil_event_kind`, `struct vigil_ip`, `struct vigil_event` and
  // _Static_asserts of every offset, as C for the BPF side.
  std::string c_declaration() const;

  // Bytes of a record of `kind` that hold what a program capturing the
  // `needed` fields (indexed by FieldId) fills: what follows the last field
  // `kind` carries, and the on-demand tail no rule needs, are left out. The
  // kernel sends this many; decode() takes them.
  size_t captured_size(const std::vector<bool>& needed, EventKind kind) const;
  // The largest captured_size over all kinds.
  size_t captured_size(const std::vector<bool>& needed) const;
  // captured_size({}, kind): the shortest record of `kind` the kernel sends.
  size_t minimum_size(EventKind kind) const { return minimum_sizes_[static_cast<size_t>(kind)]; }
  // The shortest record of any kind.
  size_t minimum_size() const { return minimum_size_; }

  // The record the kernel would produce for `event`: strings cut to their
  // capacity (and at a NUL byte, which kernel strings cannot contain),
  // multi-valued fields cut to their count, user-space fields dropped.
  std::vector<uint8_t> encode(const Event& event) const;
  // Reads a record; nullopt if its kind is out of range or it is shorter
  // than minimum_size(kind). A record cut short has empty on-demand fields.
  std::optional<Event> decode(std::span<const uint8_t> record) const;

 private:
  EventLayout();
  std::vector<EventMember> members_;
  std::vector<int> member_index_;  // by FieldId, -1 if none
  size_t size_ = 0;
  size_t minimum_size_ = 0;
  std::vector<size_t> minimum_sizes_;  // by EventKind
};

// Whether the field is one of the large ones the kernel fills only when a rule
// reads it (the prelude's VIGIL_NEED_<FIELD> conditionals): such fields sit at
// the end of the record, left out of records that do not need them.
bool captured_on_demand(const FieldInfo& field);

// "file.open" -> "FILE_OPEN"; used for C identifiers.
std::string c_identifier_upper(std::string_view name);
// "file.path" -> "file_path".
std::string c_identifier(std::string_view name);

}  // namespace vigil::codegen
