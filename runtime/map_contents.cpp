#include "runtime/map_contents.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace vigil::runtime {
namespace {

using codegen::MapContents;

// Entries per bpf(BPF_MAP_UPDATE_BATCH) call: bounds the staging buffers.
constexpr size_t kBatchEntries = 4096;

enum class Shape { Internal, Array, Hash };

struct Target {
  bpf_map* map = nullptr;
  Shape shape = Shape::Hash;
  bool per_cpu = false;
};

std::string map_label(const MapContents& contents) {
  return "map " + contents.map_name;
}

std::string type_name(bpf_map* map) {
  const char* name = libbpf_bpf_map_type_str(bpf_map__type(map));
  return name ? name : "type " + std::to_string(static_cast<int>(bpf_map__type(map)));
}

bool resolve(bpf_object* object, const MapContents& contents, Target* target, std::string* error) {
  target->map = bpf_object__find_map_by_name(object, contents.map_name.c_str());
  if (target->map == nullptr) {
    *error = map_label(contents) + ": the BPF object has no map of that name";
    return false;
  }
  switch (bpf_map__type(target->map)) {
    case BPF_MAP_TYPE_ARRAY:
      target->shape = bpf_map__is_internal(target->map) ? Shape::Internal : Shape::Array;
      return true;
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      target->shape = Shape::Array;
      target->per_cpu = true;
      return true;
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LPM_TRIE: target->shape = Shape::Hash; return true;
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      target->shape = Shape::Hash;
      target->per_cpu = true;
      return true;
    default:
      *error = map_label(contents) + ": vigil cannot fill a map of type " + type_name(target->map);
      return false;
  }
}

bool check_entry_sizes(const MapContents& contents, bpf_map* map, bool index_keys,
                       std::string* error) {
  size_t key_size = index_keys ? sizeof(uint32_t) : bpf_map__key_size(map);
  size_t value_size = bpf_map__value_size(map);
  for (size_t i = 0; i < contents.entries.size(); ++i) {
    const auto& [key, value] = contents.entries[i];
    std::string entry = map_label(contents) + ": entry " + std::to_string(i) + ": ";
    if (key.size() != key_size) {
      *error = entry + "key is " + std::to_string(key.size()) + " bytes, the map's keys are " +
               std::to_string(key_size);
      return false;
    }
    if (value.size() != value_size) {
      *error = entry + "value is " + std::to_string(value.size()) +
               " bytes, the map's values are " + std::to_string(value_size);
      return false;
    }
  }
  return true;
}

uint32_t index_key(const std::vector<uint8_t>& key) {
  uint32_t index;
  std::memcpy(&index, key.data(), sizeof index);
  return index;
}

bool prepare_one(const MapContents& contents, const Target& target, std::string* error) {
  bpf_map* map = target.map;
  size_t value_size = bpf_map__value_size(map);
  bool has_values = !contents.array_values.empty();
  if (target.shape == Shape::Hash && has_values) {
    *error = map_label(contents) + " is a " + type_name(map) +
             " map: it takes key/value entries, not array values";
    return false;
  }
  if (has_values && !contents.entries.empty()) {
    *error = map_label(contents) + ": has both array values and key/value entries";
    return false;
  }
  if (target.shape == Shape::Internal) {
    if (!contents.entries.empty()) {
      *error = map_label(contents) + " is a global data section: it takes array values";
      return false;
    }
    if (!has_values) return true;
    if (contents.array_values.size() != value_size) {
      *error = map_label(contents) + ": " + std::to_string(contents.array_values.size()) +
               " bytes of data for a section of " + std::to_string(value_size) + " bytes";
      return false;
    }
    int result =
        bpf_map__set_initial_value(map, contents.array_values.data(), contents.array_values.size());
    if (result != 0) {
      *error = map_label(contents) + ": cannot set its data: " + std::strerror(-result);
      return false;
    }
    return true;
  }

  uint32_t max_entries = bpf_map__max_entries(map);
  uint32_t wanted = max_entries;
  if (target.shape == Shape::Array && has_values) {
    if (value_size == 0 || contents.array_values.size() % value_size != 0) {
      *error = map_label(contents) + ": " + std::to_string(contents.array_values.size()) +
               " bytes of array values is not a whole number of " + std::to_string(value_size) +
               "-byte values";
      return false;
    }
    size_t count = contents.array_values.size() / value_size;
    if (count > UINT32_MAX) {
      *error = map_label(contents) + ": too many array values";
      return false;
    }
    // The manifest holds every value of the array: its length is the size.
    wanted = static_cast<uint32_t>(count);
  } else if (!contents.entries.empty()) {
    bool index_keys = target.shape == Shape::Array;
    if (!check_entry_sizes(contents, map, index_keys, error)) return false;
    if (index_keys) {
      for (size_t i = 0; i < contents.entries.size(); ++i) {
        uint32_t index = index_key(contents.entries[i].first);
        if (index >= max_entries) {
          *error = map_label(contents) + ": entry " + std::to_string(i) + ": index " +
                   std::to_string(index) + " is past the array's " + std::to_string(max_entries) +
                   " entries";
          return false;
        }
      }
    } else if (contents.entries.size() > max_entries) {
      if (contents.entries.size() > UINT32_MAX) {
        *error = map_label(contents) + ": too many entries";
        return false;
      }
      wanted = static_cast<uint32_t>(contents.entries.size());
    }
  }
  if (wanted != max_entries) {
    int result = bpf_map__set_max_entries(map, wanted);
    if (result != 0) {
      *error = map_label(contents) + ": cannot size it to " + std::to_string(wanted) +
               " entries: " + std::strerror(-result);
      return false;
    }
  }
  return true;
}

// Keys and values laid out for the kernel: per-CPU maps take one value per
// possible CPU, each rounded up to 8 bytes.
class UpdateBatch {
 public:
  UpdateBatch(bpf_map* map, bool per_cpu, int cpus)
      : key_size_(bpf_map__key_size(map)),
        value_size_(bpf_map__value_size(map)),
        stride_(per_cpu ? (value_size_ + 7) / 8 * 8 : value_size_),
        copies_(per_cpu ? static_cast<size_t>(cpus) : 1) {}

