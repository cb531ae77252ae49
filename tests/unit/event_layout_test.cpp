#include "compiler/codegen/event_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace vigil::codegen {
namespace {

FieldId field(std::string_view name) {
  return *find_field(name);
}

TEST(EventLayout, MembersDoNotOverlapAndFitTheRecord) {
  const EventLayout& layout = EventLayout::get();
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const EventMember& member : layout.members()) {
    ranges.emplace_back(member.offset, member.offset + member.size);
    if (field_info(member.field).multi_valued)
      ranges.emplace_back(member.count_offset, member.count_offset + 4);
  }
  std::sort(ranges.begin(), ranges.end());
  EXPECT_GE(ranges.front().first, kEventHeaderSize);
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  EXPECT_LE(ranges.back().second, layout.size());
  EXPECT_EQ(layout.size() % 8, 0u);
}

TEST(EventLayout, UserSpaceFieldsAreNotInTheRecord) {
  EXPECT_EQ(EventLayout::get().member(field("user.name")), nullptr);
  EXPECT_EQ(EventLayout::get().member(field("process.container_id")), nullptr);
  ASSERT_NE(EventLayout::get().member(field("file.path")), nullptr);
  EXPECT_EQ(EventLayout::get().member(field("file.path"))->c_name, "file_path");
}

TEST(EventLayout, RoundTripKeepsWhatTheKernelCanHold) {
  Event event(EventKind::FileOpen);
  event.time_ns = 42;
  event.set(field("file.path"), std::string("/etc/shadow"));
  event.set(field("file.write"), true);
  event.set(field("file.flags"), int64_t{-3});
  event.set(field("process.comm"), std::string("a-very-long-command-name"));
  event.set_values(field("process.args"), {std::string("cat"), std::string("x\0y", 3)});
  event.set(field("user.name"), std::string("root"));
  const EventLayout& layout = EventLayout::get();
  std::optional<Event> back = layout.decode(layout.encode(event));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->kind(), EventKind::FileOpen);
  EXPECT_EQ(back->time_ns, 42u);
  EXPECT_EQ(std::get<std::string>(back->get(field("file.path"))[0]), "/etc/shadow");
  EXPECT_EQ(std::get<bool>(back->get(field("file.write"))[0]), true);
  EXPECT_EQ(std::get<int64_t>(back->get(field("file.flags"))[0]), -3);
  // comm holds 15 bytes and the NUL; a NUL inside a value ends it.
  EXPECT_EQ(std::get<std::string>(back->get(field("process.comm"))[0]), "a-very-long-com");
  ASSERT_EQ(back->get(field("process.args")).size(), 2u);
  EXPECT_EQ(std::get<std::string>(back->get(field("process.args"))[1]), "x");
  EXPECT_EQ(std::get<std::string>(back->get(field("user.name"))[0]), "");
}

TEST(EventLayout, MultiValuedFieldsKeepAtMostTheirCapacity) {
  Event event(EventKind::Exec);
  std::vector<Value> args;
  for (int i = 0; i < 40; ++i) args.emplace_back(std::to_string(i));
  event.set_values(field("process.args"), args);
  const EventLayout& layout = EventLayout::get();
  std::vector<uint8_t> record = layout.encode(event);
  std::optional<Event> back = layout.decode(record);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->get(field("process.args")).size(),
            field_info(field("process.args")).capacity.max_values);
  uint64_t truncated;
  std::memcpy(&truncated, record.data() + kEventTruncatedOffset, 8);
  EXPECT_EQ(truncated, uint64_t{1} << field("process.args"));
}

TEST(EventLayout, Ipv4MappedAddressesDecodeAsIpv4) {
  Event event(EventKind::NetConnect);
  event.set(field("net.daddr"), *IpAddress::parse("::ffff:10.1.2.3"));
  event.set(field("net.saddr"), *IpAddress::parse("fe80::1"));
  const EventLayout& layout = EventLayout::get();
  std::optional<Event> back = layout.decode(layout.encode(event));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::get<IpAddress>(back->get(field("net.daddr"))[0]), *IpAddress::parse("10.1.2.3"));
  EXPECT_EQ(std::get<IpAddress>(back->get(field("net.saddr"))[0]), *IpAddress::parse("fe80::1"));
}

TEST(EventLayout, RejectsShortOrUnknownRecords) {
  const EventLayout& layout = EventLayout::get();
  std::vector<uint8_t> record = layout.encode(Event(EventKind::Exec));
  const size_t minimum = layout.minimum_size(EventKind::Exec);
  EXPECT_FALSE(layout.decode(std::span(record).first(minimum - 1)).has_value());
  EXPECT_TRUE(layout.decode(std::span(record).first(minimum)).has_value());
  record[0] = 200;
  EXPECT_FALSE(layout.decode(record).has_value());
}

