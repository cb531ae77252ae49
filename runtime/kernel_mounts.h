// The kernel file systems vigil needs: tracefs (tracepoint ids for `tp/`
// programs, and whether a tracepoint exists at all), bpffs (pinning) and
// cgroup v2 (container ids; cgroup programs for enforcement).
// Minimal systems and containers may have neither mounted.
#pragma once

#include <optional>
#include <string>

namespace vigil::runtime {

inline constexpr const char* kTracefsPath = "/sys/kernel/tracing";
inline constexpr const char* kDebugfsTracingPath = "/sys/kernel/debug/tracing";
inline constexpr const char* kBpffsPath = "/sys/fs/bpf";

// The tracefs mount to use: /sys/kernel/tracing if tracefs is mounted there,
// else /sys/kernel/debug/tracing if it is (older setups), else tracefs is
// mounted on /sys/kernel/tracing. nullopt and `error` if that fails, e.g.
//   "cannot mount tracefs on /sys/kernel/tracing: Operation not permitted"
std::optional<std::string> ensure_tracefs(std::string* error);

// bpffs on /sys/fs/bpf, mounted (mode 0700) if it is not. False and `error`
// if it cannot be.
bool ensure_bpffs(std::string* error);

// The cgroup v2 mount to use: the one in /proc/self/mountinfo, else cgroup2
// is mounted on /sys/fs/cgroup (when nothing is mounted there) or, on a
// cgroup v1 host, on /sys/fs/cgroup/unified (the hybrid layout systemd
// uses). nullopt and `error` if that fails.
std::optional<std::string> ensure_cgroup2(std::string* error);

// Whether a file system of type `magic` (statfs f_type) is mounted at `path`.
bool is_mounted(const std::string& path, long magic);

}  // namespace vigil::runtime
