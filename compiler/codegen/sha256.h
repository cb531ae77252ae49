// SHA-256 (FIPS 180-4), so a bundle manifest can name the exact object it
// describes in the form `sha256sum` prints.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil::codegen {

// Lower-case hex digest, 64 characters.
std::string sha256_hex(std::span<const uint8_t> bytes);

}  // namespace vigil::codegen
