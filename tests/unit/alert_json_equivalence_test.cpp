// format_alert_json (the direct writer) against the nlohmann tree it
// replaced (alert_json_reference.h): byte for byte on random alerts of every
// shape, and format_rfc3339_ns against its printf form.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/alert_format.h"
#include "tests/unit/alert_json_reference.h"

namespace vigil::runtime {
namespace {

// Random pieces of an alert, weighted toward what breaks serialisers.
class AlertGenerator {
 public:
  explicit AlertGenerator(uint32_t seed) : random_(seed) {}

  bool chance(uint32_t percent) { return random_() % 100 < percent; }
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>(random_() % bound); }

  // Plain text, every control byte, valid UTF-8 of each length (surrogate
  // pairs in JSON), and invalid UTF-8: stray continuations, bad leads,
  // overlong forms, surrogates, truncated sequences (also at the end).
  std::string text(size_t max_pieces) {
    static const std::vector<std::string> kPieces = {"/usr/bin/bash",
                                                     "a",
                                                     " ",
                                                     "\"",
                                                     "\\",
                                                     "/",
                                                     "\x7f",
                                                     "\xc3\xa9",
                                                     "\xe2\x80\xae",
                                                     "\xe4\xb8\xad",
                                                     "\xef\xbf\xbd",
                                                     "\xf0\x9f\x98\x80",
                                                     "\xf4\x8f\xbf\xbf",
                                                     "\x80",
                                                     "\xbf",
                                                     "\xc0\xaf",
                                                     "\xc1",
                                                     "\xf5",
                                                     "\xff",
                                                     "\xe0\x80\x80",
                                                     "\xed\xa0\x80",
                                                     "\xf4\x90\x80\x80",
                                                     "\xe2\x80",
                                                     "\xf0\x9f\x98",
                                                     "\xc3",
                                                     "\xf0"};
    std::string out;
    const size_t pieces = random_() % (max_pieces + 1);
    for (size_t i = 0; i < pieces; ++i) {
      switch (random_() % 4) {
        case 0: out += static_cast<char>(random_() % 0x20); break;  // a control byte
        case 1: out += static_cast<char>(random_() & 0xff); break;  // any byte
        default: out += kPieces[random_() % kPieces.size()];
      }
    }
    return out;
  }

  int64_t integer() {
    static constexpr int64_t kEdges[] = {0,
                                         1,
                                         -1,
                                         65535,
                                         std::numeric_limits<int32_t>::min(),
                                         std::numeric_limits<uint32_t>::max(),
                                         std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::max()};
    if (chance(40)) return kEdges[below(std::size(kEdges))];
    return static_cast<int64_t>((uint64_t{random_()} << 32) | random_()) >> below(64);
  }

  uint64_t unsigned_integer() {
    if (chance(20)) return std::numeric_limits<uint64_t>::max();
    return static_cast<uint64_t>(integer());
  }

  IpAddress address() {
    IpAddress address;
    switch (below(3)) {
      case 0: address.is_v4 = true; break;
      case 1: address.is_v4 = false; break;
      default:  // IPv4-mapped IPv6, as a raw value may arrive: shown as IPv4
        address.is_v4 = false;
        address.bytes[10] = address.bytes[11] = 0xff;
    }
    const size_t first = address.is_v4 ? 0 : (address.bytes[10] == 0xff ? 12 : 0);
    const size_t last = address.is_v4 ? 4 : 16;
    for (size_t i = first; i < last; ++i) address.bytes[i] = chance(30) ? 0 : random_() & 0xff;
    return address;
  }

  Value typed_value(Type type) {
    switch (type) {
      case Type::Bool: return chance(50);
      case Type::Int:
      case Type::Port: return integer();
      case Type::String: return text(8);
      case Type::Ip: return address();
      case Type::Duration: return Duration(integer());
      case Type::Cidr: return IpNetwork{address(), static_cast<uint8_t>(below(129))};
    }
    return int64_t{0};
  }

  // Every field of the kind set (or left at its default) to random values.
  Event event_of_kind(EventKind kind) {
    Event event(kind);
    for (const FieldInfo& info : all_fields()) {
      if ((info.events & event_bit(kind)) == 0 || chance(10)) continue;
      if (info.multi_valued) {
        std::vector<Value> values(below(5));  // none at all, sometimes
        for (Value& value : values) value = typed_value(info.type);
        event.set_values(info.id, std::move(values));
      } else {
        event.set(info.id, typed_value(info.type));
      }
    }
    return event;
  }

  ProcessContext process() {
    ProcessContext process;
    process.pid = integer();
    process.tgid = integer();
    process.ppid = integer();
    process.uid = integer();
    process.euid = integer();
    process.gid = integer();
    process.user_name = text(3);
    process.comm = text(4);
    process.exe = text(6);
    process.cmdline = text(10);
    process.tty = chance(50) ? "" : text(2);
    process.cgroup_id = unsigned_integer();
    process.container_id = chance(50) ? "" : text(4);
    process.start_time_unix_ns = chance(30) ? 0 : integer();
    process.ancestors.resize(below(9));
    for (AncestorInfo& ancestor : process.ancestors) ancestor = {integer(), text(3), text(5)};
    return process;
  }

