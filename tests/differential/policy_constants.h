// The constants a policy compares each field with, gathered from every
// rule's `when` and `except` predicates. The event generator builds its
// values around them: bugs in a matcher hide at the values a rule tests.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "compiler/ir.h"
#include "compiler/schema.h"
#include "compiler/value.h"

namespace vigil::testing {

struct FieldConstants {
  // Operands of Eq, InSet, StartsWith, EndsWith and Contains.
  std::vector<std::string> strings;
  std::vector<std::string> globs;    // Glob patterns
  std::vector<std::string> regexes;  // Matches patterns
  std::vector<int64_t> numbers;      // int and port operands
  std::vector<Duration> durations;
  std::vector<IpAddress> addresses;  // Eq / InSet operands, and single addresses in InNetworks
  std::vector<IpNetwork> networks;

  bool empty() const;
};

struct PolicyConstants {
  std::vector<FieldConstants> by_field;  // indexed by FieldId
  std::vector<FieldConstants> by_type;   // indexed by Type: the union over the type's fields
  // Pairs of fields some rule compares with each other (FieldCompare), left first.
  std::vector<std::pair<FieldId, FieldId>> compared_fields;
};

// Every rule counts, enabled or not: a disabled rule's constants are still
// interesting values. Each list is deduplicated, in an order fixed by the policy.
PolicyConstants collect_policy_constants(const ir::PolicySet& policy);

}  // namespace vigil::testing
