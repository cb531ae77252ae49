// A structural check of a BPF ELF object before libbpf parses it: the header,
// and every section's bytes inside the file. It turns the common damage
// (truncation, a wrong file) into a precise message; libbpf still validates
// the contents.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace vigil::runtime {

// False and `error`, e.g. "truncated: section 7 (.BTF) ends at byte 9120,
// past the end of the file (8000 bytes)".
bool check_bpf_elf(std::span<const uint8_t> object, std::string* error);

}  // namespace vigil::runtime