// A record ends at the last field its kind carries: every field of the kind
// (but the on-demand ones) is inside, and the common kinds stay small.
TEST(EventLayout, EachKindIsSentUpToItsLastField) {
  const EventLayout& layout = EventLayout::get();
  for (size_t k = 0; k < kEventKindCount; ++k) {
    const EventKind kind = static_cast<EventKind>(k);
    const size_t size = layout.captured_size({}, kind);
    EXPECT_EQ(size, layout.minimum_size(kind));
    EXPECT_GE(size, layout.minimum_size());
    for (const EventMember& member : layout.members()) {
      const FieldInfo& info = field_info(member.field);
      if ((info.events & event_bit(kind)) && !captured_on_demand(info)) {
        EXPECT_LE(member.offset + member.size, size) << event_info(kind).name << " " << info.name;
      }
    }
    // Cut there, the record decodes with every string field it carries.
    auto filled = [&](const FieldInfo& info) {
      return (info.events & event_bit(kind)) && info.type == Type::String && !info.multi_valued &&
             info.source == FieldSource::Kernel && !captured_on_demand(info);
    };
    Event event(kind);
    for (const FieldInfo& info : all_fields())
      if (filled(info)) event.set(info.id, std::string("v"));
    std::vector<uint8_t> record = layout.encode(event);
    std::optional<Event> cut = layout.decode(std::span(record).first(size));
    ASSERT_TRUE(cut) << event_info(kind).name;
    for (const FieldInfo& info : all_fields()) {
      if (filled(info)) {
        EXPECT_EQ(std::get<std::string>(cut->get(info.id)[0]), "v")
            << event_info(kind).name << " " << info.name;
      }
    }
  }
  // The process context and the event's own fields, not every kind's strings.
  EXPECT_LT(layout.minimum_size(EventKind::FileOpen), 1024u);
  EXPECT_LT(layout.minimum_size(EventKind::NetConnect), 1024u);
  EXPECT_LT(layout.minimum_size(EventKind::Exec), 1024u);
}

// The kernel leaves out the on-demand tail no rule reads: those fields decode
// empty, everything before them intact.
TEST(EventLayout, OnDemandFieldsComeLastAndMayBeLeftOut) {
  const EventLayout& layout = EventLayout::get();
  FieldId args = *find_field("process.args"), exe = *find_field("process.exe");
  FieldId path = *find_field("file.path");
  size_t first_on_demand = layout.size();
  for (const EventMember& member : layout.members())
    if (captured_on_demand(field_info(member.field)))
      first_on_demand = std::min(first_on_demand, member.offset);
  for (const EventMember& member : layout.members()) {
    if (!captured_on_demand(field_info(member.field))) {
      EXPECT_LE(member.offset + member.size, first_on_demand) << member.c_name;
    }
  }
  EXPECT_LT(layout.captured_size({}), layout.size() / 2);
  std::vector<bool> needed(all_fields().size(), false);
  needed[args] = true;
  EXPECT_GE(layout.captured_size(needed), layout.member(args)->offset + layout.member(args)->size);

  Event event(EventKind::FileOpen);
  event.set(exe, std::string("/usr/bin/cat"));
  event.set(path, std::string("/etc/shadow"));
  event.set_values(args, {std::string("cat"), std::string("/etc/shadow")});
  std::vector<uint8_t> record = layout.encode(event);
  std::optional<Event> cut = layout.decode(std::span(record).first(layout.captured_size({})));
  ASSERT_TRUE(cut);
  EXPECT_EQ(std::get<std::string>(cut->get(exe)[0]), "/usr/bin/cat");
  EXPECT_EQ(std::get<std::string>(cut->get(path)[0]), "/etc/shadow");
  EXPECT_TRUE(cut->get(args).empty());
}

TEST(EventLayout, CDeclarationAssertsEveryOffset) {
  std::string c = EventLayout::get().c_declaration();
  EXPECT_NE(c.find("char file_path[256]; /* file.path */"), std::string::npos);
  EXPECT_NE(c.find("__u32 process_args_count;"), std::string::npos);
  EXPECT_NE(c.find("VIGIL_EV_FILE_OPEN = 3,"), std::string::npos);
  for (const EventMember& member : EventLayout::get().members())
    EXPECT_NE(c.find("__builtin_offsetof(struct vigil_event, " + member.c_name +
                     ") == " + std::to_string(member.offset)),
              std::string::npos)
        << member.c_name;
}

}  // namespace
}  // namespace vigil::codegen
