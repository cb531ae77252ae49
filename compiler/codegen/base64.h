// Standard base64 (RFC 4648, alphabet A-Z a-z 0-9 + /, '=' padding) for the
// binary data the bundle manifest carries as JSON strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::codegen {

std::string base64_encode(std::span<const uint8_t> bytes);

// Strict: padded to a multiple of 4, no whitespace, no bits left over in the
// last group. nullopt for anything else.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace vigil::codegen
