// The Linux part of MITRE ATT&CK Enterprise: tactics, techniques and
// sub-techniques, embedded (catalog_data.h, generated from ATT&CK's STIX data
// by scripts/attack/generate-catalog). `vigil coverage` maps rule tags onto it.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>

namespace vigil::attack {

struct AttackTactic {
  std::string_view id;         // "TA0004"
  std::string_view shortname;  // "privilege-escalation", as in STIX kill-chain phases
  std::string_view name;       // "Privilege Escalation"
};

struct AttackTechnique {
  std::string_view id;    // "T1548" or, for a sub-technique, "T1548.001"
  std::string_view name;  // "Setuid and Setgid" (a sub-technique's own name)
  // Shortnames of the tactics it belongs to, in kill-chain order; unused
  // slots are empty.
  std::array<std::string_view, 4> tactics;

  bool is_subtechnique() const { return id.find('.') != std::string_view::npos; }
};

// The ATT&CK release the catalog was generated from, e.g. "18.1".
std::string_view attack_version();

// Tactics in kill-chain order; techniques sorted by id.
std::span<const AttackTactic> tactics();
std::span<const AttackTechnique> techniques();

// Whether `tag` is shaped like a technique id: T#### or T####.### (it may
// still be missing from the catalog).
bool is_technique_id(std::string_view tag);

// Lookups; null when the catalog has no such (Linux) entry.
const AttackTechnique* find_technique(std::string_view id);
const AttackTactic* find_tactic(std::string_view shortname);

// The technique a sub-technique belongs to; null for a technique.
const AttackTechnique* parent_technique(const AttackTechnique& technique);

// Position of a tactic in the kill chain (index into tactics()).
std::optional<size_t> tactic_order(std::string_view shortname);

}  // namespace vigil::attack
