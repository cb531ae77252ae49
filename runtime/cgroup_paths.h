// Cgroup ids to cgroup paths. The kernel identifies a task's cgroup v2 by
// its kernfs node id, which is also the inode number of the cgroup's
// directory in cgroupfs; there is no syscall from id to path without extra
// privileges, so the cgroup2 tree is walked (stat of every directory) when
// an id is not cached. The walk happens at most once per rescan interval,
// however many unknown ids arrive. Bounded: the least recently used paths
// are forgotten. Kernfs ids are not reused on 64-bit kernels, so a cached
// path never goes stale (only dead). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/lru_map.h"

namespace vigil::runtime {

struct Cgroup2Mount {
  std::string mount_point;  // e.g. "/sys/fs/cgroup" (or /sys/fs/cgroup/unified on hybrid hosts)
  std::string root;         // the mounted directory within the hierarchy: "/" unless a sub-tree
};

// The cgroup2 mount in the text of /proc/self/mountinfo (one whose root is
// "/" preferred); nullopt if there is none (a v1-only host).
std::optional<Cgroup2Mount> find_cgroup2_mount(std::string_view mountinfo_text);

struct CgroupPathsOptions {
  // The cgroup2 tree to walk; nullopt: the mount found in `mountinfo`.
  std::optional<Cgroup2Mount> mount;
  std::string mountinfo = "/proc/self/mountinfo";
  size_t max_entries = 16384;
  std::chrono::milliseconds rescan_interval = std::chrono::seconds(1);
  int max_depth = 32;  // systemd and kubelet nest 4-6 deep
};

class CgroupPaths {
 public:
  explicit CgroupPaths(CgroupPathsOptions options = {});

  // The path of cgroup `id` in the hierarchy ("/" for the root,
  // "/system.slice/ssh.service"); nullopt if it is not (or not yet, until
  // the next rescan) found.
  std::optional<std::string> path_of(uint64_t id);

  // The id of the cgroup at `path` (as /proc/<pid>/cgroup shows it), read
  // from its directory, and remembered; nullopt if there is none.
  std::optional<uint64_t> id_of(std::string_view path);

  bool available() const { return mount_.has_value(); }
  const std::optional<Cgroup2Mount>& mount() const { return mount_; }
  // Why there is no cgroup2 tree to read, when there is none.
  const std::string& problem() const { return problem_; }
  size_t scans() const { return scans_; }  // tree walks so far
  size_t size() const { return cache_.size(); }

 private:
  // Walks the tree, caching every cgroup; the path of `wanted` if seen.
  std::optional<std::string> scan(uint64_t wanted);
  void walk(int directory_fd, std::string& relative, int depth, uint64_t wanted,
            std::optional<std::string>& found);
  std::string hierarchy_path(std::string_view relative) const;

  CgroupPathsOptions options_;
  std::optional<Cgroup2Mount> mount_;
  std::string problem_;
  LruMap<uint64_t, std::string> cache_;
  std::optional<std::chrono::steady_clock::time_point> last_scan_;
  size_t scans_ = 0;
};

}  // namespace vigil::runtime
