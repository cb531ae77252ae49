#include "runtime/kernel_mounts.h"

#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/cgroup_paths.h"

namespace vigil::runtime {
namespace {

std::string mount_error(const char* type, const char* path, int error_number) {
  std::string message =
      std::string("cannot mount ") + type + " on " + path + ": " + std::strerror(error_number);
  if (error_number == EPERM || error_number == EACCES)
    message += " (mounting needs root or CAP_SYS_ADMIN)";
  return message;
}

}  // namespace

bool is_mounted(const std::string& path, long magic) {
  struct statfs info{};
  return ::statfs(path.c_str(), &info) == 0 && static_cast<long>(info.f_type) == magic;
}

std::optional<std::string> ensure_tracefs(std::string* error) {
  if (is_mounted(kTracefsPath, TRACEFS_MAGIC)) return std::string(kTracefsPath);
  // Reading this path makes the kernel automount tracefs under debugfs.
  if (is_mounted(kDebugfsTracingPath, TRACEFS_MAGIC)) return std::string(kDebugfsTracingPath);
  struct stat status{};
  if (::stat(kTracefsPath, &status) != 0 || !S_ISDIR(status.st_mode)) {
    *error = std::string("cannot mount tracefs: ") + kTracefsPath +
             " does not exist (is sysfs mounted on /sys?)";
    return std::nullopt;
  }
  if (::mount("tracefs", kTracefsPath, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    *error = mount_error("tracefs", kTracefsPath, errno);
    return std::nullopt;
  }
  return std::string(kTracefsPath);
}

bool ensure_bpffs(std::string* error) {
  if (is_mounted(kBpffsPath, BPF_FS_MAGIC)) return true;
  struct stat status{};
  if (::stat(kBpffsPath, &status) != 0 || !S_ISDIR(status.st_mode)) {
    *error = std::string("cannot mount bpffs: ") + kBpffsPath +
             " does not exist (is sysfs mounted on /sys?)";
    return false;
  }
  if (::mount("bpf", kBpffsPath, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0) {
    *error = mount_error("bpffs", kBpffsPath, errno);
    return false;
  }
  return true;
}

std::optional<std::string> ensure_cgroup2(std::string* error) {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream mountinfo;
  mountinfo << in.rdbuf();
  if (std::optional<Cgroup2Mount> found = find_cgroup2_mount(mountinfo.str()))
    return found->mount_point;
  constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
  struct stat status{};
  if (::stat(kCgroupRoot, &status) != 0 || !S_ISDIR(status.st_mode)) {
    *error = std::string("cannot mount cgroup2: ") + kCgroupRoot +
             " does not exist (is sysfs mounted on /sys?)";
    return std::nullopt;
  }
  // cgroup v1 hierarchies (a tmpfs of controllers) on /sys/fs/cgroup: add
  // the v2 tree beside them rather than hide them.
  std::string target = kCgroupRoot;
  if (is_mounted(kCgroupRoot, TMPFS_MAGIC)) {
    target += "/unified";
    if (::mkdir(target.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "cannot mount cgroup2: mkdir " + target + ": " + std::strerror(errno);
      return std::nullopt;
    }
  }
  if (::mount("cgroup2", target.c_str(), "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) !=
      0) {
    *error = mount_error("cgroup2", target.c_str(), errno);
    return std::nullopt;
  }
  return target;
}

}  // namespace vigil::runtime
