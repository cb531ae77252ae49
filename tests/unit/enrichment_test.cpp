// User-space enrichment of the agent's alerts: clock mapping, user names,
// container ids from cgroup paths, cgroup ids to paths, and the process
// table (on fake /proc trees, and on the real machine: these tests run as
// root and create a cgroup).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/schema.h"
#include "runtime/cgroup_paths.h"
#include "runtime/clock_mapping.h"
#include "runtime/container_id.h"
#include "runtime/lru_map.h"
#include "runtime/process_table.h"
#include "runtime/user_names.h"
#include "tests/unit/temp_dir.h"

namespace vigil::runtime {
namespace {

namespace fs = std::filesystem;

const std::string kId = "4a2b0f1c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a";
const std::string kInnerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string read_link(const std::string& path) {
  std::error_code error;
  return fs::read_symlink(path, error).string();
}

uint64_t inode_of(const std::string& path) {
  struct stat status{};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return static_cast<uint64_t>(status.st_ino);
}

// A temporary directory, removed with everything in it.
using vigil::testing::TempDir;

// ---- Events ---------------------------------------------------------------------------

FieldId field(std::string_view name) {
  std::optional<FieldId> id = find_field(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(0);
}

void set(Event& event, std::string_view name, int64_t value) {
  event.set(field(name), Value(value));
}
void set(Event& event, std::string_view name, const char* value) {
  event.set(field(name), Value(std::string(value)));
}
void set(Event& event, std::string_view name, std::vector<std::string> values) {
  std::vector<Value> typed(values.begin(), values.end());
  event.set_values(field(name), std::move(typed));
}

std::string get_string(const Event& event, std::string_view name) {
  std::span<const Value> values = event.get(field(name));
  return values.empty() ? "<unset>" : std::get<std::string>(values.front());
}

struct EventProcessSpec {
  int64_t tgid = 0;
  int64_t ppid = 0;
  int64_t uid = 0;
  const char* comm = "";
  const char* exe = "";
  const char* cmdline = "";
  int64_t start_time = 0;
  int64_t cgroup_id = 0;
};

Event make_event(EventKind kind, const EventProcessSpec& spec) {
  Event event(kind);
  set(event, "process.pid", spec.tgid);
  set(event, "process.tgid", spec.tgid);
  set(event, "process.ppid", spec.ppid);
  set(event, "parent.pid", spec.ppid);
  set(event, "process.uid", spec.uid);
  set(event, "process.euid", spec.uid);
  set(event, "process.comm", spec.comm);
  set(event, "process.exe", spec.exe);
  set(event, "process.cmdline", spec.cmdline);
  set(event, "process.start_time", spec.start_time);
  set(event, "process.cgroup_id", spec.cgroup_id);
  return event;
}

// ---- LruMap -------------------------------------------------------------------------

TEST(LruMap, EvictsTheLeastRecentlyUsed) {
  LruMap<int, std::string> map(2);
  map.put(1, "one");
  map.put(2, "two");
  ASSERT_NE(map.find(1), nullptr);  // 2 is now the least recently used
  map.put(3, "three");
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.peek(2), nullptr);
  EXPECT_EQ(*map.peek(1), "one");
  EXPECT_EQ(*map.peek(3), "three");
  map.put(1, "uno");  // replacing does not grow it
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(*map.peek(1), "uno");
  EXPECT_TRUE(map.erase(3));
  EXPECT_FALSE(map.erase(3));
  EXPECT_EQ(map.size(), 1u);
}

// ---- ClockMapping -------------------------------------------------------------------

TEST(ClockMapping, MonotonicNowIsWallClockNow) {
  ClockMapping clock;
  int64_t monotonic = clock_ns(CLOCK_MONOTONIC);
  int64_t unix_now = clock_ns(CLOCK_REALTIME);
  EXPECT_NEAR(static_cast<double>(clock.to_unix_ns(static_cast<uint64_t>(monotonic))),
              static_cast<double>(unix_now), 50e6);  // 50 ms: slack for a loaded machine
  // After 2020 and before 2100.
  EXPECT_GT(clock.to_unix_ns(static_cast<uint64_t>(monotonic)), 1'577'836'800LL * 1'000'000'000);
  EXPECT_LT(clock.to_unix_ns(static_cast<uint64_t>(monotonic)), 4'102'444'800LL * 1'000'000'000);
  int64_t boottime = clock_ns(CLOCK_BOOTTIME);
  monotonic = clock_ns(CLOCK_MONOTONIC);
  EXPECT_NEAR(static_cast<double>(clock.monotonic_from_boottime(static_cast<uint64_t>(boottime))),
              static_cast<double>(monotonic), 50e6);
  clock.refresh();
  monotonic = clock_ns(CLOCK_MONOTONIC);
  EXPECT_NEAR(static_cast<double>(clock.to_unix_ns(static_cast<uint64_t>(monotonic))),
              static_cast<double>(clock_ns(CLOCK_REALTIME)), 50e6);
}

TEST(ClockMapping, FixedOffsets) {
  ClockMapping clock = ClockMapping::with_offsets(1'000'000, 500);
  EXPECT_EQ(clock.to_unix_ns(2'000), 1'002'000);
  EXPECT_EQ(clock.monotonic_from_boottime(2'000), 1'500u);
  EXPECT_EQ(clock.monotonic_from_boottime(100), 0u);  // before the clocks' offset: clamped
}

// ---- UserNames ----------------------------------------------------------------------

constexpr int64_t kUnusedUid = 4'294'967'000;

TEST(UserNames, NamesFromNss) {
  ASSERT_FALSE(nss_user_name(static_cast<uint32_t>(kUnusedUid)).has_value())
      << "uid " << kUnusedUid << " has a name on this machine";
  UserNames users;
  EXPECT_EQ(users.name_of(0), "root");
  EXPECT_EQ(users.name_of(kUnusedUid), "");
  EXPECT_EQ(users.name_of(-1), "");
  EXPECT_EQ(users.name_of(4'294'967'295), "");  // (uid_t)-1: no uid
  EXPECT_EQ(users.name_of(int64_t{1} << 40), "");
  EXPECT_EQ(users.name_of(0), "root");  // cached
}

TEST(UserNames, CachesNamesAndForgetsMissingOnesSoon) {
  int lookups = 0;
  bool user_exists = false;
  auto lookup = [&](uint32_t uid) -> std::optional<std::string> {
    ++lookups;
    if (uid == 1000 || (uid == 2000 && user_exists)) return "user" + std::to_string(uid);
    return std::nullopt;
  };
  UserNames users(UserNamesOptions{.max_entries = 16,
                                   .name_ttl = std::chrono::hours(1),
                                   .missing_ttl = std::chrono::milliseconds(50)},
                  lookup);
  EXPECT_EQ(users.name_of(1000), "user1000");
  EXPECT_EQ(users.name_of(1000), "user1000");
  EXPECT_EQ(lookups, 1);
  EXPECT_EQ(users.name_of(2000), "");
  EXPECT_EQ(users.name_of(2000), "");
  EXPECT_EQ(lookups, 2);  // the miss is cached too
  user_exists = true;     // useradd
  ::usleep(80'000);
  EXPECT_EQ(users.name_of(2000), "user2000");
  EXPECT_EQ(lookups, 3);
}

TEST(UserNames, Bounded) {
  int lookups = 0;
  auto lookup = [&](uint32_t uid) -> std::optional<std::string> {
    ++lookups;
    return "u" + std::to_string(uid);
  };
  UserNames users(UserNamesOptions{.max_entries = 2}, lookup);
  for (int64_t uid = 0; uid < 100; ++uid) EXPECT_EQ(users.name_of(uid), "u" + std::to_string(uid));
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(users.name_of(99), "u99");
  EXPECT_EQ(lookups, 100);
  EXPECT_EQ(users.name_of(0), "u0");  // evicted long ago: looked up again
  EXPECT_EQ(lookups, 101);
}

// ---- Container ids ----------------------------------------------------------------------

struct ContainerCase {
  std::string path;
  std::string expected;
};

TEST(ContainerId, FromCgroupPaths) {
  const std::string kPod = "pod0d3e8f1a_6c2b_4e4f_9a5d_1b2c3d4e5f60";
  const std::vector<ContainerCase> cases = {
      // The host.
      {"/", ""},
      {"", ""},
      {"/init.scope", ""},
      {"/user.slice/user-1000.slice/session-4.scope", ""},
      {"/system.slice/docker.service", ""},
      {"/system.slice/containerd.service", ""},
      {"/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-2481.scope", ""},
      // docker.
      {"/docker/" + kId, kId},
      {"/docker/" + kId + "/", kId},
      {"/system.slice/docker-" + kId + ".scope", kId},
      {"/system.slice/docker-" + kId + ".scope/init.scope", kId},  // systemd in the container
      // containerd and kubelet.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + kPod +
           ".slice/cri-containerd-" + kId + ".scope",
       kId},
      {"/kubepods/besteffort/pod0d3e8f1a-6c2b-4e4f-9a5d-1b2c3d4e5f60/" + kId, kId},
      {"/kubepods/pod0d3e8f1a-6c2b-4e4f-9a5d-1b2c3d4e5f60/" + kId, kId},  // guaranteed QoS
      {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" + kPod + ".slice", ""},
      {"/k8s.io/" + kId, kId},   // containerd's own cgroup namespace
      {"/default/" + kId, kId},  // nerdctl
      // cri-o, and its monitor on the host.
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + kPod + ".slice/crio-" +
           kId + ".scope",
       kId},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + kPod + ".slice/crio-" +
           kId + ".scope/container",
       kId},
      {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" + kPod +
           ".slice/crio-conmon-" + kId + ".scope",
       ""},
      // podman, rootful and rootless, and its monitor.
      {"/machine.slice/libpod-" + kId + ".scope", kId},
      {"/machine.slice/libpod-" + kId + ".scope/container", kId},
      {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope", kId},
      {"/machine.slice/libpod-conmon-" + kId + ".scope", ""},
      {"/libpod_parent/libpod-" + kId, kId},
      // systemd-nspawn machines, by name.
      {"/machine.slice/machine-debian\\x2dbookworm.scope", "debian-bookworm"},
      {"/machine.slice/machine-web.scope/payload/system.slice/nginx.service", "web"},
      {"/machine.slice/systemd-nspawn@build\\x2dbox.service/payload", "build-box"},
      {"/machine-stray.scope", ""},  // not under machine.slice
      {"/machine.slice/machine-.scope", ""},
      // Nested: the innermost container is the one the process is in.
      {"/docker/" + kId + "/docker/" + kInnerId, kInnerId},
      {"/system.slice/docker-" + kId + ".scope/system.slice/docker-" + kInnerId + ".scope",
       kInnerId},
      {"/machine.slice/machine-box.scope/payload/system.slice/docker-" + kInnerId + ".scope",
       kInnerId},
      {"/kubepods/besteffort/pod1/" + kId + "/crio-conmon-" + kInnerId + ".scope", kId},
      // Not ids.
      {"/docker/" + kId.substr(1), ""},  // 63 digits
      {"/docker/" + kId + "0", ""},      // 65 digits
      {"/docker/4A2B0F1C9D8E7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A", ""},
      {"/system.slice/docker-" + kId.substr(0, 63) + "g.scope", ""},  // not hex
      {"/system.slice/docker-" + kId + ".scopex", ""},
      {"/system.slice/docker-" + kId + ".service", ""},
  };
  for (const ContainerCase& test : cases)
    EXPECT_EQ(container_id_from_cgroup_path(test.path), test.expected) << test.path;
}

TEST(ContainerId, FromProcCgroup) {
  EXPECT_EQ(container_id_from_proc_cgroup("0::/system.slice/docker-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_proc_cgroup("0::/user.slice/user-0.slice/session-1.scope\n"), "");
  // Hybrid host, container in the v1 hierarchies only.
  EXPECT_EQ(container_id_from_proc_cgroup("12:pids:/docker/" + kId + "\n4:memory:/docker/" + kId +
                                          "\n1:name=systemd:/docker/" + kId + "\n0::/\n"),
            kId);
  // The unified hierarchy wins over a v1 one.
  EXPECT_EQ(
      container_id_from_proc_cgroup("4:memory:/docker/" + kId + "\n0::/docker/" + kInnerId + "\n"),
      kInnerId);
  EXPECT_EQ(container_id_from_proc_cgroup(""), "");
  EXPECT_EQ(container_id_from_proc_cgroup("garbage\n::\n0:"), "");
}

// ---- CgroupPaths ------------------------------------------------------------------------

TEST(CgroupPaths, FindsTheCgroup2Mount) {
  // A hybrid host (this one's): v1 controllers and the unified tree.
  const char* hybrid =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  auto mount = find_cgroup2_mount(hybrid);
  ASSERT_TRUE(mount.has_value());
  EXPECT_EQ(mount->mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mount->root, "/");
  // A v2 host (optional fields before the separator).
  mount = find_cgroup2_mount(
      "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  ASSERT_TRUE(mount.has_value());
  EXPECT_EQ(mount->mount_point, "/sys/fs/cgroup");
  // A sub-tree mounted first, the whole tree second: the whole tree.
  mount = find_cgroup2_mount(
      "50 22 0:23 /kubepods /mnt/sub rw - cgroup2 cgroup2 rw\n"
      "51 22 0:23 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mount.has_value());
  EXPECT_EQ(mount->mount_point, "/mnt/with space");
  EXPECT_FALSE(find_cgroup2_mount("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"));
  EXPECT_FALSE(find_cgroup2_mount("garbage\n\n1 2 3\n"));
}

TEST(CgroupPaths, WalksATree) {
  TempDir tree;
  fs::create_directories(tree.path() + "/system.slice/docker-" + kId + ".scope/init.scope");
  fs::create_directories(tree.path() + "/user.slice/user-0.slice");
  std::ofstream(tree.path() + "/cgroup.procs") << "1\n";  // files are not cgroups
  CgroupPaths paths(CgroupPathsOptions{.mount = Cgroup2Mount{tree.path(), "/"},
                                       .rescan_interval = std::chrono::hours(1)});
  ASSERT_TRUE(paths.available());
  EXPECT_EQ(paths.path_of(inode_of(tree.path())), "/");
  EXPECT_EQ(paths.scans(), 1u);
  // Everything was cached by that one walk.
  EXPECT_EQ(
      paths.path_of(inode_of(tree.path() + "/system.slice/docker-" + kId + ".scope/init.scope")),
      "/system.slice/docker-" + kId + ".scope/init.scope");
  EXPECT_EQ(paths.path_of(inode_of(tree.path() + "/user.slice/user-0.slice")),
            "/user.slice/user-0.slice");
  EXPECT_EQ(paths.scans(), 1u);
  EXPECT_EQ(paths.size(), 6u);
  // A cgroup made after the walk is not found until the interval passes...
  fs::create_directories(tree.path() + "/new.slice");
  EXPECT_EQ(paths.path_of(inode_of(tree.path() + "/new.slice")), std::nullopt);
  EXPECT_EQ(paths.scans(), 1u);
  EXPECT_EQ(paths.path_of(0), std::nullopt);
  // ...but by path it is read at once.
  EXPECT_EQ(paths.id_of("/new.slice"), inode_of(tree.path() + "/new.slice"));
  EXPECT_EQ(paths.path_of(inode_of(tree.path() + "/new.slice")), "/new.slice");
  EXPECT_EQ(paths.id_of("/absent.slice"), std::nullopt);
  EXPECT_EQ(paths.id_of("relative"), std::nullopt);
}

TEST(CgroupPaths, BoundedAndRescansOnMisses) {
  TempDir tree;
  for (int i = 0; i < 20; ++i) fs::create_directories(tree.path() + "/s" + std::to_string(i));
  CgroupPaths paths(CgroupPathsOptions{.mount = Cgroup2Mount{tree.path(), "/"},
                                       .max_entries = 4,
                                       .rescan_interval = std::chrono::milliseconds(0)});
  for (int i = 0; i < 20; ++i) {
    std::string name = "/s" + std::to_string(i);
    EXPECT_EQ(paths.path_of(inode_of(tree.path() + name)), name);
    EXPECT_LE(paths.size(), 4u);
  }
  EXPECT_GT(paths.scans(), 1u);  // misses after evictions walked again
  // A sub-tree mount: paths are in the whole hierarchy.
  CgroupPaths sub(CgroupPathsOptions{.mount = Cgroup2Mount{tree.path(), "/kubepods"}});
  EXPECT_EQ(sub.path_of(inode_of(tree.path() + "/s3")), "/kubepods/s3");
  EXPECT_EQ(sub.path_of(inode_of(tree.path())), "/kubepods");
  EXPECT_EQ(sub.id_of("/kubepods/s4"), inode_of(tree.path() + "/s4"));
  EXPECT_EQ(sub.id_of("/s4"), std::nullopt);
}

TEST(CgroupPaths, NoCgroup2) {
  CgroupPaths paths(
      CgroupPathsOptions{.mount = std::nullopt, .mountinfo = "/nonexistent/mountinfo"});
  EXPECT_FALSE(paths.available());
  EXPECT_NE(paths.problem().find("/nonexistent/mountinfo"), std::string::npos);
  EXPECT_EQ(paths.path_of(1), std::nullopt);
  EXPECT_EQ(paths.id_of("/"), std::nullopt);
}

// The machine's own cgroup2 tree (root: creates a cgroup).
TEST(CgroupPathsRealMachine, ResolvesOwnAndNewCgroups) {
  CgroupPathsOptions options;
  options.rescan_interval = std::chrono::hours(1);
  CgroupPaths paths(options);
  // Fails, not skips, without cgroup v2: the agent mounts it where missing,
  // and container ids depend on it.
  ASSERT_TRUE(paths.available()) << "no cgroup v2 mounted: " << paths.problem();
  const std::string root = paths.mount()->mount_point;
  // /proc/self/cgroup's unified path, and the id the kernel would report.
  std::string self = read_text("/proc/self/cgroup");
  size_t at = self.find("0::");
  ASSERT_NE(at, std::string::npos) << self;
  std::string own = self.substr(at + 3, self.find('\n', at) - at - 3);
  uint64_t own_id = inode_of(root + own);
  EXPECT_EQ(paths.path_of(own_id), own);
  EXPECT_EQ(paths.path_of(inode_of(root)), "/");
  EXPECT_EQ(paths.scans(), 1u);

  std::string name = "/vigil-enrich-test-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir((root + name).c_str(), 0755), 0)
      << "cannot create a cgroup in " << root << ": " << std::strerror(errno);
  uint64_t new_id = inode_of(root + name);
  // Just walked: a new id waits for the rescan interval.
  EXPECT_EQ(paths.path_of(new_id), std::nullopt);
  CgroupPaths fresh(CgroupPathsOptions{});
  EXPECT_EQ(fresh.path_of(new_id), name);
  EXPECT_EQ(fresh.id_of(name), new_id);
  EXPECT_EQ(::rmdir((root + name).c_str()), 0);
}

// ---- ProcessTable on a fake /proc -------------------------------------------------------

constexpr long kHz = 100;
constexpr int64_t kUnixOffset = 1'700'000'000LL * 1'000'000'000;

struct FakeProcess {
  int64_t pid = 0;
  int64_t ppid = 0;
  int64_t uid = 0;
  std::string comm;
  std::string exe;  // "" : no exe link (a kernel thread)
  std::vector<std::string> args;
  uint64_t start_ticks = 0;
  std::string cgroup = "0::/user.slice\n";
};

class FakeProc {
 public:
  std::string root() const { return dir_.path() + "/proc"; }
  std::string cgroup_root() const { return dir_.path() + "/cgroup"; }

  void add(const FakeProcess& process) {
    std::string dir = root() + "/" + std::to_string(process.pid);
    fs::create_directories(dir);
    std::ofstream(dir + "/stat") << process.pid << " (" << process.comm << ") S " << process.ppid
                                 << " 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                                 << process.start_ticks << " 1000000 100 18446744073709551615\n";
    std::ofstream(dir + "/status") << "Name:\t" << process.comm << "\nUmask:\t0022\nState:\tS\n"
                                   << "Tgid:\t" << process.pid << "\nPPid:\t" << process.ppid
                                   << "\nUid:\t" << process.uid << "\t" << process.uid << "\t"
                                   << process.uid << "\t" << process.uid << "\nGid:\t0\t0\t0\t0\n";
    std::ofstream cmdline(dir + "/cmdline", std::ios::binary);
    for (const std::string& arg : process.args) cmdline << arg << '\0';
    std::ofstream(dir + "/cgroup") << process.cgroup;
    std::error_code error;
    fs::remove(dir + "/exe", error);
    if (!process.exe.empty()) fs::create_symlink(process.exe, dir + "/exe");
  }
  void remove(int64_t pid) { fs::remove_all(root() + "/" + std::to_string(pid)); }

  ProcessTableOptions options() const {
    ProcessTableOptions options;
    options.proc_root = root();
    options.clock_ticks_per_second = kHz;
    options.cgroups.mount = Cgroup2Mount{cgroup_root(), "/"};
    return options;
  }

 private:
  TempDir dir_;
};

uint64_t ticks_ns(uint64_t ticks) {
  return ticks * (1'000'000'000 / kHz);
}

// systemd(1) -> sshd(100) -> bash(200) -> python3(300)
class ProcessTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(proc.cgroup_root());
    proc.add(
        {1, 0, 0, "systemd", "/usr/lib/systemd/systemd", {"/sbin/init"}, 10, "0::/init.scope\n"});
    proc.add({2, 0, 0, "kthreadd", "", {}, 10, "0::/\n"});
    proc.add({100, 1, 0, "sshd", "/usr/sbin/sshd", {"sshd: /usr/sbin/sshd", "-D"}, 500});
    proc.add({200, 100, 1000, "bash", "/usr/bin/bash", {"-bash"}, 1000});
    proc.add({300,
              200,
              1000,
              "python3",
              "/usr/bin/python3.11 (deleted)",
              {"python3", "app.py"},
              2000,
              "4:memory:/docker/" + kId + "\n0::/\n"});
  }

  ClockMapping clock = ClockMapping::with_offsets(kUnixOffset, 0);
  FakeProc proc;
};

TEST_F(ProcessTableTest, SeedsFromProc) {
  proc.add({400, 1, 0, "my (odd) name", "/opt/x", {"x"}, 3000});
  ProcessTable table(proc.options(), clock);
  EXPECT_EQ(table.seed_from_proc(), 6u);
  EXPECT_EQ(table.size(), 6u);
  const ProcessEntry* sshd = table.find(100);
  ASSERT_NE(sshd, nullptr);
  EXPECT_EQ(sshd->tgid, 100);
  EXPECT_EQ(sshd->ppid, 1);
  EXPECT_EQ(sshd->uid, 0);
  EXPECT_EQ(sshd->comm, "sshd");
  EXPECT_EQ(sshd->exe, "/usr/sbin/sshd");
  EXPECT_EQ(sshd->cmdline, "sshd: /usr/sbin/sshd -D");
  EXPECT_EQ(sshd->start_time_ns, ticks_ns(500));
  EXPECT_TRUE(sshd->container_known);
  EXPECT_EQ(sshd->container_id, "");
  const ProcessEntry* python = table.find(300);
  ASSERT_NE(python, nullptr);
  EXPECT_EQ(python->uid, 1000);
  EXPECT_EQ(python->exe, "/usr/bin/python3.11");  // " (deleted)" is /proc's, not the name
  EXPECT_EQ(python->container_id, kId);           // from the v1 hierarchy
  ASSERT_NE(table.find(400), nullptr);
  EXPECT_EQ(table.find(400)->comm, "my (odd) name");
  ASSERT_NE(table.find(2), nullptr);
  EXPECT_EQ(table.find(2)->exe, "");
  EXPECT_EQ(table.find(2)->cmdline, "");
}

TEST_F(ProcessTableTest, ContextFromTheEventCompletedByTheTable) {
  ProcessTable table(proc.options(), clock);
  table.seed_from_proc();
  // python3 (300) runs a shell (500), which /proc does not know (yet).
  Event event = make_event(EventKind::Exec, {.tgid = 500,
                                             .ppid = 300,
                                             .uid = 0,
                                             .comm = "sh",
                                             .exe = "/usr/bin/dash",
                                             .start_time = 90'000'000'000});
  set(event, "process.tty", "pts/1");
  set(event, "process.gid", 5);
  ProcessContext context = table.context_for(event);
  EXPECT_EQ(context.pid, 500);
  EXPECT_EQ(context.tgid, 500);
  EXPECT_EQ(context.ppid, 300);
  EXPECT_EQ(context.gid, 5);
  EXPECT_EQ(context.comm, "sh");
  EXPECT_EQ(context.exe, "/usr/bin/dash");
  EXPECT_EQ(context.tty, "pts/1");
  EXPECT_EQ(context.user_name, "root");
  EXPECT_EQ(context.start_time_unix_ns, kUnixOffset + 90'000'000'000);
  ASSERT_EQ(context.ancestors.size(), 4u);
  EXPECT_EQ(context.ancestors[0].pid, 300);
  EXPECT_EQ(context.ancestors[0].comm, "python3");
  EXPECT_EQ(context.ancestors[0].exe, "/usr/bin/python3.11");
  EXPECT_EQ(context.ancestors[1].pid, 200);
  EXPECT_EQ(context.ancestors[1].comm, "bash");
  EXPECT_EQ(context.ancestors[2].pid, 100);
  EXPECT_EQ(context.ancestors[2].exe, "/usr/sbin/sshd");
  EXPECT_EQ(context.ancestors[3].pid, 1);
  EXPECT_EQ(context.ancestors[3].comm, "systemd");
  // The event's own process is in the table now, from the event.
  ASSERT_NE(table.find(500), nullptr);
  EXPECT_EQ(table.find(500)->exe, "/usr/bin/dash");

  // The kernel's parent fields beat the table's.
  Event child = make_event(EventKind::FileOpen, {.tgid = 600, .ppid = 200, .comm = "cat"});
  set(child, "parent.comm", "zsh");
  set(child, "parent.exe", "/usr/bin/zsh");
  context = table.context_for(child);
  ASSERT_EQ(context.ancestors.size(), 3u);
  EXPECT_EQ(context.ancestors[0].pid, 200);
  EXPECT_EQ(context.ancestors[0].comm, "zsh");
  EXPECT_EQ(context.ancestors[0].exe, "/usr/bin/zsh");
  EXPECT_EQ(context.start_time_unix_ns, 0);  // unknown stays unknown
}

TEST_F(ProcessTableTest, CommandLineFromTheTableWhenTheRecordHasNone) {
  ProcessTable table(proc.options(), clock);
  Event event =
      make_event(EventKind::FileOpen, {.tgid = 300,
                                       .ppid = 200,
                                       .uid = 1000,
                                       .comm = "python3",
                                       .exe = "/usr/bin/python3.11",
                                       .start_time = int64_t(ticks_ns(2000)) + 4'000'000});
  ProcessContext context = table.context_for(event);
  EXPECT_EQ(context.cmdline, "python3 app.py");
  EXPECT_EQ(context.user_name, nss_user_name(1000).value_or(""));
  set(event, "process.cmdline", "python3 other.py");
  EXPECT_EQ(table.context_for(event).cmdline, "python3 other.py");  // the record wins
}

TEST_F(ProcessTableTest, ContainerIds) {
  fs::create_directories(proc.cgroup_root() + "/system.slice/docker-" + kInnerId + ".scope");
  fs::create_directories(proc.cgroup_root() + "/user.slice");
  uint64_t docker = inode_of(proc.cgroup_root() + "/system.slice/docker-" + kInnerId + ".scope");
  uint64_t user = inode_of(proc.cgroup_root() + "/user.slice");
  uint64_t root = inode_of(proc.cgroup_root());
  ProcessTable table(proc.options(), clock);
  // By cgroup id.
  EXPECT_EQ(table
                .context_for(make_event(EventKind::Exec,
                                        {.tgid = 200, .ppid = 100, .cgroup_id = int64_t(docker)}))
                .container_id,
            kInnerId);
  EXPECT_EQ(table
                .context_for(make_event(EventKind::Exec,
                                        {.tgid = 100, .ppid = 1, .cgroup_id = int64_t(user)}))
                .container_id,
            "");
  // In the root cgroup (300 is in a v1-only container) and by an id no walk
  // finds: /proc/<pid>/cgroup tells.
  EXPECT_EQ(table
                .context_for(make_event(EventKind::Exec,
                                        {.tgid = 300, .ppid = 200, .cgroup_id = int64_t(root)}))
                .container_id,
            kId);
  proc.add({700,
            1,
            0,
            "nginx",
            "/usr/sbin/nginx",
            {"nginx"},
            700,
            "0::/system.slice/docker-" + kId + ".scope\n"});
  Event event = make_event(EventKind::Exec, {.tgid = 700, .ppid = 1, .cgroup_id = 987654321});
  EXPECT_EQ(table.context_for(event).container_id, kId);
  // The user-space fields the evaluator reads.
  table.fill_user_space_fields(event);
  EXPECT_EQ(get_string(event, "process.container_id"), kId);
  EXPECT_EQ(get_string(event, "user.name"), "root");
  Event host = make_event(EventKind::FileOpen,
                          {.tgid = 100, .ppid = 1, .uid = kUnusedUid, .cgroup_id = int64_t(user)});
  table.fill_user_space_fields(host);
  EXPECT_EQ(get_string(host, "process.container_id"), "");
  EXPECT_EQ(get_string(host, "user.name"), "");
}

TEST_F(ProcessTableTest, AncestorsAtMostEight) {
  // 1 -> 1001 -> 1002 -> ... -> 1012
  for (int64_t pid = 1001; pid <= 1012; ++pid)
    proc.add({pid,
              pid == 1001 ? 1 : pid - 1,
              0,
              "p" + std::to_string(pid),
              "/bin/p",
              {"p"},
              static_cast<uint64_t>(pid)});
  ProcessTable table(proc.options(), clock);
  ProcessContext context =
      table.context_for(make_event(EventKind::Exec, {.tgid = 1013, .ppid = 1012}));
  ASSERT_EQ(context.ancestors.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(context.ancestors[i].pid, 1012 - static_cast<int64_t>(i));
    EXPECT_EQ(context.ancestors[i].comm, "p" + std::to_string(1012 - i));
  }
}

TEST_F(ProcessTableTest, AncestorLoopsEnd) {
  proc.add({800, 801, 0, "a", "/bin/a", {"a"}, 3000});
  proc.add({801, 800, 0, "b", "/bin/b", {"b"}, 3000});
  proc.add({900, 900, 0, "self", "/bin/self", {"self"}, 3000});
  ProcessTable table(proc.options(), clock);
  ProcessContext context =
      table.context_for(make_event(EventKind::Exec, {.tgid = 850, .ppid = 800}));
  ASSERT_EQ(context.ancestors.size(), 2u);
  EXPECT_EQ(context.ancestors[0].pid, 800);
  EXPECT_EQ(context.ancestors[1].pid, 801);
  context = table.context_for(make_event(EventKind::Exec, {.tgid = 800, .ppid = 801}));
  ASSERT_EQ(context.ancestors.size(), 1u);  // 801's parent is 800 itself
  EXPECT_EQ(context.ancestors[0].pid, 801);
  EXPECT_TRUE(
      table.context_for(make_event(EventKind::Exec, {.tgid = 900, .ppid = 900})).ancestors.empty());
}

TEST_F(ProcessTableTest, AncestorsEndWhereTheChainIsUnknown) {
  proc.add({1100, 1099, 0, "orphan", "/bin/orphan", {"orphan"}, 3000});  // 1099: gone
  ProcessTable table(proc.options(), clock);
  ProcessContext context =
      table.context_for(make_event(EventKind::Exec, {.tgid = 1101, .ppid = 1100}));
  ASSERT_EQ(context.ancestors.size(), 2u);
  EXPECT_EQ(context.ancestors[1].pid, 1099);
  EXPECT_EQ(context.ancestors[1].comm, "");
  // The failed read is remembered: walking again does not read /proc again.
  size_t reads = table.proc_reads();
  table.context_for(make_event(EventKind::Exec, {.tgid = 1101, .ppid = 1100}));
  EXPECT_EQ(table.proc_reads(), reads);
}

TEST_F(ProcessTableTest, ParentStartedAfterTheChildIsAReusedPid) {
  // The event's process started at 15 s; /proc's 200 started at 10 s, fine;
  // but /proc's 100 started at 60 s: not bash's parent (it died, and its pid
  // went to another process).
  proc.add({100, 1, 0, "newcomer", "/usr/bin/newcomer", {"newcomer"}, 6000});
  ProcessTable table(proc.options(), clock);
  ProcessContext context = table.context_for(
      make_event(EventKind::Exec, {.tgid = 250, .ppid = 200, .start_time = 15'000'000'000}));
  ASSERT_EQ(context.ancestors.size(), 2u);
  EXPECT_EQ(context.ancestors[0].comm, "bash");
  EXPECT_EQ(context.ancestors[1].pid, 100);
  EXPECT_EQ(context.ancestors[1].comm, "");
}

TEST_F(ProcessTableTest, AncestorsRecordedByTheKernel) {
  ProcessTable table(proc.options(), clock);
  Event event = make_event(EventKind::Exec, {.tgid = 500, .ppid = 300});
  set(event, "process.ancestors.comm",
      std::vector<std::string>{"python3", "bash", "login", "systemd"});
  set(event, "parent.exe", "/usr/bin/python3.11");
  ProcessContext context = table.context_for(event);
  ASSERT_EQ(context.ancestors.size(), 4u);
  EXPECT_EQ(context.ancestors[0].pid, 300);
  EXPECT_EQ(context.ancestors[0].exe, "/usr/bin/python3.11");
  EXPECT_EQ(context.ancestors[1].pid, 200);  // the table agrees: pid and exe from it
  EXPECT_EQ(context.ancestors[1].exe, "/usr/bin/bash");
  EXPECT_EQ(context.ancestors[2].comm, "login");  // the table disagrees (sshd): no pid
  EXPECT_EQ(context.ancestors[2].pid, 0);
  EXPECT_EQ(context.ancestors[2].exe, "");
  EXPECT_EQ(context.ancestors[3].pid, 1);
}

TEST_F(ProcessTableTest, ObservesForkExecExit) {
  ProcessTable table(proc.options(), clock);
  table.seed_from_proc();
  // bash (200) forks 201.
  Event fork = make_event(EventKind::Fork, {.tgid = 200,
                                            .ppid = 100,
                                            .uid = 1000,
                                            .comm = "bash",
                                            .exe = "/usr/bin/bash",
                                            .start_time = int64_t(ticks_ns(1000))});
  set(fork, "fork.child_pid", 201);
  table.observe(fork);
  const ProcessEntry* child = table.find(201);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ppid, 200);
  EXPECT_EQ(child->comm, "bash");
  EXPECT_EQ(child->cmdline, "-bash");
  EXPECT_EQ(child->uid, 1000);
  EXPECT_EQ(child->start_time_ns, 0u);
  // 201 execs ls; the record has the command line.
  Event exec = make_event(EventKind::Exec, {.tgid = 201,
                                            .ppid = 200,
                                            .uid = 1000,
                                            .comm = "ls",
                                            .exe = "/usr/bin/ls",
                                            .cmdline = "ls -l /tmp",
                                            .start_time = 11'000'000'000});
  table.observe(exec);
  child = table.find(201);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->comm, "ls");
  EXPECT_EQ(child->exe, "/usr/bin/ls");
  EXPECT_EQ(child->cmdline, "ls -l /tmp");
  EXPECT_EQ(child->start_time_ns, 11'000'000'000u);
  // It execs again without a command line in the record: /proc has it.
  proc.add({201, 200, 1000, "grep", "/usr/bin/grep", {"grep", "-r", "x"}, 1100});
  Event exec2 = make_event(EventKind::Exec, {.tgid = 201,
                                             .ppid = 200,
                                             .uid = 1000,
                                             .comm = "grep",
                                             .exe = "/usr/bin/grep",
                                             .start_time = 11'000'000'000});
  table.observe(exec2);
  EXPECT_EQ(table.find(201)->cmdline, "grep -r x");
  EXPECT_EQ(table.context_for(exec2).cmdline, "grep -r x");
  // Exec of the same binary again: the record's (empty) cmdline, /proc's new one.
  proc.add({201, 200, 1000, "grep", "/usr/bin/grep", {"grep", "y"}, 1100});
  table.observe(exec2);
  EXPECT_EQ(table.find(201)->cmdline, "grep y");
  // Exit forgets it.
  table.observe(make_event(EventKind::Exit, {.tgid = 201, .ppid = 200}));
  EXPECT_EQ(table.find(201), nullptr);
  EXPECT_NE(table.find(200), nullptr);
}

TEST_F(ProcessTableTest, StartTimeTellsAReusedTgid) {
  ProcessTable table(proc.options(), clock);
  table.seed_from_proc();
  // Within 20 ms of /proc's tick: the same process (cmdline kept).
  Event same =
      make_event(EventKind::FileOpen, {.tgid = 200,
                                       .ppid = 100,
                                       .uid = 1000,
                                       .comm = "bash",
                                       .exe = "/usr/bin/bash",
                                       .start_time = int64_t(ticks_ns(1000)) + 15'000'000});
  table.observe(same);
  EXPECT_EQ(table.find(200)->cmdline, "-bash");
  EXPECT_EQ(table.find(200)->start_time_ns, ticks_ns(1000) + 15'000'000);  // the kernel's, exact
  // Started 80 s later: another process under the same tgid. /proc still
  // shows the old one (a fake tree does not change): made from the event alone.
  Event other = make_event(EventKind::FileOpen, {.tgid = 200,
                                                 .ppid = 1,
                                                 .uid = 0,
                                                 .comm = "cron",
                                                 .exe = "/usr/sbin/cron",
                                                 .start_time = 90'000'000'000});
  table.observe(other);
  const ProcessEntry* entry = table.find(200);
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->comm, "cron");
  EXPECT_EQ(entry->exe, "/usr/sbin/cron");
  EXPECT_EQ(entry->cmdline, "");
  EXPECT_EQ(entry->ppid, 1);
  EXPECT_EQ(entry->start_time_ns, 90'000'000'000u);
}

TEST_F(ProcessTableTest, BoundedByLeastRecentUse) {
  ProcessTableOptions options = proc.options();
  options.max_entries = 3;
  ProcessTable table(options, clock);
  auto touch = [&](int64_t tgid) {
    table.observe(make_event(EventKind::FileOpen, {.tgid = tgid, .ppid = 1, .comm = "t"}));
  };
  for (int64_t tgid = 5001; tgid <= 5003; ++tgid) touch(tgid);
  touch(5001);  // 5002 is now the least recently used
  touch(5004);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.find(5002), nullptr);
  EXPECT_NE(table.find(5001), nullptr);
  EXPECT_NE(table.find(5003), nullptr);
  EXPECT_NE(table.find(5004), nullptr);
  // Many short-lived processes, never seen exiting: still three entries.
  for (int64_t tgid = 10'000; tgid < 20'000; ++tgid) {
    Event fork = make_event(EventKind::Fork, {.tgid = 5001, .ppid = 1, .comm = "t"});
    set(fork, "fork.child_pid", tgid);
    table.observe(fork);
  }
  EXPECT_EQ(table.size(), 3u);
}

TEST_F(ProcessTableTest, BadInput) {
  ProcessTable table(proc.options(), clock);
  proc.add({1200, 1, 0, "x", "/bin/x", {"x"}, 10});
  std::ofstream(proc.root() + "/1200/stat") << "1200 (x S";  // truncated
  std::ofstream(proc.root() + "/1201") << "not a directory";
  EXPECT_EQ(table.seed_from_proc(), 5u);
  EXPECT_EQ(table.find(1200), nullptr);
  // Events without a process, or with nonsense.
  Event empty(EventKind::Exec);
  ProcessContext context = table.context_for(empty);
  EXPECT_EQ(context.tgid, 0);
  EXPECT_TRUE(context.ancestors.empty());
  table.observe(empty);
  table.fill_user_space_fields(empty);
  EXPECT_EQ(get_string(empty, "user.name"), "root");  // uid 0
  Event negative = make_event(EventKind::Exec, {.tgid = -5, .ppid = -7, .uid = -1});
  EXPECT_TRUE(table.context_for(negative).ancestors.empty());
  EXPECT_EQ(table.context_for(negative).user_name, "");
  // A missing /proc.
  ProcessTableOptions options = proc.options();
  options.proc_root = "/nonexistent/proc";
  ProcessTable nothing(options, clock);
  EXPECT_EQ(nothing.seed_from_proc(), 0u);
}

// ---- ProcessTable on the real machine -------------------------------------------------

TEST(ProcessTableRealMachine, OwnContext) {
  ClockMapping clock;
  ProcessTable table(ProcessTableOptions{}, clock);
  EXPECT_GT(table.seed_from_proc(), 1u);
  const std::string own_exe = read_link("/proc/self/exe");
  ASSERT_FALSE(own_exe.empty());
  const ProcessEntry* own = table.find(::getpid());
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->exe, own_exe);
  EXPECT_EQ(own->ppid, ::getppid());

  // What a record without exe, cmdline or start time would leave to the table.
  Event event(EventKind::FileOpen);
  set(event, "process.pid", static_cast<int64_t>(::gettid()));
  set(event, "process.tgid", static_cast<int64_t>(::getpid()));
  set(event, "process.ppid", static_cast<int64_t>(::getppid()));
  set(event, "process.uid", static_cast<int64_t>(::getuid()));
  ProcessContext context = table.context_for(event);
  EXPECT_EQ(context.exe, own_exe);
  // /proc/self/cmdline's arguments joined by spaces (the first KiB).
  std::string cmdline = read_text("/proc/self/cmdline").substr(0, 1024);
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  EXPECT_EQ(context.cmdline, cmdline);
  EXPECT_NE(context.cmdline.find("vigil_unit_tests"), std::string::npos);
  EXPECT_EQ(context.user_name, nss_user_name(static_cast<uint32_t>(::getuid())).value_or(""));
  if (::getuid() == 0) {
    EXPECT_EQ(context.user_name, "root");
  }
  // Started moments ago, by the wall clock.
  int64_t now = clock_ns(CLOCK_REALTIME);
  EXPECT_LE(context.start_time_unix_ns, now + 20'000'000);
  EXPECT_GT(context.start_time_unix_ns, now - 3'600LL * 1'000'000'000);
  ASSERT_FALSE(context.ancestors.empty());
  EXPECT_EQ(context.ancestors[0].pid, ::getppid());
  EXPECT_EQ(context.ancestors[0].exe, read_link("/proc/" + std::to_string(::getppid()) + "/exe"));
  EXPECT_LE(context.ancestors.size(), 8u);
  EXPECT_EQ(context.container_id, container_id_from_proc_cgroup(read_text("/proc/self/cgroup")));
}

}  // namespace
}  // namespace vigil::runtime
