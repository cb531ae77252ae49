#include "runtime/alert.h"

#include <array>

namespace vigil::runtime {

std::string_view action_taken_name(ActionTaken action) {
  static constexpr std::array<std::string_view, 5> kNames = {"alert", "killed", "denied",
                                                             "would_kill", "would_deny"};
  const auto index = static_cast<size_t>(action);
  return index < kNames.size() ? kNames[index] : "unknown";
}

}  // namespace vigil::runtime
