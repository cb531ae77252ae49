// Events for differential testing of the eBPF matcher against the reference
// evaluator. Random events almost never match a rule and never hit the edges
// where matchers go wrong, so the generator builds values around the
// policy's own constants: the constants themselves, near misses, truncation
// boundaries, edge cases of each type, and events made to satisfy (or just
// miss) a chosen rule.
//
// The generator does not model the kernel record: strings may be longer than
// a field's capacity and multi-valued fields may hold more than max_values
// values, on purpose. Compare the back ends on the event as the kernel sees
// it: EventLayout::decode(EventLayout::encode(event)).
#pragma once

#include <cstdint>
#include <memory>

#include "compiler/evaluator.h"
#include "compiler/ir.h"

namespace vigil::testing {

struct EventGeneratorOptions {
  uint64_t seed = 1;
  // Chance (percent) that an event is aimed at a rule on its kind: the fields
  // the rule's `when` tests are set so that it holds (or, a quarter of the
  // time, so that exactly one condition misses).
  unsigned target_rule_percent = 30;
  // For an event aimed at a rule's `when`: chance (percent) that one of its
  // excepts is made to hold too; otherwise every except is made false.
  unsigned target_except_percent = 30;
  // Some IPv4 addresses appear as raw IPv4-mapped IPv6 values (is_v4 false,
  // ::ffff:a.b.c.d), as an IPv6 socket reports them. The evaluator treats
  // such a value as IPv6; EventLayout::decode normalises it to IPv4 as
  // IpAddress::parse does. Turn off when comparing on undecoded events.
  bool raw_mapped_addresses = true;
};

class EventGenerator {
 public:
  // Copies what it needs from `policy`; the policy need not outlive it.
  explicit EventGenerator(const ir::PolicySet& policy, EventGeneratorOptions options = {});
  ~EventGenerator();
  EventGenerator(EventGenerator&&) noexcept;
  EventGenerator& operator=(EventGenerator&&) noexcept;

  // An event of `kind` with every field the kind carries set, kernel and
  // user-space fields alike, and a random time_ns.
  Event next(EventKind kind);
  // An event of a kind some rule is on (four times in five), else of any kind.
  Event next();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::testing
