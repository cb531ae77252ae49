// Compiled objects against the real kernel: libbpf applies the CO-RE
// relocations, the verifier accepts the programs, and they read the right
// task_struct fields. Needs root (CAP_BPF, CAP_PERFMON); fails without it.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>

#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/bpfcc/isolated_compile.h"
#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

using test_support::read_test_program;

struct ObjectCloser {
  void operator()(bpf_object* object) const { bpf_object__close(object); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;

class BpfLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the BPF load tests must run as root: they load programs "
                                "into the kernel (CAP_BPF, CAP_PERFMON)";
  }

  // tp/ programs attach through tracefs (the event id); mount it where a
  // minimal system has not. It stays mounted, as on any systemd machine.
  static void ensure_tracefs() {
    if (access("/sys/kernel/tracing/events", F_OK) == 0) return;
    ASSERT_EQ(mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr), 0)
        << "cannot mount tracefs on /sys/kernel/tracing: " << std::strerror(errno);
  }

  // Compiles `program` (in a worker, as vigil does) and opens the object.
  static Object open(const std::string& program) {
    BpfCompileRequest request;
    request.source = read_test_program(program);
    request.source_name = program;
    BpfCompileResult compiled = compile_bpf_isolated(request);
    EXPECT_TRUE(compiled.ok) << compiled.error << "\n" << compiled.diagnostics_text;
    if (!compiled.ok) return nullptr;
    bpf_object_open_opts options{};
    options.sz = sizeof options;
    options.object_name = "vigil_test";
    Object object(bpf_object__open_mem(compiled.object.data(), compiled.object.size(), &options));
    EXPECT_NE(object, nullptr) << "bpf_object__open_mem: " << std::strerror(errno);
    return object;
  }

  static bpf_map* internal_map(bpf_object* object, const char* suffix) {
    bpf_map* map;
    bpf_object__for_each_map(map, object) {
      std::string name = bpf_map__name(map);
      if (name.size() >= std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        return map;
    }
    return nullptr;
  }
};

TEST_F(BpfLoad, RepresentativeProgramPassesTheVerifier) {
  Object object = open("representative.bpf.c");
  ASSERT_NE(object, nullptr);
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";
  int programs = 0;
  bpf_program* program;
  bpf_object__for_each_program(program, object.get()) {
    EXPECT_GE(bpf_program__fd(program), 0) << bpf_program__name(program);
    ++programs;
  }
  EXPECT_EQ(programs, 6);
}

bpf_test_run_opts test_run_options(void* context, std::size_t size) {
  bpf_test_run_opts options{};
  options.sz = sizeof options;
  options.ctx_in = context;
  options.ctx_size_in = static_cast<std::uint32_t>(size);
  return options;
}

struct TaskEvent {
  std::uint32_t pid, tgid, ppid, uid, euid, loginuid;
  std::uint64_t cgroup_id, helper_cgroup_id;
  char comm[16], core_comm[16], exe[32], path[64];
};

int collect_event(void* context, void* data, size_t size) {
  if (size != sizeof(TaskEvent)) return -1;
  std::memcpy(context, data, sizeof(TaskEvent));
  return 1;  // stop polling: one event is enough
}

