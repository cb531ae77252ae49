// The kernel's name for a rule's state: per-rule maps that outlive a policy
// generation (kill limits, threshold and sequence state) are keyed by a hash
// of the rule's name, so a hot reload keeps each rule's state and a renamed
// rule starts afresh. The agent uses the same hash to read them back.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::codegen {

// FNV-1a, 64-bit.
constexpr uint64_t rule_name_hash(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : name) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  return hash;
}

}  // namespace vigil::codegen
