#include "compiler/codegen/event_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace vigil::codegen {
namespace {

constexpr size_t kIpSize = 20;  // struct vigil_ip { __u32 family; __u8 addr[16]; }

// Storage order groups members by alignment so the C compiler adds no
// padding we did not compute: 8-byte scalars, IPs, counts, bools, strings,
// and last the strings captured on demand, so a record can be sent without
// the tail its generation never fills. Strings carried by more kinds come
// first (the process context, then file.path, ...): a record ends at the
// last field of its kind (captured_size), so the strings of other kinds
// between would be sent for nothing.
int storage_group(const FieldInfo& field) {
  if (captured_on_demand(field)) return 5;
  switch (field.type) {
    case Type::Int:
    case Type::Port:
    case Type::Duration: return 0;
    case Type::Ip: return 1;
    case Type::Bool: return 3;
    case Type::String: return 4;
    case Type::Cidr: break;
  }
  return 6;
}

size_t value_size(const FieldInfo& field) {
  switch (field.type) {
    case Type::Int:
    case Type::Port:
    case Type::Duration: return 8;
    case Type::Ip: return kIpSize;
    case Type::Bool: return 1;
    case Type::String: return size_t{field.capacity.string_bytes} * field.capacity.max_values;
    case Type::Cidr: break;
  }
  return 0;
}

template <typename T>
void store(std::vector<uint8_t>& record, size_t offset, T value) {
  std::memcpy(record.data() + offset, &value, sizeof value);
}

template <typename T>
T load(std::span<const uint8_t> record, size_t offset) {
  T value;
  std::memcpy(&value, record.data() + offset, sizeof value);
  return value;
}

void store_string(std::vector<uint8_t>& record, size_t offset, size_t capacity,
                  std::string_view text) {
  size_t length = std::min({text.size(), capacity - 1, text.find('\0')});
  std::memcpy(record.data() + offset, text.data(), length);
}

std::string load_string(std::span<const uint8_t> record, size_t offset, size_t capacity) {
  const char* begin = reinterpret_cast<const char*>(record.data() + offset);
  return std::string(begin, strnlen(begin, capacity - 1));
}

}  // namespace

bool captured_on_demand(const FieldInfo& field) {
  // The prelude fills these only under VIGIL_NEED_<FIELD>: they cost a
  // bpf_loop walk and kilobytes of record each. (It fills process.stdin_type
  // and stdout_type on demand too, but 16 bytes are not worth leaving out:
  // they stay with the fixed fields, "" when no rule reads them.)
  static constexpr std::string_view kOnDemand[] = {"process.cmdline", "process.args", "parent.exe",
                                                   "process.ancestors.comm",
                                                   "process.ancestors.exe"};
  for (std::string_view name : kOnDemand)
    if (field.name == name) return true;
  return false;
}

size_t EventLayout::captured_size(const std::vector<bool>& needed, EventKind kind) const {
  size_t end = kEventHeaderSize;
  for (const EventMember& member : members_) {
    const FieldInfo& field = field_info(member.field);
    if (!(field.events & event_bit(kind))) continue;
    bool captured =
        !captured_on_demand(field) || (member.field < needed.size() && needed[member.field]);
    if (captured) end = std::max(end, member.offset + member.size);
  }
  return std::min(size_, (end + 7) / 8 * 8);
}

size_t EventLayout::captured_size(const std::vector<bool>& needed) const {
  size_t largest = 0;
  for (size_t kind = 0; kind < kEventKindCount; ++kind)
    largest = std::max(largest, captured_size(needed, static_cast<EventKind>(kind)));
  return largest;
}