TEST_F(BpfLoad, TracepointReadsTheOpeningTaskThroughCoRe) {
  Object object = open("openat_task.bpf.c");
  ASSERT_NE(object, nullptr);
  bpf_map* rodata = internal_map(object.get(), ".rodata");
  ASSERT_NE(rodata, nullptr);
  std::uint32_t target_tgid = static_cast<std::uint32_t>(getpid());
  ASSERT_EQ(bpf_map__set_initial_value(rodata, &target_tgid, sizeof target_tgid), 0);
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";

  bpf_program* program = bpf_object__find_program_by_name(object.get(), "on_openat");
  ASSERT_NE(program, nullptr);
  ASSERT_NO_FATAL_FAILURE(ensure_tracefs());
  std::unique_ptr<bpf_link, int (*)(bpf_link*)> link(bpf_program__attach(program),
                                                     &bpf_link__destroy);
  ASSERT_NE(link, nullptr) << "attach: " << std::strerror(errno);
  TaskEvent event{};
  bpf_map* events = bpf_object__find_map_by_name(object.get(), "events");
  ASSERT_NE(events, nullptr);
  std::unique_ptr<ring_buffer, void (*)(ring_buffer*)> ring(
      ring_buffer__new(bpf_map__fd(events), collect_event, &event, nullptr), &ring_buffer__free);
  ASSERT_NE(ring, nullptr);

  std::string probe_path = "/vigil-bpfcc-probe-" + std::to_string(getpid());
  int fd = ::open(probe_path.c_str(), O_RDONLY);  // fails: the openat is what counts
  if (fd >= 0) close(fd);
  int polled = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (event.tgid == 0 && std::chrono::steady_clock::now() < deadline)
    polled = ring_buffer__poll(ring.get(), 100);
  ASSERT_GE(polled, 0);
  ASSERT_NE(event.tgid, 0u) << "no event from the openat tracepoint";

  char comm[16] = {};
  prctl(PR_GET_NAME, comm);
  std::uint32_t loginuid = 0;
  std::ifstream("/proc/self/loginuid") >> loginuid;
  EXPECT_EQ(event.pid, static_cast<std::uint32_t>(gettid()));
  EXPECT_EQ(event.tgid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(event.ppid, static_cast<std::uint32_t>(getppid()));
  EXPECT_EQ(event.uid, getuid());
  EXPECT_EQ(event.euid, geteuid());
  EXPECT_EQ(event.loginuid, loginuid);
  EXPECT_NE(event.cgroup_id, 0u);
  EXPECT_EQ(event.cgroup_id, event.helper_cgroup_id);  // CO-RE walk == kernel helper
  EXPECT_STREQ(event.comm, comm);
  EXPECT_STREQ(event.core_comm, comm);
  std::string self = test_support::self_executable();
  EXPECT_EQ(std::string(event.exe), self.substr(self.rfind('/') + 1));
  EXPECT_EQ(std::string(event.path), probe_path);
}

TEST_F(BpfLoad, SyscallProgramRunsOnDemand) {
  Object object = open("test_run.bpf.c");
  ASSERT_NE(object, nullptr);
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";
  bpf_program* program = bpf_object__find_program_by_name(object.get(), "compute");
  ASSERT_NE(program, nullptr);
  struct {
    std::int32_t a, b, sum;
  } args = {6, 7, 0};
  bpf_test_run_opts run = test_run_options(&args, sizeof args);
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(program), &run), 0) << std::strerror(errno);
  EXPECT_EQ(run.retval, 42u);
  EXPECT_EQ(args.sum, 13);
}

TEST_F(BpfLoad, RawTracepointProgramReadsTheCurrentTask) {
  Object object = open("test_run.bpf.c");
  ASSERT_NE(object, nullptr);
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";
  bpf_program* program = bpf_object__find_program_by_name(object.get(), "probe_task");
  ASSERT_NE(program, nullptr);
  std::uint64_t tracepoint_args[1] = {0x5eed};
  bpf_test_run_opts run = test_run_options(tracepoint_args, sizeof tracepoint_args);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(program), &run), 0) << std::strerror(errno);
  EXPECT_EQ(run.retval, 0u);

  bpf_map* bss = internal_map(object.get(), ".bss");
  ASSERT_NE(bss, nullptr);
  struct {
    std::uint32_t tgid, ppid;
    std::uint64_t arg0, calls;
  } result{};
  std::uint32_t zero = 0;
  ASSERT_EQ(bpf_map__lookup_elem(bss, &zero, sizeof zero, &result, sizeof result, 0), 0);
  EXPECT_EQ(result.tgid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(result.ppid, static_cast<std::uint32_t>(getppid()));
  EXPECT_EQ(result.arg0, 0x5eedu);
  EXPECT_EQ(result.calls, 2u);
}

}  // namespace
}  // namespace vigil::bpfcc
