#include "compiler/ir.h"

#include <algorithm>

namespace vigil::ir {

const Rule* PolicySet::find(std::string_view name) const {
  auto it = std::lower_bound(rules.begin(), rules.end(), name,
                             [](const Rule& rule, std::string_view n) { return rule.name < n; });
  return it != rules.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vigil::ir
