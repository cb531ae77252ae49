// The maps every policy generation shares, so a hot reload changes programs
// but not the state around them: the ring buffer the agent reads, the
// statistics counters, the process cache (executable paths per process), the
// kill limits' and threshold rules' state, and the cgroup that `action deny` covers
// (bpf/templates/enforce.bpf.h).
// The first generation's object creates them; later generations reuse them
// (bpf_map__reuse_fd) before their load, which checks the definitions agree.
#pragma once

#include <bpf/libbpf.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil::runtime {

class SharedMaps {
 public:
  static constexpr std::array<const char*, 6> kNames = {"vigil_events",      "vigil_stats",
                                                        "vigil_proc_cache",  "vigil_blast",
                                                        "vigil_deny_cgroup", "vigil_rule_state"};

  SharedMaps() = default;
  ~SharedMaps();
  SharedMaps(const SharedMaps&) = delete;
  SharedMaps& operator=(const SharedMaps&) = delete;

  bool empty() const { return fds_[0] < 0; }

  // The ring buffer's size in bytes (a power of two, a multiple of the page
  // size), set before the first generation creates it; 0: the size compiled
  // into the bundle (VIGIL_RINGBUF_BYTES). Records the agent cannot read
  // in time wait here, so its size is how long a stall the agent survives.
  void set_ring_buffer_bytes(uint32_t bytes) { ring_buffer_bytes_ = bytes; }

  // Before loading a generation: make its object use the shared maps (while
  // empty: only size the ring buffer). False and `error` if the object lacks one.
  bool reuse_in(bpf_object* object, std::string* error) const;
  // After loading the first generation: keep its maps (duplicated fds, so
  // they outlive the object).
  bool adopt_from(bpf_object* object, std::string* error);

  int ring_buffer_fd() const { return fds_[0]; }
  int stats_fd() const { return fds_[1]; }
  int deny_cgroup_fd() const { return fds_[4]; }
  // The ring buffer's size as the kernel reports it; 0 while empty.
  uint64_t ring_buffer_capacity() const;

  // vigil_stats summed over CPUs; empty if it cannot be read.
  std::vector<uint64_t> read_stats() const;

 private:
  std::array<int, kNames.size()> fds_ = {-1, -1, -1, -1, -1, -1};  // kNames order
  uint32_t ring_buffer_bytes_ = 0;
};

}  // namespace vigil::runtime
