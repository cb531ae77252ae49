// Setting a BPF object's `.rodata` constants (`const volatile` globals in the
// templates) before it is loaded: the verifier then sees them as known
// values and prunes whatever they switch off.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vigil::runtime {

struct RodataValue {
  std::string_view name;  // the C variable
  uint64_t value = 0;     // stored in the variable's own width (4 or 8 bytes)
};

// Sets every named constant of an opened, not yet loaded, object. False and
// `error` if one is missing or has an unexpected width; then nothing is set.
bool set_rodata_constants(bpf_object* object, std::span<const RodataValue> values,
                          std::string* error);

}  // namespace vigil::runtime