  void add(const uint8_t* key, const uint8_t* value, size_t source_index) {
    keys_.insert(keys_.end(), key, key + key_size_);
    for (size_t cpu = 0; cpu < copies_; ++cpu) {
      size_t start = values_.size();
      values_.resize(start + stride_, 0);
      std::memcpy(values_.data() + start, value, value_size_);
    }
    sources_.push_back(source_index);
  }
  size_t size() const { return sources_.size(); }
  void clear() {
    keys_.clear();
    values_.clear();
    sources_.clear();
  }

  // One batch call; element by element if the kernel has no batch update for
  // this map type (LPM tries) or it fails, so an error names the entry.
  bool flush(int fd, const std::string& label, const char* what, std::string* error) {
    if (sources_.empty()) return true;
    uint32_t count = static_cast<uint32_t>(sources_.size());
    LIBBPF_OPTS(bpf_map_batch_opts, options, .elem_flags = BPF_ANY);
    if (bpf_map_update_batch(fd, keys_.data(), values_.data(), &count, &options) == 0 &&
        count == sources_.size()) {
      clear();
      return true;
    }
    size_t value_bytes = stride_ * copies_;
    for (size_t i = 0; i < sources_.size(); ++i) {
      if (bpf_map_update_elem(fd, keys_.data() + i * key_size_, values_.data() + i * value_bytes,
                              BPF_ANY) != 0) {
        *error = label + ": cannot write " + what + " " + std::to_string(sources_[i]) + ": " +
                 std::strerror(errno);
        return false;
      }
    }
    clear();
    return true;
  }

 private:
  size_t key_size_, value_size_, stride_, copies_;
  std::vector<uint8_t> keys_, values_;
  std::vector<size_t> sources_;  // entry or index numbers, for errors
};

bool write_one(const MapContents& contents, const Target& target, int cpus, std::string* error) {
  if (target.shape == Shape::Internal) return true;
  int fd = bpf_map__fd(target.map);
  if (fd < 0) {
    *error = map_label(contents) + ": not created (was the object loaded?)";
    return false;
  }
  std::string label = map_label(contents);
  UpdateBatch batch(target.map, target.per_cpu, cpus);
  if (!contents.array_values.empty()) {
    size_t value_size = bpf_map__value_size(target.map);
    size_t count = contents.array_values.size() / value_size;
    for (size_t index = 0; index < count; ++index) {
      const uint8_t* value = contents.array_values.data() + index * value_size;
      // Arrays start zeroed: only the other values need a write.
      if (std::all_of(value, value + value_size, [](uint8_t byte) { return byte == 0; })) continue;
      uint32_t key = static_cast<uint32_t>(index);
      batch.add(reinterpret_cast<const uint8_t*>(&key), value, index);
      if (batch.size() == kBatchEntries && !batch.flush(fd, label, "index", error)) return false;
    }
    return batch.flush(fd, label, "index", error);
  }
  for (size_t i = 0; i < contents.entries.size(); ++i) {
    batch.add(contents.entries[i].first.data(), contents.entries[i].second.data(), i);
    if (batch.size() == kBatchEntries && !batch.flush(fd, label, "entry", error)) return false;
  }
  return batch.flush(fd, label, "entry", error);
}

bool resolve_all(bpf_object* object, const std::vector<MapContents>& contents,
                 std::vector<Target>* targets, std::string* error) {
  std::set<std::string> seen;
  for (const MapContents& map : contents) {
    if (!seen.insert(map.map_name).second) {
      *error = map_label(map) + ": listed twice in the bundle";
      return false;
    }
    Target target;
    if (!resolve(object, map, &target, error)) return false;
    targets->push_back(target);
  }
  return true;
}

}  // namespace

bool prepare_map_contents(bpf_object* object, const std::vector<MapContents>& contents,
                          std::string* error) {
  std::vector<Target> targets;
  if (!resolve_all(object, contents, &targets, error)) return false;
  for (size_t i = 0; i < contents.size(); ++i)
    if (!prepare_one(contents[i], targets[i], error)) return false;
  return true;
}

bool write_map_contents(bpf_object* object, const std::vector<MapContents>& contents,
                        std::string* error) {
  std::vector<Target> targets;
  if (!resolve_all(object, contents, &targets, error)) return false;
  int cpus = 1;
  if (std::any_of(targets.begin(), targets.end(), [](const Target& t) { return t.per_cpu; })) {
    cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) {
      *error = std::string("cannot count the possible CPUs: ") + std::strerror(-cpus);
      return false;
    }
  }
  for (size_t i = 0; i < contents.size(); ++i)
    if (!write_one(contents[i], targets[i], cpus, error)) return false;
  return true;
}

}  // namespace vigil::runtime
