#include "tests/differential/event_generator.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "tests/differential/policy_constants.h"
#include "tests/differential/random_source.h"
#include "tests/differential/value_variants.h"

namespace vigil::testing {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxPort = 65535;
// User-space strings have no record capacity; their lengths are drawn as if
// they had this one.
constexpr size_t kNominalCapacity = 64;
// Attempts at finding a value that meets every constraint on a field.
constexpr int kAttempts = 24;

// Integers where signedness, width and overflow bugs show.
constexpr std::array<int64_t, 19> kEdgeInts = {0,
                                               -1,
                                               1,
                                               kMin,
                                               kMax,
                                               kMin + 1,
                                               kMax - 1,
                                               std::numeric_limits<int32_t>::min(),
                                               std::numeric_limits<int32_t>::max(),
                                               int64_t{std::numeric_limits<uint32_t>::max()},
                                               int64_t{1} << 32,
                                               (int64_t{1} << 32) + 1,
                                               int64_t{1} << 31,
                                               -(int64_t{1} << 31) - 1,
                                               int64_t{1} << 62,
                                               255,
                                               256,
                                               65535,
                                               65536};
constexpr std::array<int64_t, 7> kEdgePorts = {0, 1, 1023, 1024, 65534, 65535, 32768};

// Wrapping arithmetic: INT64_MAX + 1 is INT64_MIN, an edge worth generating.
int64_t wrapping_add(int64_t value, int64_t delta) {
  return static_cast<int64_t>(static_cast<uint64_t>(value) + static_cast<uint64_t>(delta));
}

int64_t clamp_port(int64_t value) {
  return std::clamp<int64_t>(value, 0, kMaxPort);
}

bool carries(EventKind kind, const FieldInfo& field) {
  return (field.events & event_bit(kind)) != 0;
}

size_t string_capacity(const FieldInfo& field) {
  return field.source == FieldSource::Kernel ? field.capacity.string_bytes : kNominalCapacity;
}

bool is_raw_mapped(const IpAddress& address) {
  if (address.is_v4) return false;
  for (size_t i = 0; i < 10; ++i)
    if (address.bytes[i] != 0) return false;
  return address.bytes[10] == 0xff && address.bytes[11] == 0xff;
}

// A value as the kernel record holds it (EventLayout::encode, then decode).
Value kernel_view(const FieldInfo& field, Value value) {
  if (field.source != FieldSource::Kernel) return value;
  if (auto* text = std::get_if<std::string>(&value)) {
    size_t keep = std::min<size_t>(text->find('\0'), string_capacity(field) - 1);
    if (text->size() > keep) text->resize(keep);
  } else if (auto* address = std::get_if<IpAddress>(&value)) {
    if (is_raw_mapped(*address)) {
      IpAddress v4 = ipv4_address(0);
      std::copy_n(address->bytes.begin() + 12, 4, v4.bytes.begin());
      return v4;
    }
  }
  return value;
}

// One condition the aimed-at event should meet: `leaf` (a Test or a
// FieldCompare) should evaluate to `want`.
struct Constraint {
  const ir::Predicate* leaf;
  bool want;
};

}  // namespace

