// tracefs, bpffs and cgroup2: found where mounted, mounted where not. The "not" case
// runs in a child process with a private mount namespace, so the machine's
// own mounts are untouched.
#include "runtime/kernel_mounts.h"

#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

namespace vigil::runtime {
namespace {

class KernelMounts : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the runtime tests must run as root (mounting tracefs, bpffs)";
  }
};

TEST_F(KernelMounts, FindsOrMountsTracefs) {
  std::string error;
  std::optional<std::string> tracefs = ensure_tracefs(&error);
  ASSERT_TRUE(tracefs.has_value()) << error;
  EXPECT_TRUE(is_mounted(*tracefs, TRACEFS_MAGIC));
  struct stat status{};
  EXPECT_EQ(stat((*tracefs + "/events/syscalls/sys_enter_openat").c_str(), &status), 0) << *tracefs;
  EXPECT_TRUE(ensure_bpffs(&error)) << error;
  EXPECT_TRUE(is_mounted(kBpffsPath, BPF_FS_MAGIC));
  std::optional<std::string> cgroup2 = ensure_cgroup2(&error);
  ASSERT_TRUE(cgroup2.has_value()) << error;
  EXPECT_TRUE(is_mounted(*cgroup2, CGROUP2_SUPER_MAGIC)) << *cgroup2;
}

// Unmounts every file system stacked on `path` (in this namespace only).
void unmount_all(const char* path) {
  while (umount2(path, MNT_DETACH) == 0) {
  }
}

// In the child: the message of the first failed expectation, or "" if none.
std::string mount_from_scratch() {
  if (unshare(CLONE_NEWNS) != 0) return std::string("unshare: ") + std::strerror(errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("make / private: ") + std::strerror(errno);
  unmount_all(kTracefsPath);
  unmount_all("/sys/kernel/debug");  // its tracing/ automount would be found instead
  unmount_all(kBpffsPath);
  if (is_mounted(kTracefsPath, TRACEFS_MAGIC)) return "tracefs still mounted";
  if (is_mounted(kBpffsPath, BPF_FS_MAGIC)) return "bpffs still mounted";
  std::string error;
  std::optional<std::string> tracefs = ensure_tracefs(&error);
  if (!tracefs) return "ensure_tracefs: " + error;
  if (*tracefs != kTracefsPath) return "tracefs at " + *tracefs;
  if (!is_mounted(kTracefsPath, TRACEFS_MAGIC)) return "tracefs not mounted after ensure_tracefs";
  struct stat status{};
  if (stat("/sys/kernel/tracing/events/syscalls", &status) != 0) return "no events/syscalls";
  if (!ensure_bpffs(&error)) return "ensure_bpffs: " + error;
  if (!is_mounted(kBpffsPath, BPF_FS_MAGIC)) return "bpffs not mounted after ensure_bpffs";
  // Found, not mounted twice, the second time.
  std::optional<std::string> again = ensure_tracefs(&error);
  if (!again || *again != kTracefsPath) return "second ensure_tracefs: " + error;
  // cgroup2: whichever mount the host has is taken away, then comes back.
  std::optional<std::string> host_cgroup2 = ensure_cgroup2(&error);
  if (!host_cgroup2) return "ensure_cgroup2 on the host's mounts: " + error;
  unmount_all(host_cgroup2->c_str());
  if (is_mounted(*host_cgroup2, CGROUP2_SUPER_MAGIC)) return "cgroup2 still mounted";
  std::optional<std::string> cgroup2 = ensure_cgroup2(&error);
  if (!cgroup2) return "ensure_cgroup2: " + error;
  if (!is_mounted(*cgroup2, CGROUP2_SUPER_MAGIC)) return "cgroup2 not mounted at " + *cgroup2;
  std::optional<std::string> cgroup2_again = ensure_cgroup2(&error);
  if (!cgroup2_again || *cgroup2_again != *cgroup2) return "second ensure_cgroup2: " + error;
  return "";
}

TEST_F(KernelMounts, MountsWhatIsMissing) {
  bool host_tracefs = is_mounted(kTracefsPath, TRACEFS_MAGIC);
  bool host_bpffs = is_mounted(kBpffsPath, BPF_FS_MAGIC);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    std::string failure = mount_from_scratch();
    if (!failure.empty() && write(pipe_fds[1], failure.data(), failure.size()) < 0) _exit(2);
    _exit(failure.empty() ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string failure;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    failure.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << failure;
  // The machine's own mounts are as they were.
  EXPECT_EQ(is_mounted(kTracefsPath, TRACEFS_MAGIC), host_tracefs);
  EXPECT_EQ(is_mounted(kBpffsPath, BPF_FS_MAGIC), host_bpffs);
}

}  // namespace
}  // namespace vigil::runtime
