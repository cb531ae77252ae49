// AgentStatus as JSON: what the status socket answers to "status" and what
// `vigil status --json` prints; `vigil status` parses it back for its table.
// Keys are the struct's field names; times are Unix nanoseconds; a reload
// that has not happened is null.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "runtime/agent_status.h"

namespace vigil::runtime {

nlohmann::json agent_status_to_json(const AgentStatus& status);

// nullopt and `error` (naming the key) if `json` is not an AgentStatus: not
// an object, or a key of the wrong type. Missing keys keep their defaults,
// so a client reads an agent of another version.
std::optional<AgentStatus> agent_status_from_json(const nlohmann::json& json, std::string* error);

}  // namespace vigil::runtime