  Alert alert() {
    Alert alert;
    alert.origin = chance(20) ? AlertOrigin::Agent : AlertOrigin::Rule;
    alert.time_unix_ns = integer();
    alert.host = text(3);
    alert.generation = unsigned_integer();
    alert.rule = text(3);
    alert.rule_file = alert.origin == AlertOrigin::Rule ? text(4) : "";
    alert.rule_line = static_cast<uint32_t>(unsigned_integer());
    alert.severity = static_cast<Severity>(below(5));
    alert.tags.resize(below(4));
    for (std::string& tag : alert.tags) tag = text(3);
    alert.action = static_cast<ActionTaken>(below(5));
    alert.output = text(12);
    // Agent alerts have neither; rule alerts usually both, but each part is
    // optional to the formatter.
    if (alert.origin == AlertOrigin::Rule) {
      if (chance(90))
        alert.event = std::make_shared<const Event>(
            event_of_kind(static_cast<EventKind>(below(kEventKindCount))));
      if (chance(90)) alert.process = std::make_shared<const ProcessContext>(process());
    }
    return alert;
  }

 private:
  std::mt19937 random_;
};

TEST(AlertJsonEquivalence, RandomAlertsMatchTheNlohmannForm) {
  AlertGenerator generate(20261205);
  for (int round = 0; round < 5000; ++round) {
    const Alert alert = generate.alert();
    ASSERT_EQ(format_alert_json(alert), reference::format_alert_json(alert)) << "round " << round;
  }
}

// Each kind with its fields at their defaults, then with every field set.
TEST(AlertJsonEquivalence, EveryEventKindMatches) {
  AlertGenerator generate(7);
  for (size_t kind = 0; kind < kEventKindCount; ++kind) {
    Alert alert = generate.alert();
    alert.origin = AlertOrigin::Rule;
    alert.event = std::make_shared<const Event>(Event(static_cast<EventKind>(kind)));
    alert.process = std::make_shared<const ProcessContext>(generate.process());
    EXPECT_EQ(format_alert_json(alert), reference::format_alert_json(alert)) << kind;
    alert.event =
        std::make_shared<const Event>(generate.event_of_kind(static_cast<EventKind>(kind)));
    EXPECT_EQ(format_alert_json(alert), reference::format_alert_json(alert)) << kind;
  }
}

TEST(AlertJsonEquivalence, ProcessWithoutEventHasNoArgs) {
  AlertGenerator generate(11);
  Alert alert = generate.alert();
  alert.origin = AlertOrigin::Rule;
  alert.event.reset();
  alert.process = std::make_shared<const ProcessContext>(generate.process());
  const std::string line = format_alert_json(alert);
  EXPECT_EQ(line, reference::format_alert_json(alert));
  EXPECT_EQ(line.find("\"args\""), std::string::npos);
}

TEST(AlertJsonEquivalence, AgentAlertIsExact) {
  Alert alert;
  alert.origin = AlertOrigin::Agent;
  alert.time_unix_ns = 1'796'511'291'123'456'789;
  alert.host = "web-1";
  alert.generation = 3;
  alert.rule = "vigil.events_dropped";
  alert.output = "the kernel dropped 12 events \xe2\x80\xae\xff";
  EXPECT_EQ(format_alert_json(alert),
            R"({"time":"2026-12-05T22:54:51.123456789Z","host":"web-1","origin":"agent",)"
            R"("generation":3,"rule":"vigil.events_dropped","severity":"medium","tags":[],)"
            R"("action":"alert","output":"the kernel dropped 12 events \u202e\ufffd"})");
  EXPECT_EQ(format_alert_json(alert), reference::format_alert_json(alert));
}

TEST(AlertJsonEquivalence, Rfc3339MatchesPrintfForm) {
  const std::vector<int64_t> edges = {0,
                                      -1,
                                      1,
                                      999'999'999,
                                      -86'400'000'000'000,
                                      951'782'400'000'000'000,  // 2000-02-29
                                      1'796'511'291'123'456'789,
                                      std::numeric_limits<int64_t>::min(),
                                      std::numeric_limits<int64_t>::min() + 1,
                                      std::numeric_limits<int64_t>::max()};
  for (int64_t ns : edges) EXPECT_EQ(format_rfc3339_ns(ns), reference::format_rfc3339_ns(ns)) << ns;
  EXPECT_EQ(format_rfc3339_ns(std::numeric_limits<int64_t>::min()),
            "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(format_rfc3339_ns(std::numeric_limits<int64_t>::max()),
            "2262-04-11T23:47:16.854775807Z");
  std::mt19937_64 random(3339);
  for (int i = 0; i < 100'000; ++i) {
    const auto ns = static_cast<int64_t>(random());
    ASSERT_EQ(format_rfc3339_ns(ns), reference::format_rfc3339_ns(ns)) << ns;
  }
}

}  // namespace
}  // namespace vigil::runtime
