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

  // Before loading a generation: make its object use the shared maps (no-op
  // while empty). False and `error` if the object lacks one.
  bool reuse_in(bpf_object* object, std::string* error) const;
  // After loading the first generation: keep its maps (duplicated fds, so
  // they outlive the object).
  bool adopt_from(bpf_object* object, std::string* error);

  int ring_buffer_fd() const { return fds_[0]; }
  int stats_fd() const { return fds_[1]; }
  int deny_cgroup_fd() const { return fds_[4]; }

  // vigil_stats summed over CPUs; empty if it cannot be read.
  std::vector<uint64_t> read_stats() const;

 private:
  std::array<int, kNames.size()> fds_ = {-1, -1, -1, -1, -1, -1};  // kNames order
};

}  // namespace vigil::runtime