class EventGenerator::Impl {
 public:
  Impl(const ir::PolicySet& policy, EventGeneratorOptions options)
      : options_(options),
        random_(options.seed),
        constants_(collect_policy_constants(policy)),
        rules_(policy.rules) {
    EventMask kinds = 0;
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i].enabled) continue;
      for (size_t k = 0; k < kEventKindCount; ++k)
        if (rules_[i].events & event_bit(static_cast<EventKind>(k))) rules_by_kind_[k].push_back(i);
      kinds |= rules_[i].events;
    }
    for (size_t k = 0; k < kEventKindCount; ++k)
      if (kinds & event_bit(static_cast<EventKind>(k)))
        rule_kinds_.push_back(static_cast<EventKind>(k));
  }

  Event next(EventKind kind) {
    Event event(kind);
    event.time_ns = random_.bits();
    for (const FieldInfo& field : all_fields()) {
      if (!carries(kind, field)) continue;
      if (field.multi_valued)
        event.set_values(field.id, any_values(field));
      else
        event.set(field.id, any_value(field));
    }
    relate_compared_fields(event);
    const auto& candidates = rules_by_kind_[static_cast<size_t>(kind)];
    if (!candidates.empty() && random_.percent(options_.target_rule_percent))
      aim_at(event, rules_[random_.pick(candidates)]);
    return event;
  }

  Event next() {
    if (!rule_kinds_.empty() && random_.percent(80)) return next(random_.pick(rule_kinds_));
    return next(static_cast<EventKind>(random_.below(kEventKindCount)));
  }

 private:
  const FieldConstants& own(const FieldInfo& field) const { return constants_.by_field[field.id]; }
  const FieldConstants& shared(Type type) const {
    return constants_.by_type[static_cast<size_t>(type)];
  }

  // ---- Untargeted values -------------------------------------------------------------

  // The constants a value is drawn around: the field's own, and those of
  // every field of its type. Both empty for values unrelated to the policy.
  struct Pools {
    const FieldConstants& own;
    const FieldConstants& shared;
  };

  Value any_value(const FieldInfo& field, bool with_constants = true) {
    const Pools pools =
        with_constants ? Pools{own(field), shared(field.type)} : Pools{none_, none_};
    switch (field.type) {
      case Type::Bool: return random_.percent(50);
      case Type::Int: return any_int(pools.own.numbers, pools.shared.numbers);
      case Type::Port: return any_port(pools);
      case Type::String: return any_string(field, pools);
      case Type::Ip: return any_address(pools);
      case Type::Duration: return any_duration(pools);
      case Type::Cidr: break;  // no field has this type
    }
    return int64_t{0};
  }

  std::vector<Value> any_values(const FieldInfo& field) {
    const size_t max = field.capacity.max_values;
    size_t count = 0;
    switch (random_.weighted({2, 3, 4, 1, 2, 1, 1})) {
      case 0: count = 0; break;
      case 1: count = 1; break;
      case 2: count = 2 + random_.below(3); break;
      case 3: count = max > 0 ? max - 1 : 0; break;
      case 4: count = max; break;
      case 5: count = max + 1; break;
      default: count = max + 2; break;
    }
    // Drawn around the constants as often as single values are, a list of
    // many values would nearly always hold a match: half the lists hold only
    // unrelated values, the others a few related ones.
    const unsigned related_percent = random_.percent(50) ? 0 : 25;
    std::vector<Value> values;
    values.reserve(count + 1);
    for (size_t i = 0; i < count; ++i)
      values.push_back(any_value(field, random_.percent(related_percent)));
    return values;
  }

  int64_t near(int64_t value) { return wrapping_add(value, random_.percent(50) ? 1 : -1); }

  int64_t any_int(const std::vector<int64_t>& own, const std::vector<int64_t>& shared) {
    switch (random_.weighted(
        {own.empty() ? 0u : 20u, own.empty() ? 0u : 12u, shared.empty() ? 0u : 6u, 14, 14, 4, 6})) {
      case 0: return random_.pick(own);
      case 1: return near(random_.pick(own));
      case 2: return random_.percent(50) ? random_.pick(shared) : near(random_.pick(shared));
      case 3: return kEdgeInts[random_.below(kEdgeInts.size())];
      case 4: return random_.between(0, 2000);
      case 5: return static_cast<int64_t>(random_.bits());
      default: {
        // High bits set: values that differ from small ones only above bit 31.
        uint64_t low = random_.bits() & 0xffffffffu;
        return static_cast<int64_t>(low | (uint64_t{1} << (32 + random_.below(32))));
      }
    }
  }

  int64_t any_port(const Pools& pools) {
    const auto& own_ports = pools.own.numbers;
    const auto& shared_ports = pools.shared.numbers;
    switch (random_.weighted({own_ports.empty() ? 0u : 25u, own_ports.empty() ? 0u : 15u,
                              shared_ports.empty() ? 0u : 6u, 15, 8, 12})) {
      case 0: return random_.pick(own_ports);
      case 1: return clamp_port(near(random_.pick(own_ports)));
      case 2: return clamp_port(random_.pick(shared_ports));
      case 3: return kEdgePorts[random_.below(kEdgePorts.size())];
      case 4: return random_.between(0, 1023);
      default: return random_.between(0, kMaxPort);
    }
  }

  Duration any_duration(const Pools& pools) {
    std::vector<int64_t> own_counts, shared_counts;
    for (Duration d : pools.own.durations) own_counts.push_back(d.count());
    for (Duration d : pools.shared.durations) shared_counts.push_back(d.count());
    return Duration(any_int(own_counts, shared_counts));
  }

  std::string any_string(const FieldInfo& field, const Pools& pools) {
    const FieldConstants& mine = pools.own;
    const FieldConstants& others = pools.shared;
    const size_t capacity = string_capacity(field);
    const bool strings = !mine.strings.empty();
    const bool globs = !mine.globs.empty();
    const bool regexes = !mine.regexes.empty();
    auto some_constant = [&]() -> const std::string& {
      return strings && (others.strings.empty() || random_.percent(80))
                 ? random_.pick(mine.strings)
                 : random_.pick(others.strings);
    };
    switch (random_.weighted({strings ? 18u : 0u, strings ? 14u : 0u, strings ? 10u : 0u,
                              strings || !others.strings.empty() ? 8u : 0u,
                              others.strings.empty() ? 0u : 6u, globs ? 12u : 0u, globs ? 6u : 0u,
                              regexes ? 5u : 0u, globs || regexes ? 1u : 0u, 4, 5, 5, 12})) {
      case 0: return random_.pick(mine.strings);
      case 1: return near_miss(random_, random_.pick(mine.strings));
      case 2: return around(random_, random_.pick(mine.strings));
      case 3: return at_capacity_boundary(random_, some_constant(), capacity);
      case 4: {
        const std::string& other = random_.pick(others.strings);
        switch (random_.below(3)) {
          case 0: return other;
          case 1: return near_miss(random_, other);
          default: return around(random_, other);
        }
      }
      case 5: return glob_instance(random_, random_.pick(mine.globs));
      case 6: return glob_near_miss(random_, random_.pick(mine.globs));
      case 7: return regex_sample(random_, random_.pick(mine.regexes));
      case 8: {
        // The pattern's own text as a value: metacharacters must be data here.
        std::vector<std::string> patterns = mine.globs;
        patterns.insert(patterns.end(), mine.regexes.begin(), mine.regexes.end());
        return random_.pick(patterns);
      }
      case 9: return std::string();
      case 10: return at_capacity_boundary(random_, std::string(), capacity);
      case 11: return random_text(random_, 1 + random_.below(40), TextStyle::Hostile);
      default: {
        std::string text = random_text(random_, 1 + random_.below(24),
                                       random_.percent(50) ? TextStyle::Path : TextStyle::Word);
        return random_.percent(50) ? "/" + text : text;
      }
    }
  }

  IpAddress maybe_raw_mapped(const IpAddress& address, unsigned percent) {
    if (address.is_v4 && options_.raw_mapped_addresses && random_.percent(percent))
      return raw_mapped_form(address);
    return address;
  }

  IpAddress around_network(const IpNetwork& network) {
    switch (random_.below(5)) {
      case 0: return network_first(network);
      case 1: return network_last(network);
      case 2: return step_address(network_first(network), -1);
      case 3: return step_address(network_last(network), +1);
      default: return random_in_network(random_, network);
    }
  }

  IpAddress any_address(const Pools& pools) {
    const FieldConstants& mine = pools.own;
    const FieldConstants& others = pools.shared;
    const bool addresses = !mine.addresses.empty();
    const bool networks = !mine.networks.empty();
    const bool shared_any = !others.addresses.empty() || !others.networks.empty();
    IpAddress out;
    switch (random_.weighted({addresses ? 14u : 0u, addresses ? 6u : 0u, networks ? 14u : 0u,
                              networks ? 10u : 0u, networks ? 8u : 0u, shared_any ? 6u : 0u,
                              addresses || networks ? 6u : 0u, 8, 4, 12})) {
      case 0: out = random_.pick(mine.addresses); break;
      case 1: out = step_address(random_.pick(mine.addresses), random_.percent(50) ? 1 : -1); break;
      case 2: {
        const IpNetwork& network = random_.pick(mine.networks);
        out = random_.percent(50) ? network_first(network) : network_last(network);
        break;
      }
      case 3: {
        const IpNetwork& network = random_.pick(mine.networks);
        out = random_.percent(50) ? step_address(network_first(network), -1)
                                  : step_address(network_last(network), +1);
        break;
      }
      case 4: out = random_in_network(random_, random_.pick(mine.networks)); break;
      case 5:
        out = !others.networks.empty() && (others.addresses.empty() || random_.percent(50))
                  ? around_network(random_.pick(others.networks))
                  : random_.pick(others.addresses);
        break;
      case 6: {
        // Same bytes, other family (or the IPv4-compatible form): must not match.
        IpAddress base = addresses && (!networks || random_.percent(50))
                             ? random_.pick(mine.addresses)
                             : random_.pick(mine.networks).address;
        out = base.is_v4 && random_.percent(50) ? compatible_form(base) : other_family(base);
        break;
      }
      case 7: {
        static const std::array<IpAddress, 7> kSpecial = {
            *IpAddress::parse("0.0.0.0"),
            *IpAddress::parse("::"),
            *IpAddress::parse("255.255.255.255"),
            *IpAddress::parse("127.0.0.1"),
            *IpAddress::parse("::1"),
            *IpAddress::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            *IpAddress::parse("fe80::1")};
        out = kSpecial[random_.below(kSpecial.size())];
        break;
      }
      case 8: out = ipv4_address(static_cast<uint32_t>(random_.bits())); break;
      default: out = random_address(random_); break;
    }
    return maybe_raw_mapped(out, 20);
  }

  // ---- Fields compared with each other -------------------------------------------------

  // Rules compare fields with fields: make the pair equal, or one apart, often.
  void relate_compared_fields(Event& event) {
    for (const auto& [left, right] : constants_.compared_fields) {
      const FieldInfo& a = field_info(left);
      const FieldInfo& b = field_info(right);
      if (!carries(event.kind(), a) || !carries(event.kind(), b) || a.type != b.type) continue;
      if (a.multi_valued || b.multi_valued) continue;
      const bool into_right = random_.percent(50);
      const FieldId from = into_right ? left : right;
      const FieldId to = into_right ? right : left;
      switch (random_.weighted({35, 15, 50})) {
        case 0: event.set(to, event.get(from)[0]); break;
        case 1:
          event.set(to, offset(field_info(to), event.get(from)[0], random_.percent(50) ? 1 : -1));
          break;
        default: break;
      }
    }
  }

  // `value` moved by `delta` in its order (or changed, for unordered types).
  Value offset(const FieldInfo& field, const Value& value, int delta) {
    if (auto* number = std::get_if<int64_t>(&value)) {
      int64_t moved = wrapping_add(*number, delta);
      return field.type == Type::Port ? clamp_port(moved) : moved;
    }
    if (auto* duration = std::get_if<Duration>(&value))
      return Duration(wrapping_add(duration->count(), delta));
    if (auto* text = std::get_if<std::string>(&value)) return near_miss(random_, *text);
    if (auto* address = std::get_if<IpAddress>(&value)) return step_address(*address, delta);
    if (auto* flag = std::get_if<bool>(&value)) return !*flag;
    return value;
  }

  // ---- Aiming at a rule --------------------------------------------------------------

  void aim_at(Event& event, const ir::Rule& rule) {
    std::vector<Constraint> constraints;
    const bool hold = random_.percent(75);
    collect(rule.when, hold, constraints, 0);
    if (hold && !rule.excepts.empty()) {
      if (random_.percent(options_.target_except_percent)) {
        collect(random_.pick(rule.excepts), true, constraints, 0);
      } else {
        for (const ir::Predicate& except : rule.excepts) collect(except, false, constraints, 0);
      }
    }
    apply(event, constraints);
  }

  // The leaves to set so that `predicate` evaluates to `want`, choosing one
  // branch where one suffices. When an `and` should be false, the other
  // children are usually made true, so the event misses by one condition.
  void collect(const ir::Predicate& predicate, bool want, std::vector<Constraint>& out, int depth) {
    using Kind = ir::Predicate::Kind;
    if (depth > 200) return;  // far deeper than any analysed policy; keeps the stack bounded
    switch (predicate.kind) {
      case Kind::True:
      case Kind::False: return;
      case Kind::Not:
        if (!predicate.children.empty()) collect(predicate.children[0], !want, out, depth + 1);
        return;
      case Kind::And:
      case Kind::Or: {
        const auto& children = predicate.children;
        if (children.empty()) return;
        if ((predicate.kind == Kind::And) == want) {
          for (const ir::Predicate& child : children) collect(child, want, out, depth + 1);
          return;
        }
        const size_t chosen = random_.below(children.size());
        collect(children[chosen], want, out, depth + 1);
        if (predicate.kind == Kind::And && random_.percent(70)) {
          for (size_t i = 0; i < children.size(); ++i)
            if (i != chosen) collect(children[i], true, out, depth + 1);
        }
        return;
      }
      case Kind::Test:
      case Kind::FieldCompare: out.push_back({&predicate, want}); return;
    }
  }

  void apply(Event& event, const std::vector<Constraint>& constraints) {
    std::vector<FieldId> fields;
    for (const Constraint& c : constraints)
      if (c.leaf->kind == ir::Predicate::Kind::Test &&
          std::find(fields.begin(), fields.end(), c.leaf->field) == fields.end())
        fields.push_back(c.leaf->field);
    for (FieldId id : fields) {
      if (id >= all_fields().size() || !carries(event.kind(), field_info(id))) continue;
      std::vector<Constraint> on_field;
      for (const Constraint& c : constraints)
        if (c.leaf->kind == ir::Predicate::Kind::Test && c.leaf->field == id) on_field.push_back(c);
      const FieldInfo& field = field_info(id);
      if (field.multi_valued)
        constrain_values(event, field, on_field);
      else
        constrain_value(event, field, on_field);
    }
    for (const Constraint& c : constraints)
      if (c.leaf->kind == ir::Predicate::Kind::FieldCompare) constrain_pair(event, c, fields);
  }

  Event& scratch(EventKind kind) {
    auto& slot = scratch_[static_cast<size_t>(kind)];
    if (!slot) slot.emplace(kind);
    return *slot;
  }

  // Whether a test holds for a field holding just `value`, as the kernel sees it.
  bool holds(const ir::Predicate& test, EventKind kind, const FieldInfo& field,
             const Value& value) {
    Event& probe = scratch(kind);
    Value seen = kernel_view(field, value);
    if (field.multi_valued)
      probe.set_values(field.id, {std::move(seen)});
    else
      probe.set(field.id, std::move(seen));
    return evaluate(test, probe);
  }

  size_t met(const std::vector<Constraint>& constraints, EventKind kind, const FieldInfo& field,
             const Value& value) {
    size_t count = 0;
    for (const Constraint& c : constraints)
      if (holds(*c.leaf, kind, field, value) == c.want) ++count;
    return count;
  }

  void constrain_value(Event& event, const FieldInfo& field,
                       const std::vector<Constraint>& constraints) {
    std::vector<const ir::Predicate*> positive;
    for (const Constraint& c : constraints)
      if (c.want) positive.push_back(c.leaf);
    Value best = event.get(field.id)[0];
    size_t best_met = met(constraints, event.kind(), field, best);
    for (int attempt = 0; attempt < kAttempts && best_met < constraints.size(); ++attempt) {
      // Build on the current value: startswith then endswith composes into a
      // value meeting both.
      Value candidate = positive.empty() || attempt % 3 == 2 ? any_value(field) : best;
      const size_t rotation = random_.below(positive.size() + 1);
      for (size_t i = 0; i < positive.size(); ++i) {
        const ir::Predicate& test = *positive[(i + rotation) % positive.size()];
        if (holds(test, event.kind(), field, candidate)) continue;
        if (auto value = satisfying_value(test, field, &candidate)) candidate = std::move(*value);
      }
      const size_t candidate_met = met(constraints, event.kind(), field, candidate);
      if (candidate_met > best_met) {
        best = std::move(candidate);
        best_met = candidate_met;
      }
    }
    event.set(field.id, std::move(best));
  }

  void constrain_values(Event& event, const FieldInfo& field,
                        const std::vector<Constraint>& constraints) {
    const EventKind kind = event.kind();
    const size_t max = field.capacity.max_values;
    std::span<const Value> current = event.get(field.id);
    std::vector<Value> values(current.begin(), current.end());
    std::vector<char> placed(values.size(), 0);  // values put there to meet a constraint
    auto violates_negative = [&](const Value& value) {
      for (const Constraint& c : constraints)
        if (!c.want && holds(*c.leaf, kind, field, value)) return true;
      return false;
    };
    for (const Constraint& c : constraints) {
      if (!c.want) continue;
      std::optional<Value> found;
      for (int attempt = 0; attempt < kAttempts && !found; ++attempt) {
        const Value* base = values.empty() ? nullptr : &values[random_.below(values.size())];
        auto value = satisfying_value(*c.leaf, field, base);
        if (value && holds(*c.leaf, kind, field, *value) && !violates_negative(*value))
          found = std::move(value);
      }
      if (!found) continue;
      size_t at = 0;
      switch (random_.weighted({60, 20, 20})) {
        case 0: at = random_.below(std::min(values.size(), max > 0 ? max - 1 : 0) + 1); break;
        case 1: at = values.size(); break;  // last, which may be past what the kernel keeps
        default:
          // Past max_values: the kernel drops it, and so does the decoded event.
          while (values.size() < max) {
            values.push_back(any_value(field));
            placed.push_back(0);
          }
          at = max + random_.below(values.size() - max + 1);
          break;
      }
      values.insert(values.begin() + static_cast<ptrdiff_t>(at), std::move(*found));
      placed.insert(placed.begin() + static_cast<ptrdiff_t>(at), 1);
    }
    for (size_t i = 0; i < values.size();) {
      if (placed[i] || !violates_negative(values[i])) {
        ++i;
        continue;
      }
      bool replaced = false;
      for (int attempt = 0; attempt < 6 && !replaced; ++attempt) {
        Value value = any_value(field);
        if (!violates_negative(value)) {
          values[i] = std::move(value);
          replaced = true;
        }
      }
      if (replaced) {
        ++i;
      } else {
        values.erase(values.begin() + static_cast<ptrdiff_t>(i));
        placed.erase(placed.begin() + static_cast<ptrdiff_t>(i));
      }
    }
    event.set_values(field.id, std::move(values));
  }

  // A value of `field` for which `test` holds, built on `base` where the
  // operator allows (a prefix in front of it, a suffix after it).
  std::optional<Value> satisfying_value(const ir::Predicate& test, const FieldInfo& field,
                                        const Value* base) {
    using enum ir::TestOp;
    if (test.operands.empty()) return std::nullopt;
    const Value& operand = random_.pick(test.operands);
    const std::string* base_text = base ? std::get_if<std::string>(base) : nullptr;
    switch (test.op) {
      case Eq:
      case InSet:
        if (auto* address = std::get_if<IpAddress>(&operand)) return maybe_raw_mapped(*address, 20);
        return operand;
      case Lt:
      case Le:
      case Gt:
      case Ge: return ordered_satisfying(test.op, field, operand);
      case InNetworks: {
        if (auto* address = std::get_if<IpAddress>(&operand)) return maybe_raw_mapped(*address, 20);
        auto* network = std::get_if<IpNetwork>(&operand);
        if (!network) return std::nullopt;
        IpAddress inside;
        switch (random_.below(3)) {
          case 0: inside = network_first(*network); break;
          case 1: inside = network_last(*network); break;
          default: inside = random_in_network(random_, *network); break;
        }
        return maybe_raw_mapped(inside, 15);
      }
      case StartsWith:
      case EndsWith:
      case Contains: {
        auto* part = std::get_if<std::string>(&operand);
        if (!part) return std::nullopt;
        return affixed(test.op, field, *part, base_text);
      }
      case Glob: {
        auto* pattern = std::get_if<std::string>(&operand);
        if (!pattern) return std::nullopt;
        return glob_instance(random_, *pattern);
      }
      case Matches: {
        auto* pattern = std::get_if<std::string>(&operand);
        if (!pattern) return std::nullopt;
        std::string sample = regex_sample(random_, *pattern);
        if (random_.percent(50)) return sample;
        return random_snippet(random_) + sample + random_snippet(random_);
      }
    }
    return std::nullopt;
  }

  std::optional<Value> ordered_satisfying(ir::TestOp op, const FieldInfo& field,
                                          const Value& operand) {
    using enum ir::TestOp;
    int64_t bound = 0;
    if (auto* number = std::get_if<int64_t>(&operand))
      bound = *number;
    else if (auto* duration = std::get_if<Duration>(&operand))
      bound = duration->count();
    else
      return std::nullopt;
    const bool below = op == Lt || op == Le;
    const bool inclusive = op == Le || op == Ge;
    if (!inclusive && bound == (below ? kMin : kMax)) return std::nullopt;
    int64_t value = bound;
    switch (random_.weighted({inclusive ? 40u : 0u, 30, 20, 10})) {
      case 0: break;  // the bound itself
      case 1: value = wrapping_add(bound, below ? -1 : 1); break;
      case 2: {
        // A little further, without passing the type's end.
        const uint64_t room = below ? static_cast<uint64_t>(bound) - static_cast<uint64_t>(kMin)
                                    : static_cast<uint64_t>(kMax) - static_cast<uint64_t>(bound);
        if (room == 0) break;
        const int64_t step =
            1 + random_.between(0, static_cast<int64_t>(std::min<uint64_t>(room - 1, 1000)));
        value = wrapping_add(bound, below ? -step : step);
        break;
      }
      default: value = below ? kMin : kMax; break;
    }
    if (field.type == Type::Port) value = clamp_port(value);
    if (field.type == Type::Duration) return Duration(value);
    return value;
  }

  std::string affixed(ir::TestOp op, const FieldInfo& field, const std::string& part,
                      const std::string* base) {
    using enum ir::TestOp;
    const size_t capacity = string_capacity(field);
    // Text to go around `part`: the base value (so earlier constraints keep
    // holding), padding up to the capacity boundary, nothing, or a snippet.
    auto filler = [&](size_t room_for_part) -> std::string {
      switch (random_.weighted({base ? 45u : 0u, 15, 20, 20})) {
        case 0: return *base;
        case 1: {
          const size_t target = capacity - 1 + (random_.percent(70) ? 0 : 1);
          const size_t length = target > room_for_part ? target - room_for_part : 0;
          return random_text(random_, length, TextStyle::Path);
        }
        case 2: return std::string();
        default: return random_snippet(random_);
      }
    };
    switch (op) {
      case StartsWith: return part + filler(part.size());
      case EndsWith: return filler(part.size()) + part;
      default: {
        std::string around_text = filler(part.size());
        size_t at = random_.below(around_text.size() + 1);
        return around_text.substr(0, at) + part + around_text.substr(at);
      }
    }
  }

  void constrain_pair(Event& event, const Constraint& constraint,
                      const std::vector<FieldId>& tested) {
    const ir::Predicate& leaf = *constraint.leaf;
    if (leaf.field >= all_fields().size() || leaf.other_field >= all_fields().size()) return;
    const FieldInfo& left = field_info(leaf.field);
    const FieldInfo& right = field_info(leaf.other_field);
    if (!carries(event.kind(), left) || !carries(event.kind(), right)) return;
    if (left.multi_valued || right.multi_valued || left.type != right.type) return;
    if (evaluate(leaf, event) == constraint.want) return;
    // Change the side no test constrains, so those tests keep holding.
    const bool right_tested = std::find(tested.begin(), tested.end(), right.id) != tested.end();
    const bool change_right = !right_tested || random_.percent(20);
    const FieldInfo& changed = change_right ? right : left;
    const Value other = event.get(change_right ? left.id : right.id)[0];
    // The relation the changed side must have to the other: <0 below, 0 equal, >0 above.
    using enum ir::TestOp;
    int direction = 0;  // Eq wanted, or the inclusive orders
    bool differ = false;
    const bool want = constraint.want;
    switch (leaf.op) {
      case Eq: differ = !want; break;
      case Lt: direction = want ? -1 : 0; break;  // left < right; false: left >= right
      case Le: direction = want ? 0 : 1; break;
      case Gt: direction = want ? 1 : 0; break;
      case Ge: direction = want ? 0 : -1; break;
      default: return;
    }
    // Written from the left's point of view; flip when changing the right.
    if (change_right) direction = -direction;
    Value value = differ           ? offset(changed, other, 1)
                  : direction == 0 ? other
                                   : offset(changed, other, direction);
    event.set(changed.id, std::move(value));
  }

  EventGeneratorOptions options_;
  RandomSource random_;
  PolicyConstants constants_;
  const FieldConstants none_;
  std::vector<ir::Rule> rules_;
  std::array<std::vector<size_t>, kEventKindCount> rules_by_kind_;  // enabled rules by kind
  std::vector<EventKind> rule_kinds_;
  std::array<std::optional<Event>, kEventKindCount> scratch_;  // for checking candidate values
};

EventGenerator::EventGenerator(const ir::PolicySet& policy, EventGeneratorOptions options)
    : impl_(std::make_unique<Impl>(policy, options)) {}
EventGenerator::~EventGenerator() = default;
EventGenerator::EventGenerator(EventGenerator&&) noexcept = default;
EventGenerator& EventGenerator::operator=(EventGenerator&&) noexcept = default;

Event EventGenerator::next(EventKind kind) {
  return impl_->next(kind);
}

Event EventGenerator::next() {
  return impl_->next();
}

}  // namespace vigil::testing
