#include "tests/differential/event_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "compiler/codegen/event_layout.h"
#include "compiler/frontend.h"
#include "compiler/glob.h"
#include "tests/unit/sema_test_support.h"

namespace vigil::testing {
namespace {

ir::PolicySet parse_policy(const std::string& text) {
  auto analysis = sema_test::analyze_text(text);
  EXPECT_TRUE(analysis->policy.has_value()) << ::testing::PrintToString(analysis->headlines());
  return analysis->policy.value_or(ir::PolicySet{});
}

FieldId field_id(std::string_view name) {
  auto id = find_field(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(0);
}

bool has_type(const Value& value, Type type) {
  switch (type) {
    case Type::Bool: return std::holds_alternative<bool>(value);
    case Type::Int:
    case Type::Port: return std::holds_alternative<int64_t>(value);
    case Type::String: return std::holds_alternative<std::string>(value);
    case Type::Ip: return std::holds_alternative<IpAddress>(value);
    case Type::Duration: return std::holds_alternative<Duration>(value);
    case Type::Cidr: return std::holds_alternative<IpNetwork>(value);
  }
  return false;
}

// Every value one field takes over `count` events of `kind`.
std::vector<Value> values_of(EventGenerator& generator, EventKind kind, std::string_view field,
                             int count) {
  const FieldId id = field_id(field);
  std::vector<Value> out;
  for (int i = 0; i < count; ++i) {
    Event event = generator.next(kind);
    for (const Value& value : event.get(id)) out.push_back(value);
  }
  return out;
}

std::set<std::string> strings_of(const std::vector<Value>& values) {
  std::set<std::string> out;
  for (const Value& value : values) out.insert(std::get<std::string>(value));
  return out;
}

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

bool any_address(const std::vector<Value>& values, auto&& predicate) {
  return std::any_of(values.begin(), values.end(),
                     [&](const Value& value) { return predicate(std::get<IpAddress>(value)); });
}

const char* kStartsWithEtc = R"(
rule etc_read {
  on file.open
  when file.path startswith "/etc/"
}
)";

// ---- Determinism and shape ---------------------------------------------------------

TEST(EventGenerator, SameSeedGivesSameEvents) {
  ir::PolicySet policy = parse_policy(kStartsWithEtc);
  EventGenerator first(policy, {.seed = 42});
  EventGenerator second(policy, {.seed = 42});
  EventGenerator other(policy, {.seed = 43});
  bool differs_from_other_seed = false;
  for (int i = 0; i < 500; ++i) {
    const auto kind = static_cast<EventKind>(i % kEventKindCount);
    Event a = first.next(kind);
    Event b = second.next(kind);
    Event c = other.next(kind);
    ASSERT_EQ(a.time_ns, b.time_ns);
    for (const FieldInfo& field : all_fields()) {
      auto va = a.get(field.id);
      auto vb = b.get(field.id);
      ASSERT_EQ(std::vector<Value>(va.begin(), va.end()), std::vector<Value>(vb.begin(), vb.end()))
          << "event " << i << " field " << field.name;
      auto vc = c.get(field.id);
      if (std::vector<Value>(va.begin(), va.end()) != std::vector<Value>(vc.begin(), vc.end()))
        differs_from_other_seed = true;
    }
  }
  EXPECT_TRUE(differs_from_other_seed);
}

TEST(EventGenerator, NextWithoutKindIsDeterministicAndPrefersRuleKinds) {
  ir::PolicySet policy = parse_policy(kStartsWithEtc);
  EventGenerator first(policy, {.seed = 7});
  EventGenerator second(policy, {.seed = 7});
  int file_opens = 0;
  for (int i = 0; i < 1000; ++i) {
    Event a = first.next();
    Event b = second.next();
    ASSERT_EQ(a.kind(), b.kind());
    ASSERT_EQ(a.time_ns, b.time_ns);
    if (a.kind() == EventKind::FileOpen) ++file_opens;
  }
  // 80% aimed at the rule's kind, plus its share of the uniform 20%.
  EXPECT_GT(file_opens, 700);
  EXPECT_LT(file_opens, 900);
}

TEST(EventGenerator, SetsEveryCarriedFieldWithItsType) {
  ir::PolicySet policy = parse_policy(R"(
rule many {
  on net.connect
  when net.daddr in 10.0.0.0/8 and net.dport in [22, 443] and process.args contains "-c"
      and user.name == "root"
}
)");
  EventGenerator generator(policy, {.seed = 3});
  for (const EventInfo& info : all_events()) {
    for (int i = 0; i < 40; ++i) {
      Event event = generator.next(info.kind);
      ASSERT_EQ(event.kind(), info.kind);
      for (const FieldInfo& field : all_fields()) {
        auto values = event.get(field.id);
        const bool carried = (field.events & event_bit(info.kind)) != 0;
        if (!carried) {
          EXPECT_TRUE(values.empty()) << info.name << " " << field.name;
          continue;
        }
        if (!field.multi_valued) {
          EXPECT_EQ(values.size(), 1u) << info.name << " " << field.name;
        }
        for (const Value& value : values) {
          ASSERT_TRUE(has_type(value, field.type)) << info.name << " " << field.name;
          if (field.type == Type::Port) {
            EXPECT_GE(std::get<int64_t>(value), 0);
            EXPECT_LE(std::get<int64_t>(value), 65535);
          }
          if (auto* text = std::get_if<std::string>(&value)) {
            EXPECT_EQ(text->find('\0'), std::string::npos) << field.name;
          }
        }
      }
    }
  }
}

// ---- Strings -------------------------------------------------------------------------

TEST(EventGenerator, StringsAroundAStartsWithConstant) {
  ir::PolicySet policy = parse_policy(kStartsWithEtc);
  EventGenerator generator(policy, {.seed = 1});
  const auto values = strings_of(values_of(generator, EventKind::FileOpen, "file.path", 2000));
  const size_t capacity = field_info(field_id("file.path")).capacity.string_bytes;
  ASSERT_EQ(capacity, 256u);

  EXPECT_TRUE(values.count("/etc/"));  // the constant
  EXPECT_TRUE(values.count("/etc"));   // one shorter
  EXPECT_TRUE(values.count(""));
  auto some = [&](auto&& predicate) {
    return std::any_of(values.begin(), values.end(), predicate);
  };
  // The constant plus a suffix, and as a suffix / in the middle of other text.
  EXPECT_TRUE(some([](const std::string& s) { return s.size() > 5 && s.starts_with("/etc/"); }));
  EXPECT_TRUE(some([](const std::string& s) { return s.size() > 5 && s.ends_with("/etc/"); }));
  // One byte changed at the end: "/etc" plus a byte other than '/'.
  EXPECT_TRUE(some([](const std::string& s) {
    return s.size() == 5 && s.starts_with("/etc") && s.back() != '/';
  }));
  // Every length at the truncation boundary.
  for (size_t length : {capacity - 2, capacity - 1, capacity, capacity + 5})
    EXPECT_TRUE(some([&](const std::string& s) { return s.size() == length; })) << length;
  // The constant ending exactly where the kernel cuts, and just past it.
  EXPECT_TRUE(
      some([&](const std::string& s) { return s.size() == capacity - 1 && s.ends_with("/etc/"); }));
  EXPECT_TRUE(
      some([&](const std::string& s) { return s.size() == capacity && s.ends_with("/etc/"); }));
  // Hostile bytes.
  EXPECT_TRUE(some([](const std::string& s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }));
  EXPECT_TRUE(some([](const std::string& s) { return s.find('\n') != std::string::npos; }));
  EXPECT_TRUE(some([](const std::string& s) { return s.find('\\') != std::string::npos; }));
  EXPECT_TRUE(some([](const std::string& s) { return s.find("//") != std::string::npos; }));
  EXPECT_TRUE(some([](const std::string& s) { return s.find('*') != std::string::npos; }));
}

TEST(EventGenerator, GlobInstancesAndNearMisses) {
  ir::PolicySet policy = parse_policy(R"(
rule cron {
  on file.open
  when file.path glob "/etc/cron*/**" or file.path glob "/dev/tty?" or file.path glob "**/id_rsa"
}
)");
  EventGenerator generator(policy, {.seed = 5});
  const auto values = strings_of(values_of(generator, EventKind::FileOpen, "file.path", 2000));
  for (std::string_view pattern : {"/etc/cron*/**", "/dev/tty?", "**/id_rsa"}) {
    size_t matching = 0, near = 0;
    for (const std::string& value : values) {
      if (glob_matches(pattern, value))
        ++matching;
      else if (value.starts_with(pattern.substr(0, 5)) || value.ends_with("id_rsa"))
        ++near;
    }
    EXPECT_GE(matching, 10u) << pattern;
    EXPECT_GE(near, 10u) << pattern;
  }
  // `**/` instantiated as nothing, and the pattern's text itself as a value.
  EXPECT_TRUE(values.count("id_rsa"));
  EXPECT_TRUE(values.count("/etc/cron*/**"));
}

// ---- Numbers and addresses -------------------------------------------------------------

TEST(EventGenerator, IntegersAroundConstantsAndEdges) {
  ir::PolicySet policy = parse_policy(R"(
rule root_setuid {
  on process.setuid
  when setuid.uid == 1000
}
)");
  EventGenerator generator(policy, {.seed = 9});
  std::set<int64_t> seen;
  for (const Value& value : values_of(generator, EventKind::ProcessSetuid, "setuid.uid", 2000))
    seen.insert(std::get<int64_t>(value));
  for (int64_t expected : {int64_t{1000}, int64_t{999}, int64_t{1001}, int64_t{0}, int64_t{-1},
                           std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                           int64_t{std::numeric_limits<uint32_t>::max()}})
    EXPECT_TRUE(seen.count(expected)) << expected;
  EXPECT_TRUE(
      std::any_of(seen.begin(), seen.end(), [](int64_t v) { return v > (int64_t{1} << 32); }));
}

TEST(EventGenerator, PortsAroundConstantsStayInRange) {
  ir::PolicySet policy = parse_policy(R"(
rule ssh {
  on net.connect
  when net.dport == 22 or net.sport >= 65535
}
)");
  EventGenerator generator(policy, {.seed = 11});
  std::set<int64_t> seen;
  for (const Value& value : values_of(generator, EventKind::NetConnect, "net.dport", 2000))
    seen.insert(std::get<int64_t>(value));
  for (int64_t expected : {21, 22, 23, 0, 65535}) EXPECT_TRUE(seen.count(expected)) << expected;
  EXPECT_GE(*seen.begin(), 0);
  EXPECT_LE(*seen.rbegin(), 65535);
}

TEST(EventGenerator, AddressesAroundANetwork) {
  ir::PolicySet policy = parse_policy(R"(
rule private_dest {
  on net.connect
  when net.daddr in [10.0.0.0/8, fe80::/10]
}
)");
  EventGenerator generator(policy, {.seed = 13});
  const auto values = values_of(generator, EventKind::NetConnect, "net.daddr", 2000);
  auto seen = [&](std::string_view text) {
    IpAddress wanted = ip(text);
    return any_address(values, [&](const IpAddress& a) { return a == wanted; });
  };
  EXPECT_TRUE(seen("10.0.0.0"));        // first
  EXPECT_TRUE(seen("10.255.255.255"));  // last
  EXPECT_TRUE(seen("9.255.255.255"));   // one below
  EXPECT_TRUE(seen("11.0.0.0"));        // one above
  EXPECT_TRUE(seen("fe80::"));
  EXPECT_TRUE(seen("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(seen("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(seen("fec0::"));
  EXPECT_TRUE(seen("0.0.0.0"));
  EXPECT_TRUE(seen("::"));
  EXPECT_TRUE(seen("::a00:0"));  // ::10.0.0.0, IPv4-compatible: IPv6, outside 10/8
  EXPECT_TRUE(any_address(values, [](const IpAddress& a) { return a.is_v4; }));
  EXPECT_TRUE(any_address(values, [](const IpAddress& a) { return !a.is_v4; }));
  // Raw ::ffff:10.x.y.z values, as a v6 socket reports them; decode makes them IPv4.
  EXPECT_TRUE(any_address(values, [](const IpAddress& a) {
    return !a.is_v4 && a.bytes[10] == 0xff && a.bytes[11] == 0xff && a.bytes[12] == 10;
  }));
}

TEST(EventGenerator, NoRawMappedAddressesWhenTurnedOff) {
  ir::PolicySet policy = parse_policy(R"(
rule private_dest {
  on net.connect
  when net.daddr in 10.0.0.0/8
}
)");
  EventGenerator generator(policy, {.seed = 13, .raw_mapped_addresses = false});
  const auto values = values_of(generator, EventKind::NetConnect, "net.daddr", 2000);
  EXPECT_FALSE(any_address(values, [](const IpAddress& a) {
    return !a.is_v4 && a.bytes[10] == 0xff && a.bytes[11] == 0xff &&
           std::all_of(a.bytes.begin(), a.bytes.begin() + 10, [](uint8_t b) { return b == 0; });
  }));
}

// ---- Multi-valued fields -------------------------------------------------------------------

TEST(EventGenerator, MultiValuedCountsAndMatchesPastCapacity) {
  ir::PolicySet policy = parse_policy(R"(
rule shell_c {
  on exec
  when process.args contains "-c"
}
)");
  EventGenerator generator(policy, {.seed = 17});
  const FieldId args = field_id("process.args");
  const size_t max = field_info(args).capacity.max_values;
  std::set<size_t> counts;
  int match_kept = 0, match_only_past_capacity = 0, match_last = 0;
  for (int i = 0; i < 2000; ++i) {
    Event event = generator.next(EventKind::Exec);
    auto values = event.get(args);
    counts.insert(values.size());
    auto has = [](const Value& v) {
      return std::get<std::string>(v).find("-c") != std::string::npos;
    };
    const size_t kept = std::min(values.size(), max);
    if (std::any_of(values.begin(), values.begin() + kept, has))
      ++match_kept;
    else if (std::any_of(values.begin(), values.end(), has))
      ++match_only_past_capacity;
    if (!values.empty() && has(values.back()) && values.size() > 1) ++match_last;
  }
  for (size_t expected : {size_t{0}, size_t{1}, max - 1, max, max + 1, max + 2})
    EXPECT_TRUE(counts.count(expected)) << expected;
  EXPECT_GT(match_kept, 100);
  EXPECT_GT(match_only_past_capacity, 10);
  EXPECT_GT(match_last, 10);
}

// ---- Aiming at rules -----------------------------------------------------------------------

// The share of events a rule matches, on the events as generated and as the
// kernel record holds them.
struct MatchRates {
  double generated = 0;
  double decoded = 0;
};

MatchRates match_rates(const ir::PolicySet& policy, const ir::Rule& rule, EventKind kind, int count,
                       uint64_t seed) {
  EventGenerator generator(policy, {.seed = seed});
  const auto& layout = codegen::EventLayout::get();
  int generated = 0, decoded = 0;
  for (int i = 0; i < count; ++i) {
    Event event = generator.next(kind);
    if (rule_matches(rule, event)) ++generated;
    auto record = layout.decode(layout.encode(event));
    EXPECT_TRUE(record.has_value());
    if (record && rule_matches(rule, *record)) ++decoded;
  }
  return {generated / static_cast<double>(count), decoded / static_cast<double>(count)};
}

TEST(EventGenerator, SimpleRuleMatchesOftenButNotAlways) {
  ir::PolicySet policy = parse_policy(kStartsWithEtc);
  MatchRates rates = match_rates(policy, policy.rules.at(0), EventKind::FileOpen, 2000, 1);
  EXPECT_GT(rates.generated, 0.10);
  EXPECT_LT(rates.generated, 0.90);
  EXPECT_GT(rates.decoded, 0.10);
  EXPECT_LT(rates.decoded, 0.90);
}

TEST(EventGenerator, CompoundRuleWithExceptsMatchesAndIsSuppressed) {
  ir::PolicySet policy = parse_policy(R"(
list readers = ["/usr/sbin/sshd", "/usr/bin/sudo", "/usr/bin/passwd"]
rule log_deleted {
  on file.unlink
  when file.path startswith "/var/log/" and not file.path endswith [".gz", ".1"]
      and process.uid >= 1000
  except process.exe in readers
  except process.comm == "logrotate" and process.args contains "--force"
}
)");
  const ir::Rule& rule = policy.rules.at(0);
  EventGenerator generator(policy, {.seed = 21});
  int matched = 0, suppressed = 0, missed = 0;
  for (int i = 0; i < 2000; ++i) {
    RuleEvaluation result = explain_rule(rule, generator.next(EventKind::FileUnlink));
    if (result.matched)
      ++matched;
    else if (result.when_held)
      ++suppressed;
    else
      ++missed;
  }
  // Three conditions and two excepts: random values alone would almost never match.
  EXPECT_GT(matched, 200);
  EXPECT_GT(suppressed, 40);
  EXPECT_GT(missed, 200);
}

// process.stdin_type / stdout_type hold one of a few short names in 8 bytes:
// the generator gives the names a reverse-shell rule mentions, near misses of
// them, and strings past the 7 bytes the record keeps ("socket" + 2 bytes).
TEST(EventGenerator, StdioTypesAroundAReverseShellRule) {
  ir::PolicySet policy = parse_policy(R"(
rule reverse_shell {
  on exec
  when process.stdin_type == "socket" and process.stdout_type in ["socket", "pipe"]
}
)");
  EventGenerator generator(policy, {.seed = 37});
  std::set<std::string> stdin_types =
      strings_of(values_of(generator, EventKind::Exec, "process.stdin_type", 2000));
  EXPECT_TRUE(stdin_types.count("socket"));
  EXPECT_TRUE(stdin_types.count("pipe"));  // from the other field's constants
  EXPECT_TRUE(stdin_types.count(""));      // not captured
  EXPECT_TRUE(std::any_of(stdin_types.begin(), stdin_types.end(), [](const std::string& text) {
    return text.size() >= 8 && text.starts_with("socket");
  })) << "no value at the record's capacity";
  MatchRates rates = match_rates(policy, policy.rules.at(0), EventKind::Exec, 2000, 41);
  EXPECT_GT(rates.decoded, 0.05);
  EXPECT_LT(rates.decoded, 0.90);
}

TEST(EventGenerator, FieldComparisonsAreOftenEqual) {
  ir::PolicySet policy = parse_policy(R"(
rule uid_changed {
  on exec
  when process.uid != process.euid
}
)");
  EventGenerator generator(policy, {.seed = 23});
  int equal = 0;
  for (int i = 0; i < 2000; ++i) {
    Event event = generator.next(EventKind::Exec);
    if (event.get(field_id("process.uid"))[0] == event.get(field_id("process.euid"))[0]) ++equal;
  }
  EXPECT_GT(equal, 200);
  EXPECT_LT(equal, 1800);
}

TEST(EventGenerator, ShippedPolicyPackMatchesEveryRule) {
  // Every rule of the shipped pack should be matched by some event: the
  // differential test is only as good as the matches it exercises. Events
  // scale with the pack (about 30% are aimed at one of its rules); rules
  // with several argument tests are met least often, a few times in 500.
  FrontEndResult front = run_front_end({std::string(VIGIL_SOURCE_DIR) + "/policies"});
  ASSERT_TRUE(front.policy.has_value());
  EventGenerator generator(*front.policy, {.seed = 29});
  std::vector<int> matches(front.policy->rules.size(), 0);
  const size_t events = 500 * front.policy->rules.size();
  for (size_t i = 0; i < events; ++i) {
    Event event = generator.next();
    for (size_t r = 0; r < front.policy->rules.size(); ++r)
      if (rule_matches(front.policy->rules[r], event)) ++matches[r];
  }
  for (size_t r = 0; r < matches.size(); ++r)
    EXPECT_GE(matches[r], 3) << front.policy->rules[r].name;
}

TEST(EventGenerator, GeneratesTenThousandEventsQuickly) {
  FrontEndResult front = run_front_end({std::string(VIGIL_SOURCE_DIR) + "/policies"});
  ASSERT_TRUE(front.policy.has_value());
  EventGenerator generator(*front.policy, {.seed = 31});
  const auto start = std::chrono::steady_clock::now();
  size_t fields = 0;
  for (int i = 0; i < 10000; ++i) fields += generator.next().get(0).size();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(fields, 10000u);  // process.pid is on every event
  // About 0.3 s optimised and 1.5 s in a debug build; the bound is generous
  // (shared machines) and guards against accidental quadratic behaviour.
  EXPECT_LT(std::chrono::duration<double>(elapsed).count(), 30.0);
}

}  // namespace
}  // namespace vigil::testing
