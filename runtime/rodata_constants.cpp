#include "runtime/rodata_constants.h"

#include <bpf/btf.h>

#include <cstring>
#include <vector>

namespace vigil::runtime {

bool set_rodata_constants(bpf_object* object, std::span<const RodataValue> values,
                          std::string* error) {
  const btf* types = bpf_object__btf(object);
  bpf_map* rodata = nullptr;
  bpf_map* map;
  bpf_object__for_each_map(map, object) {
    if (std::string_view(bpf_map__name(map)).ends_with(".rodata")) rodata = map;
  }
  int section = types ? btf__find_by_name_kind(types, ".rodata", BTF_KIND_DATASEC) : -1;
  size_t size = 0;
  const auto* initial =
      rodata ? static_cast<const uint8_t*>(bpf_map__initial_value(rodata, &size)) : nullptr;
  if (section < 0 || initial == nullptr) {
    *error = "the bundle has no .rodata constants (built by another vigil?)";
    return false;
  }
  std::vector<uint8_t> data(initial, initial + size);
  const btf_type* datasec = btf__type_by_id(types, section);
  const btf_var_secinfo* vars = btf_var_secinfos(datasec);
  for (const RodataValue& wanted : values) {
    bool found = false;
    for (unsigned i = 0; i < btf_vlen(datasec) && !found; ++i) {
      const btf_type* var = btf__type_by_id(types, vars[i].type);
      if (wanted.name != btf__name_by_offset(types, var->name_off)) continue;
      found = true;
      const uint32_t width = vars[i].size;
      if ((width != 4 && width != 8) || vars[i].offset + width > size) {
        *error = "the bundle's constant " + std::string(wanted.name) + " has an unexpected size";
        return false;
      }
      if (width == 4) {
        uint32_t narrow = static_cast<uint32_t>(wanted.value);
        std::memcpy(data.data() + vars[i].offset, &narrow, 4);
      } else {
        std::memcpy(data.data() + vars[i].offset, &wanted.value, 8);
      }
    }
    if (!found) {
      *error = "the bundle has no constant " + std::string(wanted.name) +
               " (built by another vigil version?)";
      return false;
    }
  }
  if (bpf_map__set_initial_value(rodata, data.data(), data.size()) != 0) {
    *error = "could not set the bundle's .rodata constants";
    return false;
  }
  return true;
}

}  // namespace vigil::runtime
