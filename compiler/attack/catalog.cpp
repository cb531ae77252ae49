#include "compiler/attack/catalog.h"

#include <algorithm>

#include "compiler/attack/catalog_data.h"

namespace vigil::attack {
namespace {

bool digits(std::string_view text, size_t count) {
  return text.size() == count &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view attack_version() {
  return kCatalogAttackVersion;
}

std::span<const AttackTactic> tactics() {
  return kCatalogTactics;
}

std::span<const AttackTechnique> techniques() {
  return kCatalogTechniques;
}

bool is_technique_id(std::string_view tag) {
  if (tag.size() < 5 || tag[0] != 'T') return false;
  std::string_view rest = tag.substr(1);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return digits(rest, 4);
  return digits(rest.substr(0, dot), 4) && digits(rest.substr(dot + 1), 3);
}

const AttackTechnique* find_technique(std::string_view id) {
  std::span<const AttackTechnique> all = techniques();
  auto found =
      std::lower_bound(all.begin(), all.end(), id,
                       [](const AttackTechnique& t, std::string_view key) { return t.id < key; });
  return found != all.end() && found->id == id ? &*found : nullptr;
}

const AttackTactic* find_tactic(std::string_view shortname) {
  for (const AttackTactic& tactic : tactics())
    if (tactic.shortname == shortname) return &tactic;
  return nullptr;
}

const AttackTechnique* parent_technique(const AttackTechnique& technique) {
  const size_t dot = technique.id.find('.');
  if (dot == std::string_view::npos) return nullptr;
  return find_technique(technique.id.substr(0, dot));
}

std::optional<size_t> tactic_order(std::string_view shortname) {
  std::span<const AttackTactic> all = tactics();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].shortname == shortname) return i;
  return std::nullopt;
}

}  // namespace vigil::attack
