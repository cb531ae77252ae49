// Writing a bundle's MapContents into the maps of a libbpf object, in two
// steps around bpf_object__load:
//  - before: sizes (max_entries grown to hold the data) and the initial
//    values of internal maps (.rodata, .data, .bss: .rodata is frozen at load
//    and the verifier reads its constants, so it cannot be written later);
//  - after: array values and hash/LPM entries, with bpf(2) map updates.
// Every error names the map and the entry.
#pragma once

#include <bpf/libbpf.h>

#include <string>
#include <vector>

#include "compiler/codegen/bundle.h"

namespace vigil::runtime {

// Checks the contents against the maps' types and key/value sizes and
// applies what must precede loading. Maps absent from `contents` are left
// as the object declares them.
bool prepare_map_contents(bpf_object* object, const std::vector<codegen::MapContents>& contents,
                          std::string* error);

// After a successful load: writes the array values and entries.
bool write_map_contents(bpf_object* object, const std::vector<codegen::MapContents>& contents,
                        std::string* error);

}  // namespace vigil::runtime