std::string c_identifier(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

std::string c_identifier_upper(std::string_view name) {
  std::string out = c_identifier(name);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const EventLayout& EventLayout::get() {
  static const EventLayout layout;
  return layout;
}

EventLayout::EventLayout() {
  std::vector<const FieldInfo*> kernel_fields;
  for (const FieldInfo& field : all_fields())
    if (field.source == FieldSource::Kernel) kernel_fields.push_back(&field);
  auto kinds_carrying = [](const FieldInfo* field) { return std::popcount(field->events); };
  std::stable_sort(kernel_fields.begin(), kernel_fields.end(),
                   [&](const FieldInfo* a, const FieldInfo* b) {
                     if (storage_group(*a) != storage_group(*b))
                       return storage_group(*a) < storage_group(*b);
                     return storage_group(*a) == 4 && kinds_carrying(a) > kinds_carrying(b);
                   });
  member_index_.assign(all_fields().size(), -1);
  size_t offset = kEventHeaderSize;
  // Counts of multi-valued fields sit between the IPs and the bools.
  std::vector<size_t> count_offsets(all_fields().size(), 0);
  bool counts_placed = false;
  for (const FieldInfo* field : kernel_fields) {
    if (!counts_placed && storage_group(*field) >= 3) {
      for (const FieldInfo* multi : kernel_fields) {
        if (!multi->multi_valued) continue;
        count_offsets[multi->id] = offset;
        offset += 4;
      }
      counts_placed = true;
    }
    EventMember member{field->id, c_identifier(field->name), offset, value_size(*field),
                       count_offsets[field->id]};
    offset += member.size;
    member_index_[field->id] = static_cast<int>(members_.size());
    members_.push_back(std::move(member));
  }
  size_ = (offset + 7) / 8 * 8;
  minimum_size_ = size_;
  for (size_t kind = 0; kind < kEventKindCount; ++kind) {
    minimum_sizes_.push_back(captured_size({}, static_cast<EventKind>(kind)));
    minimum_size_ = std::min(minimum_size_, minimum_sizes_.back());
  }
}

const EventMember* EventLayout::member(FieldId field) const {
  if (field >= member_index_.size() || member_index_[field] < 0) return nullptr;
  return &members_[member_index_[field]];
}

std::string EventLayout::c_declaration() const {
  std::string out;
  out += "// Generated by vigil from the field table (compiler/schema.cpp). Do not edit.\n";
  out += "#pragma once\n\n";
  out += "enum vigil_event_kind {\n";
  for (const EventInfo& event : all_events())
    out += fmt::format("  VIGIL_EV_{} = {},\n", c_identifier_upper(event.name),
                       static_cast<int>(event.kind));
  out += fmt::format("  VIGIL_EV_COUNT = {},\n}};\n\n", kEventKindCount);
  out += "struct vigil_ip {\n  __u32 family; /* 4 or 6 */\n  __u8 addr[16];\n};\n\n";
  out += "struct vigil_event {\n";
  out +=
      "  __u32 kind;\n  __u32 flags;\n  __u64 time_ns;\n  __u64 truncated; /* bit n: field n */\n";
  // Members and counts in offset order.
  struct Line {
    size_t offset;
    std::string text;
  };
  std::vector<Line> lines;
  for (const EventMember& member : members_) {
    const FieldInfo& field = field_info(member.field);
    std::string text;
    switch (field.type) {
      case Type::Int:
      case Type::Port:
      case Type::Duration: text = fmt::format("  __s64 {};", member.c_name); break;
      case Type::Ip: text = fmt::format("  struct vigil_ip {};", member.c_name); break;
      case Type::Bool: text = fmt::format("  __u8 {};", member.c_name); break;
      case Type::String:
        text = field.multi_valued
                   ? fmt::format("  char {}[{}][{}];", member.c_name, field.capacity.max_values,
                                 field.capacity.string_bytes)
                   : fmt::format("  char {}[{}];", member.c_name, field.capacity.string_bytes);
        break;
      case Type::Cidr: break;
    }
    lines.push_back({member.offset, text + fmt::format(" /* {} */", field.name)});
    if (field.multi_valued)
      lines.push_back({member.count_offset, fmt::format("  __u32 {}_count;", member.c_name)});
  }
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.offset < b.offset; });
  for (const Line& line : lines) out += line.text + "\n";
  out += "} __attribute__((aligned(8)));\n\n";
  out += fmt::format("_Static_assert(sizeof(struct vigil_event) == {}, \"event size\");\n", size_);
  for (const EventMember& member : members_) {
    out += fmt::format(
        "_Static_assert(__builtin_offsetof(struct vigil_event, {0}) == {1}, \"{0}\");\n",
        member.c_name, member.offset);
    if (field_info(member.field).multi_valued)
      out += fmt::format(
          "_Static_assert(__builtin_offsetof(struct vigil_event, {0}_count) == {1}, "
          "\"{0}_count\");\n",
          member.c_name, member.count_offset);
  }
  for (const FieldInfo& field : all_fields())
    out += fmt::format("#define VIGIL_FIELD_{} {}\n", c_identifier_upper(field.name), field.id);
  return out;
}

