#include "runtime/shared_maps.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::runtime {

SharedMaps::~SharedMaps() {
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
}

bool SharedMaps::reuse_in(bpf_object* object, std::string* error) const {
  if (empty()) {
    if (ring_buffer_bytes_ == 0) return true;
    bpf_map* ring = bpf_object__find_map_by_name(object, kNames[0]);
    int result = ring ? bpf_map__set_max_entries(ring, ring_buffer_bytes_) : -ENOENT;
    if (result != 0) *error = std::string("cannot size the ring buffer: ") + std::strerror(-result);
    return result == 0;
  }
  for (size_t i = 0; i < kNames.size(); ++i) {
    bpf_map* map = bpf_object__find_map_by_name(object, kNames[i]);
    if (!map) {
      *error = std::string("the bundle has no map ") + kNames[i] + " (built by another vigil?)";
      return false;
    }
    if (int result = bpf_map__reuse_fd(map, fds_[i]); result != 0) {
      *error = std::string("cannot share map ") + kNames[i] +
               " with the running generation: " + std::strerror(-result);
      return false;
    }
  }
  return true;
}

bool SharedMaps::adopt_from(bpf_object* object, std::string* error) {
  std::array<int, kNames.size()> fds;
  fds.fill(-1);
  for (size_t i = 0; i < kNames.size(); ++i) {
    bpf_map* map = bpf_object__find_map_by_name(object, kNames[i]);
    int fd = map ? bpf_map__fd(map) : -1;
    if (fd >= 0) fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      *error = std::string("the loaded bundle has no map ") + kNames[i];
      for (int opened : fds)
        if (opened >= 0) ::close(opened);
      return false;
    }
    fds[i] = fd;
  }
  fds_ = fds;
  return true;
}

uint64_t SharedMaps::ring_buffer_capacity() const {
  bpf_map_info info{};
  uint32_t info_size = sizeof info;
  if (empty() || bpf_obj_get_info_by_fd(ring_buffer_fd(), &info, &info_size) != 0) return 0;
  return info.max_entries;
}

std::vector<uint64_t> SharedMaps::read_stats() const {
  if (stats_fd() < 0) return {};
  bpf_map_info info{};
  uint32_t info_size = sizeof info;
  if (bpf_obj_get_info_by_fd(stats_fd(), &info, &info_size) != 0) return {};
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return {};
  std::vector<uint64_t> totals(info.max_entries, 0);
  std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
  for (uint32_t key = 0; key < info.max_entries; ++key) {
    if (bpf_map_lookup_elem(stats_fd(), &key, per_cpu.data()) != 0) return {};
    for (uint64_t value : per_cpu) totals[key] += value;
  }
  return totals;
}

}  // namespace vigil::runtime