std::vector<uint8_t> EventLayout::encode(const Event& event) const {
  std::vector<uint8_t> record(size_, 0);
  store<uint32_t>(record, kEventKindOffset, static_cast<uint32_t>(event.kind()));
  store<uint64_t>(record, kEventTimeOffset, event.time_ns);
  uint64_t truncated = 0;
  const uint64_t carried = [&] {
    uint64_t mask = 0;
    for (const FieldInfo& field : all_fields())
      if (field.events & event_bit(event.kind())) mask |= uint64_t{1} << field.id;
    return mask;
  }();
  for (const EventMember& member : members_) {
    if (!(carried & (uint64_t{1} << member.field))) continue;
    const FieldInfo& field = field_info(member.field);
    std::span<const Value> values = event.get(member.field);
    if (values.empty()) continue;
    switch (field.type) {
      case Type::Int:
      case Type::Port: store<int64_t>(record, member.offset, std::get<int64_t>(values[0])); break;
      case Type::Duration:
        store<int64_t>(record, member.offset, std::get<Duration>(values[0]).count());
        break;
      case Type::Bool: store<uint8_t>(record, member.offset, std::get<bool>(values[0])); break;
      case Type::Ip: {
        // The capture hooks store an IPv4-mapped IPv6 address (an IPv6
        // socket talking IPv4) as the IPv4 address; so does the encoder.
        IpAddress ip = std::get<IpAddress>(values[0]).unmapped();
        store<uint32_t>(record, member.offset, ip.is_v4 ? 4 : 6);
        std::memcpy(record.data() + member.offset + 4, ip.bytes.data(), ip.is_v4 ? 4 : 16);
        break;
      }
      case Type::String: {
        size_t capacity = field.capacity.string_bytes;
        size_t count = std::min<size_t>(values.size(), field.capacity.max_values);
        for (size_t i = 0; i < count; ++i) {
          const auto& text = std::get<std::string>(values[i]);
          if (text.size() >= capacity) truncated |= uint64_t{1} << member.field;
          store_string(record, member.offset + i * capacity, capacity, text);
        }
        if (values.size() > count) truncated |= uint64_t{1} << member.field;
        if (field.multi_valued)
          store<uint32_t>(record, member.count_offset, static_cast<uint32_t>(count));
        break;
      }
      case Type::Cidr: break;
    }
  }
  store<uint64_t>(record, kEventTruncatedOffset, truncated);
  return record;
}

std::optional<Event> EventLayout::decode(std::span<const uint8_t> record) const {
  if (record.size() < kEventHeaderSize) return std::nullopt;
  uint32_t kind = load<uint32_t>(record, kEventKindOffset);
  if (kind >= kEventKindCount || record.size() < minimum_sizes_[kind]) return std::nullopt;
  Event event(static_cast<EventKind>(kind));
  event.time_ns = load<uint64_t>(record, kEventTimeOffset);
  for (const EventMember& member : members_) {
    const FieldInfo& field = field_info(member.field);
    if (!(field.events & event_bit(event.kind()))) continue;
    if (member.offset + member.size > record.size()) continue;  // an on-demand field left out
    switch (field.type) {
      case Type::Int:
      case Type::Port: event.set(member.field, load<int64_t>(record, member.offset)); break;
      case Type::Duration:
        event.set(member.field, Duration(load<int64_t>(record, member.offset)));
        break;
      case Type::Bool: event.set(member.field, load<uint8_t>(record, member.offset) != 0); break;
      case Type::Ip: {
        IpAddress ip;
        ip.is_v4 = load<uint32_t>(record, member.offset) != 6;
        std::memcpy(ip.bytes.data(), record.data() + member.offset + 4, ip.is_v4 ? 4 : 16);
        event.set(member.field, ip.unmapped());
        break;
      }
      case Type::String: {
        size_t capacity = field.capacity.string_bytes;
        if (!field.multi_valued) {
          event.set(member.field, load_string(record, member.offset, capacity));
          break;
        }
        size_t count = std::min<size_t>(load<uint32_t>(record, member.count_offset),
                                        field.capacity.max_values);
        std::vector<Value> values;
        for (size_t i = 0; i < count; ++i)
          values.emplace_back(load_string(record, member.offset + i * capacity, capacity));
        event.set_values(member.field, std::move(values));
        break;
      }
      case Type::Cidr: break;
    }
  }
  return event;
}

}  // namespace vigil::codegen
