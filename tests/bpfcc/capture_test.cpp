// The capture templates (bpf/templates/prelude.bpf.h and hooks.bpf.h) against
// the running kernel: a program built from them with a trivial matcher (a rule
// bit for the events of one process and of its children), compiled in a
// worker as vigil does, loaded and attached; a forked child then makes the
// real syscalls and each record read back from the ring buffer is checked
// field by field. Needs root, like the other load tests.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/bpfcc/isolated_compile.h"
#include "compiler/codegen/event_layout.h"
#include "compiler/schema.h"
#include "tests/bpfcc/test_support.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

namespace vigil::bpfcc {
namespace {

using codegen::EventLayout;

constexpr int kRuleWords = 2;
// struct vigil_record: magic, rule_words, generation (16 bytes), the verdict's
// two bitmaps, the enforcement (a bitmap and 8 bytes), then the event.
constexpr std::size_t kEventOffset = 24 + 24 * kRuleWords;
constexpr std::uint32_t kRecordMagic = 0x5649474c;
// vigil_stats: events seen per kind, then submitted, then dropped.
constexpr std::uint32_t kStatSubmitted = kEventKindCount;
constexpr std::uint32_t kStatDropped = kEventKindCount + 1;
constexpr std::uint32_t kStatCount = kEventKindCount + 2;

// ---- The program -------------------------------------------------------------------

struct ProgramShape {
  std::vector<EventKind> kinds;    // VIGIL_CAPTURE_*; empty: every kind
  bool all_needs = true;           // VIGIL_NEED_* for every kernel field
  std::vector<std::string> needs;  // else VIGIL_NEED_* for these fields only
  bool pending = false;            // the matcher sets a pending bit instead of matched
  bool harness = false;            // harness mode: harness.bpf.h instead of hooks.bpf.h
};

std::string capture_source(const ProgramShape& shape) {
  std::vector<EventKind> kinds = shape.kinds;
  if (kinds.empty())
    for (const EventInfo& event : all_events()) kinds.push_back(event.kind);
  std::ostringstream c;
  c << "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n"
       "#include <bpf/bpf_tracing.h>\n#include <bpf/bpf_endian.h>\n#include \"vigil/event.h\"\n"
    << "#define VIGIL_RULE_WORDS " << kRuleWords << "\n";
  if (shape.harness) c << "#define VIGIL_HARNESS 1\n";
  for (EventKind kind : kinds)
    c << "#define VIGIL_CAPTURE_" << codegen::c_identifier_upper(event_info(kind).name) << " 1\n";
  if (shape.all_needs)
    for (const FieldInfo& field : all_fields())
      if (field.source == FieldSource::Kernel)
        c << "#define VIGIL_NEED_" << codegen::c_identifier_upper(field.name) << " 1\n";
  if (!shape.all_needs)
    for (const std::string& field : shape.needs)
      c << "#define VIGIL_NEED_" << codegen::c_identifier_upper(field) << " 1\n";
  c << "#include \"vigil/prelude.bpf.h\"\n"
       "struct {\n  __uint(type, BPF_MAP_TYPE_ARRAY);\n  __uint(max_entries, 1);\n"
       "  __type(key, __u32);\n  __type(value, __s64);\n} vigil_test_target SEC(\".maps\");\n"
       "static __always_inline void vigil_test_match(struct vigil_event *ev,\n"
       "                                             struct vigil_verdict *verdict) {\n"
       // Matchers ask for the process context before reading it (the hooks
       // begin records without it).
       "  VIGIL_ENSURE_CONTEXT(ev);\n"
       "  __u32 zero = 0;\n"
       "  __s64 *target = bpf_map_lookup_elem(&vigil_test_target, &zero);\n"
       "  if (target && *target && (ev->process_tgid == *target || ev->process_ppid == *target))\n"
    << (shape.pending ? "    verdict->pending[1] = 1;\n" : "    verdict->matched[0] = 1;\n")
    << "}\n";
  for (EventKind kind : kinds)
    c << "static __always_inline void vigil_match_" << codegen::c_identifier(event_info(kind).name)
      << "(struct vigil_event *ev, struct vigil_verdict *verdict) { vigil_test_match(ev, verdict); "
         "}\nstatic __always_inline void vigil_state_"
      << codegen::c_identifier(event_info(kind).name)
      << "(struct vigil_event *ev, struct vigil_verdict *verdict) { (void)ev; (void)verdict; }\n"
         "static __always_inline void vigil_enforce_"
      << codegen::c_identifier(event_info(kind).name) << "(struct vigil_record *r) { (void)r; }\n";
  if (shape.harness) {
    c << "#include \"vigil/harness.bpf.h\"\n";
    for (EventKind kind : kinds)
      c << "VIGIL_HARNESS_PROGRAM(" << codegen::c_identifier(event_info(kind).name) << ")\n";
  } else {
    c << "#include \"vigil/hooks.bpf.h\"\n";
  }
  return c.str();
}

BpfCompileResult compile_capture(const ProgramShape& shape) {
  BpfCompileRequest request;
  request.source = capture_source(shape);
  request.source_name = "capture_test.bpf.c";
  request.headers = {{"vigil/event.h", EventLayout::get().c_declaration()}};
  return compile_bpf_isolated(request);
}

// ---- Loading, as vigil's loader must ----------------------------------------------------

struct ObjectCloser {
  void operator()(bpf_object* object) const { bpf_object__close(object); }
};
using Object = std::unique_ptr<bpf_object, ObjectCloser>;
using Link = std::unique_ptr<bpf_link, int (*)(bpf_link*)>;

bool tracepoint_exists(const std::string& category_and_name) {
  return access(("/sys/kernel/tracing/events/" + category_and_name).c_str(), F_OK) == 0;
}

// Programs on a tracepoint this kernel lacks are not loaded; the module-load
// fallback on raw_syscalls only where the module syscalls have none.
void choose_programs(bpf_object* object) {
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    std::string section = bpf_program__section_name(program);
    bool load = true;
    if (section.rfind("tp/", 0) == 0) load = tracepoint_exists(section.substr(3));
    if (std::string(bpf_program__name(program)) == "vigil_kernel_module_load_raw_syscalls")
      load = !tracepoint_exists("syscalls/sys_enter_finit_module");
    bpf_program__set_autoload(program, load);
  }
}

struct ProgramCost {
  std::string name;
  std::uint32_t verified_insns = 0;
};

std::vector<ProgramCost> program_costs(bpf_object* object) {
  std::vector<ProgramCost> costs;
  bpf_program* program;
  bpf_object__for_each_program(program, object) {
    if (bpf_program__fd(program) < 0) continue;
    bpf_prog_info info{};
    std::uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length) != 0) continue;
    costs.push_back({bpf_program__name(program), info.verified_insns});
  }
  return costs;
}

void ensure_tracefs() {
  if (access("/sys/kernel/tracing/events", F_OK) == 0) return;
  ASSERT_EQ(mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr), 0)
      << "cannot mount tracefs on /sys/kernel/tracing: " << std::strerror(errno);
}

// ---- A captured record ---------------------------------------------------------------

struct Captured {
  std::uint32_t magic = 0;
  std::uint32_t rule_words = 0;
  std::uint64_t matched0 = 0;
  std::uint64_t pending1 = 0;
  std::uint64_t truncated = 0;  // the event's truncated mask
  Event event{EventKind::Exec};
};

FieldId field_id(std::string_view name) {
  std::optional<FieldId> id = find_field(name);
  if (!id) ADD_FAILURE() << "no field " << name;
  return id.value_or(0);
}

std::string str(const Event& event, std::string_view name) {
  std::span<const Value> values = event.get(field_id(name));
  return values.empty() ? "<absent>" : std::get<std::string>(values[0]);
}

std::int64_t num(const Event& event, std::string_view name) {
  std::span<const Value> values = event.get(field_id(name));
  return values.empty() ? -12345 : std::get<std::int64_t>(values[0]);
}

bool boolean(const Event& event, std::string_view name) {
  std::span<const Value> values = event.get(field_id(name));
  return !values.empty() && std::get<bool>(values[0]);
}

std::vector<std::string> strs(const Event& event, std::string_view name) {
  std::vector<std::string> out;
  for (const Value& value : event.get(field_id(name))) out.push_back(std::get<std::string>(value));
  return out;
}

std::string ip(const Event& event, std::string_view name) {
  std::span<const Value> values = event.get(field_id(name));
  return values.empty() ? "<absent>" : std::get<IpAddress>(values[0]).to_string();
}

// Every field of a record, for failure messages.
std::string describe(const Captured& record) {
  std::ostringstream out;
  out << event_info(record.event.kind()).name << " truncated=0x" << std::hex << record.truncated
      << std::dec;
  for (const FieldInfo& field : all_fields()) {
    std::span<const Value> values = record.event.get(field.id);
    if (values.empty()) continue;
    out << "\n  " << field.name << " =";
    for (const Value& value : values) out << " [" << value_to_string(value) << "]";
  }
  return out.str();
}

bool truncated(const Captured& record, std::string_view name) {
  return (record.truncated >> field_id(name)) & 1;
}

// ---- The run: load, attach, fork the actor, collect ----------------------------------------

// What the actor (the forked child) tells the test about what it did.
struct ActorReport {
  int failed_step = 0;  // first step that did not work; 0: all did
  pid_t fork_exit_child = 0, exec_child = 0, traceme_child = 0, many_args_child = 0,
        long_arg_child = 0, nested_child = 0, mount_child = 0, no_tty_child = 0;
  pid_t thread_tid = 0;
  int listen_port = 0, client_port = 0, client2_port = 0, udp_port = 0;
  bool ipv6 = false;
  char tty[32] = {};
  char stdin_type[8] = {}, stdout_type[8] = {};  // fd 0 and 1 as fstat sees them
};

struct RunResult {
  std::vector<Captured> records;
  ActorReport report;
  pid_t actor = 0;
  int actor_status = 0;
  std::vector<ProgramCost> costs;
  std::vector<std::uint64_t> stats;  // vigil_stats, summed over CPUs
  std::uint64_t started_ns = 0, ended_ns = 0;
};

std::uint64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::uint64_t(now.tv_sec) * 1000000000u + std::uint64_t(now.tv_nsec);
}

int collect_record(void* context, void* data, size_t size) {
  auto* records = static_cast<std::vector<Captured>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (size < kEventOffset + EventLayout::get().size()) return -1;
  std::optional<Event> event =
      EventLayout::get().decode(std::span(bytes + kEventOffset, size - kEventOffset));
  if (!event) return -1;
  Captured record;
  std::memcpy(&record.magic, bytes, 4);
  std::memcpy(&record.rule_words, bytes + 4, 4);
  std::memcpy(&record.matched0, bytes + 16, 8);
  std::memcpy(&record.pending1, bytes + 16 + 8 * kRuleWords + 8, 8);
  std::memcpy(&record.truncated, bytes + kEventOffset + codegen::kEventTruncatedOffset, 8);
  record.event = std::move(*event);
  records->push_back(std::move(record));
  return 0;
}

// Compiles `shape`, loads and attaches it, forks the actor (which waits until
// the matcher targets it, then runs `act`), and reads records until the actor
// has exited and the ring buffer is drained.
void run_capture(const ProgramShape& shape, const std::function<void(ActorReport&)>& act,
                 RunResult& result) {
  ASSERT_EQ(geteuid(), 0u) << "the capture tests load BPF programs: run them as root";
  ASSERT_NO_FATAL_FAILURE(ensure_tracefs());
  BpfCompileResult compiled = compile_capture(shape);
  ASSERT_TRUE(compiled.ok) << compiled.error << "\n" << compiled.diagnostics_text;
  bpf_object_open_opts options{};
  options.sz = sizeof options;
  options.object_name = "vigil_capture";
  Object object(bpf_object__open_mem(compiled.object.data(), compiled.object.size(), &options));
  ASSERT_NE(object, nullptr) << "bpf_object__open_mem: " << std::strerror(errno);
  choose_programs(object.get());
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";
  result.costs = program_costs(object.get());

  std::vector<Link> links;
  bpf_program* program;
  bpf_object__for_each_program(program, object.get()) {
    if (bpf_program__fd(program) < 0) continue;
    links.emplace_back(bpf_program__attach(program), &bpf_link__destroy);
    ASSERT_NE(links.back(), nullptr)
        << "attach " << bpf_program__name(program) << ": " << std::strerror(errno);
  }
  bpf_map* events = bpf_object__find_map_by_name(object.get(), "vigil_events");
  bpf_map* target = bpf_object__find_map_by_name(object.get(), "vigil_test_target");
  bpf_map* stats = bpf_object__find_map_by_name(object.get(), "vigil_stats");
  ASSERT_TRUE(events && target && stats);
  std::unique_ptr<ring_buffer, void (*)(ring_buffer*)> ring(
      ring_buffer__new(bpf_map__fd(events), collect_record, &result.records, nullptr),
      &ring_buffer__free);
  ASSERT_NE(ring, nullptr);

  int go[2], report[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  result.started_ns = monotonic_ns();
  pid_t actor = fork();
  ASSERT_GE(actor, 0);
  if (actor == 0) {
    char byte;
    if (read(go[0], &byte, 1) != 1) _exit(100);
    ActorReport r;
    act(r);
    if (write(report[1], &r, sizeof r) != sizeof r) _exit(101);
    _exit(0);
  }
  close(go[0]);
  close(report[1]);
  result.actor = actor;
  std::uint32_t zero = 0;
  std::int64_t target_tgid = actor;
  EXPECT_EQ(bpf_map__update_elem(target, &zero, sizeof zero, &target_tgid, sizeof target_tgid, 0),
            0);
  EXPECT_EQ(write(go[1], "g", 1), 1);
  close(go[1]);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool exited = false;
  while (!exited && std::chrono::steady_clock::now() < deadline) {
    ring_buffer__poll(ring.get(), 20);
    exited = waitpid(actor, &result.actor_status, WNOHANG) == actor;
  }
  if (!exited) {
    kill(actor, SIGKILL);
    waitpid(actor, &result.actor_status, 0);
    ADD_FAILURE() << "the actor did not finish in 60 s";
  }
  // Drain: the actor's own exit event is written before its parent is woken.
  while (ring_buffer__poll(ring.get(), 100) > 0) {
  }
  result.ended_ns = monotonic_ns();
  EXPECT_EQ(read(report[0], &result.report, sizeof result.report),
            static_cast<ssize_t>(sizeof result.report));
  close(report[0]);

  int cpus = libbpf_num_possible_cpus();
  ASSERT_GT(cpus, 0);
  result.stats.assign(kStatCount, 0);
  std::vector<std::uint64_t> per_cpu(cpus);
  for (std::uint32_t slot = 0; slot < result.stats.size(); ++slot) {
    ASSERT_EQ(bpf_map__lookup_elem(stats, &slot, sizeof slot, per_cpu.data(),
                                   per_cpu.size() * sizeof(std::uint64_t), 0),
              0);
    for (std::uint64_t value : per_cpu) result.stats[slot] += value;
  }
}

// ---- What the actor does ---------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Paths and data prepared before the fork.
struct Scenario {
  std::string dir;         // canonical temp dir
  std::string true_path;   // canonical /bin/true
  std::string true_image;  // its bytes, for copies
  std::string path(const std::string& name) const { return dir + "/" + name; }
  std::string mnt() const { return path("mnt"); }
  std::string mounted_exe() const { return mnt() + "/sub/vigil-true"; }
  std::string nested_exe() const { return path("x/y/z/vigil-true"); }
  std::string exact_path;  // 255 bytes: fills file.path without truncation
  std::string long_path;   // 300 bytes
  std::string long_arg = std::string(200, 'x');
  std::string longer_arg = std::string(600, 'y');
};

std::vector<std::string> many_args(const Scenario& s) {
  std::vector<std::string> args = {"/bin/true", s.long_arg};
  for (int i = 1; i <= 16; ++i) args.push_back(std::to_string(i));
  return args;  // 18 arguments
}

std::vector<std::string> long_args(const Scenario& s) {
  return {"/bin/true", s.longer_arg, "z"};
}

pid_t spawn(const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  return pid;
}

void exec_program(const std::string& path, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(path.c_str(), argv.data());
  _exit(127);
}

int wait_for(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

bool write_file(const std::string& path, const std::string& bytes, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  return close(fd) == 0 && ok;
}

void* note_tid(void* out) {
  *static_cast<pid_t*>(out) = gettid();
  return nullptr;
}

int bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

// What process.stdin_type / stdout_type should say of descriptor `fd`, from
// fstat(2): the user-space view of the same inode.
std::string fd_type_of(int fd) {
  struct stat info{};
  if (fstat(fd, &info) != 0) return "none";
  switch (info.st_mode & S_IFMT) {
    case S_IFSOCK: return "socket";
    case S_IFIFO: return "pipe";
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFBLK: return "block";
    case S_IFCHR: {
      unsigned int device_major = major(info.st_rdev);
      bool terminal =
          device_major == 4 || device_major == 5 || (device_major >= 136 && device_major <= 143);
      return terminal ? "tty" : "char";
    }
    default: return "other";
  }
}

// Every syscall family the templates hook, through raw syscall(2) so that
// libc does not pick another member of the family.
void act(const Scenario& s, ActorReport& r) {
  int step = 0;
  auto check = [&](bool ok) {
    ++step;
    if (!ok && r.failed_step == 0) r.failed_step = step;
  };
  const char* any = nullptr;
  uid_t uid = getuid();
  gid_t gid = getgid();
  prctl(PR_SET_NAME, "vigil-capture");

  // A controlling terminal: process.tty.
  check(setsid() > 0);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  check(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
  const char* pts = ptsname(master);
  check(pts != nullptr && open(pts, O_RDWR) >= 0);
  if (pts) std::snprintf(r.tty, sizeof r.tty, "%s", pts + std::strlen("/dev/"));
  std::snprintf(r.stdin_type, sizeof r.stdin_type, "%s", fd_type_of(0).c_str());
  std::snprintf(r.stdout_type, sizeof r.stdout_type, "%s", fd_type_of(1).c_str());

  // file.open
  check(close(syscall(SYS_open, s.path("a").c_str(), O_WRONLY | O_CREAT, 0640)) == 0);
  int file_b =
      syscall(SYS_openat, AT_FDCWD, s.path("b").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  check(file_b >= 0);
  check(close(syscall(SYS_openat, AT_FDCWD, s.path("b").c_str(), O_RDONLY, 0777)) == 0);
  struct {
    std::uint64_t flags, mode, resolve;
  } how = {O_RDWR | O_CREAT, 0600, 0};
  check(close(syscall(SYS_openat2, AT_FDCWD, s.path("c").c_str(), &how, sizeof how)) == 0);
  check(close(syscall(SYS_creat, s.path("d").c_str(), 0644)) == 0);
  syscall(SYS_openat, AT_FDCWD, s.exact_path.c_str(), O_RDONLY);
  syscall(SYS_openat, AT_FDCWD, s.long_path.c_str(), O_RDONLY);
  // file.rename, file.mkdir, file.unlink
  check(syscall(SYS_rename, s.path("a").c_str(), s.path("a2").c_str()) == 0);
  check(syscall(SYS_renameat, AT_FDCWD, s.path("a2").c_str(), AT_FDCWD, s.path("a3").c_str()) == 0);
  check(syscall(SYS_renameat2, AT_FDCWD, s.path("a3").c_str(), AT_FDCWD, s.path("a4").c_str(), 0) ==
        0);
  check(syscall(SYS_mkdir, s.path("e").c_str(), 0750) == 0);
  check(syscall(SYS_mkdirat, AT_FDCWD, s.path("f").c_str(), 01777) == 0);
  check(syscall(SYS_rmdir, s.path("e").c_str()) == 0);
  check(syscall(SYS_unlink, s.path("a4").c_str()) == 0);
  check(syscall(SYS_unlinkat, AT_FDCWD, s.path("f").c_str(), AT_REMOVEDIR) == 0);
  // file.chmod, file.chown
  check(syscall(SYS_chmod, s.path("b").c_str(), 04755) == 0);
  check(syscall(SYS_fchmod, file_b, 0640) == 0);
  check(syscall(SYS_fchmodat, AT_FDCWD, s.path("b").c_str(), 0600) == 0);
  syscall(SYS_fchmodat2, AT_FDCWD, s.path("b").c_str(), 0604, 0);
  check(syscall(SYS_chown, s.path("b").c_str(), uid, gid) == 0);
  check(syscall(SYS_lchown, s.path("b").c_str(), -1, gid) == 0);
  check(syscall(SYS_fchown, file_b, uid, -1) == 0);
  check(syscall(SYS_fchownat, AT_FDCWD, s.path("b").c_str(), uid, gid, 0) == 0);
  // file.link, file.symlink
  check(syscall(SYS_link, s.path("b").c_str(), s.path("b.link").c_str()) == 0);
  check(syscall(SYS_linkat, AT_FDCWD, s.path("b").c_str(), AT_FDCWD, s.path("b.link2").c_str(),
                0) == 0);
  check(syscall(SYS_symlink, "symlink target text", s.path("s1").c_str()) == 0);
  check(syscall(SYS_symlinkat, "t2", AT_FDCWD, s.path("s2").c_str()) == 0);

  // net.bind, net.listen, net.connect, net.accept over loopback TCP.
  sockaddr_in loopback{};
  loopback.sin_family = AF_INET;
  loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(syscall(SYS_bind, listener, &loopback, sizeof loopback) == 0);
  check(syscall(SYS_listen, listener, 4) == 0);
  r.listen_port = bound_port(listener);
  loopback.sin_port = htons(r.listen_port);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(syscall(SYS_connect, client, &loopback, sizeof loopback) == 0);
  r.client_port = bound_port(client);
  check(close(syscall(SYS_accept, listener, any, any)) == 0);
  int client2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(syscall(SYS_connect, client2, &loopback, sizeof loopback) == 0);
  r.client2_port = bound_port(client2);
  check(close(syscall(SYS_accept4, listener, any, any, SOCK_CLOEXEC)) == 0);
  // UDP bind; IPv6 (v4-mapped and not); a unix socket.
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  loopback.sin_port = 0;
  check(syscall(SYS_bind, udp, &loopback, sizeof loopback) == 0);
  r.udp_port = bound_port(udp);
  int udp6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  r.ipv6 = udp6 >= 0;
  if (r.ipv6) {
    sockaddr_in6 mapped{};
    mapped.sin6_family = AF_INET6;
    mapped.sin6_port = htons(9);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    syscall(SYS_connect, udp6, &mapped, sizeof mapped);
    int udp6b = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(10);
    inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
    syscall(SYS_connect, udp6b, &v6, sizeof v6);
  }
  int unix_socket = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un unix_address{};
  unix_address.sun_family = AF_UNIX;
  std::snprintf(unix_address.sun_path, sizeof unix_address.sun_path, "%s",
                s.path("no-such-socket").c_str());
  syscall(SYS_connect, unix_socket, &unix_address, sizeof unix_address);

  // process.setuid / setgid: no-ops for the ids we already have.
  check(syscall(SYS_setuid, uid) == 0);
  check(syscall(SYS_setreuid, -1, uid) == 0);
  check(syscall(SYS_setresuid, -1, -1, -1) == 0);
  syscall(SYS_setfsuid, uid);
  check(syscall(SYS_setgid, gid) == 0);
  check(syscall(SYS_setregid, gid, -1) == 0);
  check(syscall(SYS_setresgid, -1, -1, gid) == 0);
  syscall(SYS_setfsgid, gid);

  // process.ptrace: an attach that fails, and a TRACEME in a child.
  syscall(SYS_ptrace, PTRACE_ATTACH, 0x7ffffff0, 0, 0);
  r.traceme_child = spawn([] { syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0); });
  check(wait_for(r.traceme_child) == 0);

  // bpf, process.memfd_create, kernel.module_load (all fail or are harmless).
  syscall(SYS_bpf, 1000, any, 0);
  check(close(syscall(SYS_memfd_create, "vigil-test", MFD_CLOEXEC)) == 0);
  syscall(SYS_finit_module, -1, "", 0);
  syscall(SYS_finit_module, file_b, "", 0);
  syscall(SYS_init_module, any, 0, "");

  // mount: in a mount namespace of our own; then run a copy of true from the
  // new tmpfs (process.exe crosses a mount).
  check(unshare(CLONE_NEWNS) == 0);
  check(syscall(SYS_mount, any, "/", any, MS_REC | MS_PRIVATE, any) == 0);
  check(syscall(SYS_mount, "vigil-src", s.mnt().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=4m") == 0);
  check(mkdir((s.mnt() + "/sub").c_str(), 0755) == 0);
  check(write_file(s.mounted_exe(), s.true_image, 0755));
  r.mount_child = spawn([&] { exec_program(s.mounted_exe(), {"vigil-true"}); });
  check(wait_for(r.mount_child) == 0);
  check(write_file(s.nested_exe(), s.true_image, 0755));
  r.nested_child = spawn([&] { exec_program(s.nested_exe(), {"vigil-true"}); });
  check(wait_for(r.nested_child) == 0);

  // fork + exit, a thread (neither a fork nor an exit event), exec.
  r.fork_exit_child = spawn([] { _exit(3); });
  check(wait_for(r.fork_exit_child) == 3 << 8);
  pthread_t thread;
  check(pthread_create(&thread, nullptr, note_tid, &r.thread_tid) == 0);
  check(pthread_join(thread, nullptr) == 0);
  r.exec_child = spawn([] { exec_program("/bin/true", {"/bin/true", "a", "b"}); });
  check(wait_for(r.exec_child) == 0);
  r.many_args_child = spawn([&] { exec_program("/bin/true", many_args(s)); });
  check(wait_for(r.many_args_child) == 0);
  r.long_arg_child = spawn([&] { exec_program("/bin/true", long_args(s)); });
  check(wait_for(r.long_arg_child) == 0);
  // Without a controlling terminal.
  r.no_tty_child = spawn([&] {
    setsid();
    syscall(SYS_openat, AT_FDCWD, s.path("no-tty").c_str(), O_RDONLY);
  });
  check(wait_for(r.no_tty_child) == 0);
  close(file_b);
}

// ---- Expectations from /proc ----------------------------------------------------------

struct ProcessInfo {
  std::string comm;
  std::optional<std::string> exe;  // nullopt: not readable here
  pid_t ppid = 0;
};

std::optional<ProcessInfo> process_info(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  std::string stat = read_file(base + "/stat");
  std::size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  ProcessInfo info;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string state;
  rest >> state >> info.ppid;
  info.comm = read_file(base + "/comm");
  if (!info.comm.empty() && info.comm.back() == '\n') info.comm.pop_back();
  char exe[4096];
  ssize_t size = readlink((base + "/exe").c_str(), exe, sizeof exe - 1);
  if (size > 0) {
    std::string path(exe, static_cast<std::size_t>(size));
    const std::string deleted = " (deleted)";
    if (path.size() > deleted.size() &&
        path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
      path.resize(path.size() - deleted.size());
    info.exe = path;
  }
  return info;
}

// `pid` and its ancestors (real parents), up to `count`, stopping below pid 1.
std::vector<ProcessInfo> lineage(pid_t pid, std::size_t count) {
  std::vector<ProcessInfo> chain;
  while (pid > 0 && chain.size() < count) {
    std::optional<ProcessInfo> info = process_info(pid);
    if (!info) break;
    chain.push_back(*info);
    pid = info->ppid;
  }
  return chain;
}

std::vector<std::string> own_argv() {
  std::string text = read_file("/proc/self/cmdline");
  std::vector<std::string> args;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

std::string joined(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& arg : args) out += (out.empty() ? "" : " ") + arg;
  return out;
}

// What the record holds of an argv: 16 arguments of at most 127 bytes, and
// the joined line cut to 511 bytes.
std::vector<std::string> recorded_args(std::vector<std::string> args) {
  if (args.size() > 16) args.resize(16);
  for (std::string& arg : args)
    if (arg.size() > 127) arg.resize(127);
  return args;
}

std::string recorded_cmdline(const std::vector<std::string>& args) {
  return joined(args).substr(0, 511);
}

// The id of this process's cgroup v2: the inode of its directory.
std::optional<std::uint64_t> own_cgroup_id() {
  std::istringstream cgroups(read_file("/proc/self/cgroup"));
  std::string line, relative;
  while (std::getline(cgroups, line))
    if (line.rfind("0::", 0) == 0) relative = line.substr(3);
  std::istringstream mounts(read_file("/proc/self/mounts"));
  std::string device, mount_point, type;
  while (std::getline(mounts, line)) {
    std::istringstream fields(line);
    fields >> device >> mount_point >> type;
    if (type != "cgroup2") continue;
    struct stat info{};
    if (stat((mount_point + relative).c_str(), &info) == 0) return info.st_ino;
  }
  return std::nullopt;
}

// ---- The tests ---------------------------------------------------------------------

class Capture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scenario_ = std::make_unique<Scenario>();
    Scenario& s = *scenario_;
    char temp[] = "/tmp/vigil-capture-XXXXXX";
    ASSERT_NE(mkdtemp(temp), nullptr);
    s.dir = std::filesystem::canonical(temp).string();
    std::filesystem::create_directories(s.path("x/y/z"));
    std::filesystem::create_directories(s.mnt());
    s.true_path = std::filesystem::canonical("/bin/true").string();
    s.true_image = read_file(s.true_path);
    ASSERT_FALSE(s.true_image.empty());
    s.exact_path = s.dir + "/" + std::string(255 - s.dir.size() - 1, 'p');
    s.long_path = s.dir + "/" + std::string(300 - s.dir.size() - 1, 'q');
    run_ = std::make_unique<RunResult>();
    run_capture({}, [&](ActorReport& r) { act(s, r); }, *run_);
    ready_ = !::testing::Test::HasFailure();
  }

  static void TearDownTestSuite() {
    if (scenario_ && !scenario_->dir.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(scenario_->dir, ignored);
    }
    run_.reset();
    scenario_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(ready_) << "the capture run failed: see the first test's output";
    ASSERT_TRUE(WIFEXITED(run_->actor_status) && WEXITSTATUS(run_->actor_status) == 0)
        << "actor status " << run_->actor_status;
    ASSERT_EQ(run_->report.failed_step, 0) << "a syscall of the actor failed";
  }

  static const Scenario& s() { return *scenario_; }
  static const ActorReport& report() { return run_->report; }
  static pid_t actor() { return run_->actor; }

  // Records of `kind` from process `tgid` satisfying `keep`.
  static std::vector<const Captured*> records(
      EventKind kind, pid_t tgid,
      const std::function<bool(const Event&)>& keep = [](const Event&) { return true; }) {
    std::vector<const Captured*> out;
    for (const Captured& record : run_->records)
      if (record.event.kind() == kind && num(record.event, "process.tgid") == tgid &&
          keep(record.event))
        out.push_back(&record);
    return out;
  }

  // The one record of `kind` from the actor whose `field` is `value`.
  static const Captured* file_record(EventKind kind, const std::string& path) {
    std::vector<const Captured*> found =
        records(kind, actor(), [&](const Event& e) { return str(e, "file.path") == path; });
    EXPECT_EQ(found.size(), 1u) << event_info(kind).name << " " << path;
    return found.size() == 1 ? found[0] : nullptr;
  }

  static inline std::unique_ptr<Scenario> scenario_;
  static inline std::unique_ptr<RunResult> run_;
  static inline bool ready_ = false;
};

TEST_F(Capture, EveryProgramPassesTheVerifierWithEveryFieldCaptured) {
  std::uint64_t total = 0;
  std::cout << "verified instructions (all VIGIL_CAPTURE_*, all VIGIL_NEED_*):\n";
  for (const ProgramCost& cost : run_->costs) {
    std::cout << "  " << cost.name << " " << cost.verified_insns << "\n";
    EXPECT_GT(cost.verified_insns, 0u) << cost.name;
    EXPECT_LT(cost.verified_insns, 20000u) << cost.name << ": keep the capture cheap to verify";
    total += cost.verified_insns;
  }
  std::cout << "  total " << total << " over " << run_->costs.size() << " programs\n";
  // Every hook of the schema's event kinds, plus the cache programs' absence:
  // the exec/exit hooks maintain the cache themselves.
  std::vector<std::string> names;
  for (const ProgramCost& cost : run_->costs) names.push_back(cost.name);
  for (const char* expected : {"vigil_exec_sched_process_exec", "vigil_exit_sched_process_exit",
                               "vigil_fork_sched_process_fork", "vigil_file_open_openat",
                               "vigil_net_accept_accept4", "vigil_mount_mount"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  EXPECT_EQ(std::find(names.begin(), names.end(), "vigil_cache_exec"), names.end());
}

TEST_F(Capture, RecordsCarryTheHeaderTheVerdictAndTheStatistics) {
  ASSERT_FALSE(run_->records.empty());
  for (const Captured& record : run_->records) {
    EXPECT_EQ(record.magic, kRecordMagic);
    EXPECT_EQ(record.rule_words, static_cast<std::uint32_t>(kRuleWords));
    EXPECT_EQ(record.matched0, 1u);
    EXPECT_GE(record.event.time_ns, run_->started_ns);
    EXPECT_LE(record.event.time_ns, run_->ended_ns);
  }
  EXPECT_EQ(run_->stats[kStatSubmitted], run_->records.size());
  EXPECT_EQ(run_->stats[kStatDropped], 0u);
  for (const EventInfo& event : all_events()) {
    std::uint64_t seen = run_->stats[static_cast<std::size_t>(event.kind)];
    if (event.kind == EventKind::KernelModuleLoad && !tracepoint_exists("raw_syscalls/sys_enter") &&
        !tracepoint_exists("syscalls/sys_enter_finit_module"))
      continue;
    EXPECT_GT(seen, 0u) << event.name << ": no event counted";
    bool recorded = std::any_of(run_->records.begin(), run_->records.end(),
                                [&](const Captured& r) { return r.event.kind() == event.kind; });
    EXPECT_TRUE(recorded) << event.name << ": no record";
  }
}

TEST_F(Capture, ProcessContextDescribesTheActingProcess) {
  const Captured* record = file_record(EventKind::FileOpen, s().path("a"));
  ASSERT_NE(record, nullptr);
  SCOPED_TRACE(describe(*record));
  const Event& e = record->event;
  EXPECT_EQ(num(e, "process.pid"), actor());
  EXPECT_EQ(num(e, "process.tgid"), actor());
  EXPECT_EQ(num(e, "process.ppid"), getpid());
  EXPECT_EQ(num(e, "process.uid"), getuid());
  EXPECT_EQ(num(e, "process.euid"), geteuid());
  EXPECT_EQ(num(e, "process.gid"), getgid());
  EXPECT_EQ(str(e, "process.comm"), "vigil-capture");
  EXPECT_EQ(str(e, "process.exe"), test_support::self_executable());
  EXPECT_EQ(str(e, "process.tty"), report().tty);
  EXPECT_EQ(std::string(report().tty).rfind("pts/", 0), 0u) << report().tty;
  EXPECT_EQ(str(e, "process.stdin_type"), report().stdin_type);
  EXPECT_EQ(str(e, "process.stdout_type"), report().stdout_type);
  std::optional<std::uint64_t> cgroup = own_cgroup_id();
  if (cgroup)
    EXPECT_EQ(num(e, "process.cgroup_id"), static_cast<std::int64_t>(*cgroup));
  else
    EXPECT_GT(num(e, "process.cgroup_id"), 0);
  std::int64_t start = num(e, "process.start_time");
  EXPECT_GE(start, static_cast<std::int64_t>(run_->started_ns) - 1000000000);
  EXPECT_LE(start, static_cast<std::int64_t>(e.time_ns));

  std::vector<ProcessInfo> ancestors = lineage(getpid(), 9);
  ASSERT_FALSE(ancestors.empty());
  EXPECT_EQ(num(e, "parent.pid"), getpid());
  EXPECT_EQ(str(e, "parent.comm"), ancestors[0].comm);
  EXPECT_EQ(str(e, "parent.exe"), test_support::self_executable());
  std::vector<std::string> comms = strs(e, "process.ancestors.comm");
  std::vector<std::string> exes = strs(e, "process.ancestors.exe");
  std::size_t kept = std::min<std::size_t>(ancestors.size(), 8);
  ASSERT_EQ(comms.size(), kept);
  ASSERT_EQ(exes.size(), kept);
  for (std::size_t i = 0; i < kept; ++i) {
    EXPECT_EQ(comms[i], ancestors[i].comm) << "ancestor " << i;
    if (ancestors[i].exe) {
      EXPECT_EQ(exes[i], *ancestors[i].exe) << "ancestor " << i;
    }
  }
  EXPECT_EQ(truncated(*record, "process.ancestors.comm"), ancestors.size() > 8);

  // The actor is a fork of this test: same argv.
  std::vector<std::string> argv = own_argv();
  EXPECT_EQ(strs(e, "process.args"), recorded_args(argv));
  EXPECT_EQ(str(e, "process.cmdline"), recorded_cmdline(argv));
  bool long_arg = std::any_of(argv.begin(), argv.begin() + std::min<std::size_t>(argv.size(), 16),
                              [](const std::string& arg) { return arg.size() > 127; });
  EXPECT_EQ(truncated(*record, "process.args"), argv.size() > 16 || long_arg);
  EXPECT_EQ(truncated(*record, "process.cmdline"), joined(argv).size() > 511);

  // The same context on the actor's other events.
  for (const Captured& other : run_->records) {
    if (num(other.event, "process.tgid") != actor()) continue;
    EXPECT_EQ(str(other.event, "process.exe"), test_support::self_executable());
    EXPECT_EQ(num(other.event, "process.start_time"), start);
  }
}

TEST_F(Capture, FileOpenFamilyRecordsFlagsWriteAndMode) {
  struct Expected {
    std::string path;
    std::int64_t flags;
    bool write;
    std::int64_t mode;
  };
  const std::int64_t create = O_WRONLY | O_CREAT | O_TRUNC;
  for (const Expected& want : {Expected{s().path("a"), O_WRONLY | O_CREAT, true, 0640},
                               Expected{s().path("c"), O_RDWR | O_CREAT, true, 0600},
                               Expected{s().path("d"), create, true, 0644}}) {
    const Captured* record = file_record(EventKind::FileOpen, want.path);
    if (!record) continue;
    EXPECT_EQ(num(record->event, "file.flags"), want.flags) << want.path;
    EXPECT_EQ(boolean(record->event, "file.write"), want.write) << want.path;
    EXPECT_EQ(num(record->event, "file.mode"), want.mode) << want.path;
    EXPECT_FALSE(truncated(*record, "file.path")) << want.path;
  }
  // openat of b: once to create, once read-only (mode ignored without O_CREAT).
  std::vector<const Captured*> opens = records(EventKind::FileOpen, actor(), [&](const Event& e) {
    return str(e, "file.path") == s().path("b");
  });
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_EQ(num(opens[0]->event, "file.flags"), create);
  EXPECT_TRUE(boolean(opens[0]->event, "file.write"));
  EXPECT_EQ(num(opens[0]->event, "file.mode"), 0600);
  EXPECT_EQ(num(opens[1]->event, "file.flags"), O_RDONLY);
  EXPECT_FALSE(boolean(opens[1]->event, "file.write"));
  EXPECT_EQ(num(opens[1]->event, "file.mode"), 0);
}

TEST_F(Capture, RenameUnlinkAndMkdirRecordTheirPaths) {
  for (auto [from, to] : {std::pair{"a", "a2"}, {"a2", "a3"}, {"a3", "a4"}}) {
    const Captured* record = file_record(EventKind::FileRename, s().path(from));
    if (record) {
      EXPECT_EQ(str(record->event, "file.newpath"), s().path(to));
    }
  }
  for (const char* name : {"e", "a4", "f"}) file_record(EventKind::FileUnlink, s().path(name));
  const Captured* mkdir_e = file_record(EventKind::FileMkdir, s().path("e"));
  const Captured* mkdir_f = file_record(EventKind::FileMkdir, s().path("f"));
  if (mkdir_e) {
    EXPECT_EQ(num(mkdir_e->event, "file.mode"), 0750);
  }
  if (mkdir_f) {
    EXPECT_EQ(num(mkdir_f->event, "file.mode"), 01777);
  }
}

TEST_F(Capture, ChmodAndChownRecordModesIdsAndDescriptorPaths) {
  std::vector<const Captured*> chmods = records(EventKind::FileChmod, actor());
  std::vector<std::int64_t> modes;
  for (const Captured* record : chmods) {
    // fchmod names the file by its descriptor: the path is the open file's.
    EXPECT_EQ(str(record->event, "file.path"), s().path("b"));
    modes.push_back(num(record->event, "file.mode"));
  }
  std::vector<std::int64_t> expected_modes = {04755, 0640, 0600};
  if (tracepoint_exists("syscalls/sys_enter_fchmodat2")) expected_modes.push_back(0604);
  EXPECT_EQ(modes, expected_modes);

  std::vector<const Captured*> chowns = records(EventKind::FileChown, actor());
  ASSERT_EQ(chowns.size(), 4u);
  std::int64_t uid = getuid(), gid = getgid();
  std::vector<std::pair<std::int64_t, std::int64_t>> ids;
  for (const Captured* record : chowns) {
    EXPECT_EQ(str(record->event, "file.path"), s().path("b"));
    ids.emplace_back(num(record->event, "file.uid"), num(record->event, "file.gid"));
  }
  EXPECT_EQ(ids, (std::vector<std::pair<std::int64_t, std::int64_t>>{
                     {uid, gid}, {-1, gid}, {uid, -1}, {uid, gid}}));
}

TEST_F(Capture, LinkAndSymlinkRecordSourceAndNewPath) {
  std::vector<const Captured*> links = records(EventKind::FileLink, actor());
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(str(links[0]->event, "file.path"), s().path("b"));
  EXPECT_EQ(str(links[0]->event, "file.newpath"), s().path("b.link"));
  EXPECT_EQ(str(links[1]->event, "file.newpath"), s().path("b.link2"));
  std::vector<const Captured*> symlinks = records(EventKind::FileSymlink, actor());
  ASSERT_EQ(symlinks.size(), 2u);
  EXPECT_EQ(str(symlinks[0]->event, "file.path"), "symlink target text");
  EXPECT_EQ(str(symlinks[0]->event, "file.newpath"), s().path("s1"));
  EXPECT_EQ(str(symlinks[1]->event, "file.path"), "t2");
  EXPECT_EQ(str(symlinks[1]->event, "file.newpath"), s().path("s2"));
}

TEST_F(Capture, TcpBindListenConnectAcceptRecordAddressesAndPorts) {
  std::vector<const Captured*> binds = records(EventKind::NetBind, actor());
  ASSERT_EQ(binds.size(), 2u);
  for (const Captured* bind : binds) {
    EXPECT_EQ(str(bind->event, "net.family"), "inet");
    EXPECT_EQ(ip(bind->event, "net.saddr"), "127.0.0.1");
    EXPECT_EQ(num(bind->event, "net.sport"), 0);  // as asked: any port
    EXPECT_EQ(ip(bind->event, "net.daddr"), "0.0.0.0");
    EXPECT_EQ(num(bind->event, "net.dport"), 0);
  }
  EXPECT_EQ(str(binds[0]->event, "net.protocol"), "tcp");
  EXPECT_EQ(str(binds[1]->event, "net.protocol"), "udp");

  std::vector<const Captured*> listens = records(EventKind::NetListen, actor());
  ASSERT_EQ(listens.size(), 1u);
  EXPECT_EQ(str(listens[0]->event, "net.family"), "inet");
  EXPECT_EQ(str(listens[0]->event, "net.protocol"), "tcp");
  EXPECT_EQ(ip(listens[0]->event, "net.saddr"), "127.0.0.1");
  EXPECT_EQ(num(listens[0]->event, "net.sport"), report().listen_port);

  std::vector<const Captured*> connects =
      records(EventKind::NetConnect, actor(),
              [](const Event& e) { return str(e, "net.protocol") == "tcp"; });
  ASSERT_EQ(connects.size(), 2u);
  for (const Captured* connect : connects) {
    EXPECT_EQ(str(connect->event, "net.family"), "inet");
    EXPECT_EQ(ip(connect->event, "net.daddr"), "127.0.0.1");
    EXPECT_EQ(num(connect->event, "net.dport"), report().listen_port);
    EXPECT_EQ(ip(connect->event, "net.saddr"), "0.0.0.0");  // not bound yet
    EXPECT_EQ(num(connect->event, "net.sport"), 0);
  }

  std::vector<const Captured*> accepts = records(EventKind::NetAccept, actor());
  ASSERT_EQ(accepts.size(), 2u);
  std::vector<int> peers = {report().client_port, report().client2_port};
  for (std::size_t i = 0; i < 2; ++i) {
    const Event& e = accepts[i]->event;
    EXPECT_EQ(str(e, "net.family"), "inet");
    EXPECT_EQ(str(e, "net.protocol"), "tcp");
    EXPECT_EQ(ip(e, "net.saddr"), "127.0.0.1");
    EXPECT_EQ(num(e, "net.sport"), report().listen_port);
    EXPECT_EQ(ip(e, "net.daddr"), "127.0.0.1");
    EXPECT_EQ(num(e, "net.dport"), peers[i]);
  }
}

TEST_F(Capture, Ipv6AndUnixSocketsRecordFamilyAndMappedAddresses) {
  std::vector<const Captured*> udp = records(EventKind::NetConnect, actor(), [](const Event& e) {
    return str(e, "net.protocol") == "udp";
  });
  if (report().ipv6) {
    ASSERT_EQ(udp.size(), 2u);
    EXPECT_EQ(str(udp[0]->event, "net.family"), "inet6");
    EXPECT_EQ(ip(udp[0]->event, "net.daddr"), "127.0.0.1");  // ::ffff:127.0.0.1
    EXPECT_EQ(num(udp[0]->event, "net.dport"), 9);
    EXPECT_EQ(ip(udp[0]->event, "net.saddr"), "::");
    EXPECT_EQ(ip(udp[1]->event, "net.daddr"), "2001:db8::1");
    EXPECT_EQ(num(udp[1]->event, "net.dport"), 10);
  }
  std::vector<const Captured*> unix_connects =
      records(EventKind::NetConnect, actor(),
              [](const Event& e) { return str(e, "net.family") == "unix"; });
  ASSERT_EQ(unix_connects.size(), 1u);
  EXPECT_EQ(str(unix_connects[0]->event, "net.protocol"), "other");
  EXPECT_EQ(num(unix_connects[0]->event, "net.dport"), 0);
}

TEST_F(Capture, SetuidAndSetgidRecordTheRequestedId) {
  std::vector<std::int64_t> uids, gids;
  for (const Captured* record : records(EventKind::ProcessSetuid, actor()))
    uids.push_back(num(record->event, "setuid.uid"));
  for (const Captured* record : records(EventKind::ProcessSetgid, actor()))
    gids.push_back(num(record->event, "setgid.gid"));
  std::int64_t uid = getuid(), gid = getgid();
  EXPECT_EQ(uids, (std::vector<std::int64_t>{uid, uid, -1, uid}));
  EXPECT_EQ(gids, (std::vector<std::int64_t>{gid, gid, gid, gid}));
}

TEST_F(Capture, PtraceRecordsRequestAndTarget) {
  std::vector<const Captured*> attach = records(EventKind::ProcessPtrace, actor());
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_EQ(num(attach[0]->event, "ptrace.request"), PTRACE_ATTACH);
  EXPECT_EQ(num(attach[0]->event, "ptrace.target_pid"), 0x7ffffff0);
  std::vector<const Captured*> traceme = records(EventKind::ProcessPtrace, report().traceme_child);
  ASSERT_EQ(traceme.size(), 1u);
  EXPECT_EQ(num(traceme[0]->event, "ptrace.request"), PTRACE_TRACEME);
  EXPECT_EQ(num(traceme[0]->event, "ptrace.target_pid"), report().traceme_child);
}

TEST_F(Capture, BpfMemfdMountAndModuleLoadRecordTheirArguments) {
  std::vector<const Captured*> bpf = records(EventKind::Bpf, actor());
  ASSERT_EQ(bpf.size(), 1u);
  EXPECT_EQ(num(bpf[0]->event, "bpf.cmd"), 1000);

  std::vector<const Captured*> memfd = records(EventKind::ProcessMemfdCreate, actor());
  ASSERT_EQ(memfd.size(), 1u);
  EXPECT_EQ(str(memfd[0]->event, "memfd.name"), "vigil-test");
  EXPECT_EQ(num(memfd[0]->event, "memfd.flags"), MFD_CLOEXEC);

  std::vector<const Captured*> mounts = records(EventKind::Mount, actor());
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(str(mounts[0]->event, "mount.source"), "");  // NULL
  EXPECT_EQ(str(mounts[0]->event, "mount.target"), "/");
  EXPECT_EQ(str(mounts[0]->event, "mount.fstype"), "");
  EXPECT_EQ(num(mounts[0]->event, "mount.flags"), MS_REC | MS_PRIVATE);
  for (const char* field : {"mount.source", "mount.target", "mount.fstype"})
    EXPECT_FALSE(truncated(*mounts[0], field)) << field;  // NULL is "", not a fault
  EXPECT_EQ(str(mounts[1]->event, "mount.source"), "vigil-src");
  EXPECT_EQ(str(mounts[1]->event, "mount.target"), s().mnt());
  EXPECT_EQ(str(mounts[1]->event, "mount.fstype"), "tmpfs");
  EXPECT_EQ(num(mounts[1]->event, "mount.flags"), MS_NOSUID | MS_NODEV);

  std::vector<const Captured*> modules = records(EventKind::KernelModuleLoad, actor());
  ASSERT_EQ(modules.size(), 3u);
  EXPECT_EQ(str(modules[0]->event, "module.path"), "");  // finit_module(-1)
  EXPECT_EQ(str(modules[1]->event, "module.path"), s().path("b"));
  EXPECT_EQ(str(modules[2]->event, "module.path"), "");  // init_module: an image, no file
  for (const Captured* module : modules) EXPECT_EQ(str(module->event, "module.name"), "");
}

TEST_F(Capture, ForkAndExitConcernProcessesNotThreads) {
  std::vector<const Captured*> forks = records(EventKind::Fork, actor());
  std::vector<std::int64_t> children;
  for (const Captured* fork : forks) children.push_back(num(fork->event, "fork.child_pid"));
  for (pid_t child : {report().traceme_child, report().mount_child, report().nested_child,
                      report().fork_exit_child, report().exec_child, report().many_args_child,
                      report().long_arg_child, report().no_tty_child})
    EXPECT_NE(std::find(children.begin(), children.end(), child), children.end()) << child;
  ASSERT_NE(report().thread_tid, 0);
  EXPECT_EQ(std::find(children.begin(), children.end(), report().thread_tid), children.end());
  EXPECT_EQ(children.size(), 8u);

  std::vector<const Captured*> exits = records(EventKind::Exit, report().fork_exit_child);
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(num(exits[0]->event, "exit.code"), 3 << 8);
  EXPECT_EQ(num(exits[0]->event, "process.ppid"), actor());
  EXPECT_EQ(str(exits[0]->event, "process.exe"), test_support::self_executable());
  // The actor's own exit: once, for the process, not for its thread.
  std::vector<const Captured*> actor_exits = records(EventKind::Exit, actor());
  ASSERT_EQ(actor_exits.size(), 1u);
  EXPECT_EQ(num(actor_exits[0]->event, "exit.code"), 0);
  EXPECT_EQ(num(actor_exits[0]->event, "process.pid"), actor());
}

TEST_F(Capture, ExecRecordsTheNewImageItsArgumentsAndItsAncestry) {
  std::vector<const Captured*> execs = records(EventKind::Exec, report().exec_child);
  ASSERT_EQ(execs.size(), 1u);
  const Captured& record = *execs[0];
  SCOPED_TRACE(describe(record));
  const Event& e = record.event;
  EXPECT_EQ(str(e, "process.exe"), s().true_path);
  EXPECT_EQ(str(e, "process.comm"), "true");
  EXPECT_EQ(strs(e, "process.args"), (std::vector<std::string>{"/bin/true", "a", "b"}));
  EXPECT_EQ(str(e, "process.cmdline"), "/bin/true a b");
  EXPECT_EQ(num(e, "process.pid"), report().exec_child);
  EXPECT_EQ(num(e, "process.ppid"), actor());
  EXPECT_EQ(num(e, "parent.pid"), actor());
  EXPECT_EQ(str(e, "parent.comm"), "vigil-capture");
  EXPECT_EQ(str(e, "parent.exe"), test_support::self_executable());
  std::vector<std::string> comms = strs(e, "process.ancestors.comm");
  std::vector<std::string> exes = strs(e, "process.ancestors.exe");
  ASSERT_GE(comms.size(), 2u);
  ASSERT_GE(exes.size(), 2u);
  EXPECT_EQ(comms[0], "vigil-capture");
  EXPECT_EQ(comms[1], lineage(getpid(), 1).at(0).comm);
  EXPECT_EQ(exes[0], test_support::self_executable());
  EXPECT_EQ(exes[1], test_support::self_executable());
  EXPECT_EQ(str(e, "process.tty"), report().tty);
  // Ancestors beyond 8 (the actor, this test, and its own ancestry) are cut.
  bool deep = 1 + lineage(getpid(), 9).size() > 8;
  std::uint64_t ancestors = (std::uint64_t{1} << field_id("process.ancestors.comm")) |
                            (std::uint64_t{1} << field_id("process.ancestors.exe"));
  EXPECT_EQ(record.truncated, deep ? ancestors : 0u);
  EXPECT_EQ(comms.size(), deep ? 8u : 1 + lineage(getpid(), 9).size());
  // Later events of the new image see it too (the cache was refreshed).
  for (const Captured* exit : records(EventKind::Exit, report().exec_child))
    EXPECT_EQ(str(exit->event, "process.exe"), s().true_path) << describe(*exit);
}

TEST_F(Capture, ExecutablePathIsAbsoluteThroughDirectoriesAndMounts) {
  std::vector<const Captured*> nested = records(EventKind::Exec, report().nested_child);
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_EQ(str(nested[0]->event, "process.exe"), s().nested_exe());
  std::vector<const Captured*> mounted = records(EventKind::Exec, report().mount_child);
  ASSERT_EQ(mounted.size(), 1u);
  EXPECT_EQ(str(mounted[0]->event, "process.exe"), s().mounted_exe());
  EXPECT_EQ(strs(mounted[0]->event, "process.args"), std::vector<std::string>{"vigil-true"});
}

TEST_F(Capture, LongValuesAreCutAndMarkedTruncated) {
  // file.path: 255 bytes fit exactly, 300 do not.
  const Captured* exact = file_record(EventKind::FileOpen, s().exact_path);
  ASSERT_NE(exact, nullptr);
  EXPECT_FALSE(truncated(*exact, "file.path"));
  const Captured* cut = file_record(EventKind::FileOpen, s().long_path.substr(0, 255));
  ASSERT_NE(cut, nullptr);
  EXPECT_TRUE(truncated(*cut, "file.path"));
  EXPECT_FALSE(truncated(*cut, "file.newpath"));

  // 18 arguments, one of 200 bytes: 16 kept, that one cut; the line fits.
  std::vector<const Captured*> many = records(EventKind::Exec, report().many_args_child);
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(strs(many[0]->event, "process.args"), recorded_args(many_args(s())));
  EXPECT_EQ(num(many[0]->event, "process.pid"), report().many_args_child);
  EXPECT_TRUE(truncated(*many[0], "process.args"));
  EXPECT_EQ(str(many[0]->event, "process.cmdline"), joined(many_args(s())));
  EXPECT_FALSE(truncated(*many[0], "process.cmdline"));

  // A 600-byte argument: cut in args and in the line, and the argument after
  // it is still found.
  std::vector<const Captured*> longer = records(EventKind::Exec, report().long_arg_child);
  ASSERT_EQ(longer.size(), 1u);
  EXPECT_EQ(strs(longer[0]->event, "process.args"), recorded_args(long_args(s())));
  EXPECT_TRUE(truncated(*longer[0], "process.args"));
  EXPECT_EQ(str(longer[0]->event, "process.cmdline"), recorded_cmdline(long_args(s())));
  EXPECT_TRUE(truncated(*longer[0], "process.cmdline"));
}

TEST_F(Capture, TtyIsEmptyWithoutAControllingTerminal) {
  std::vector<const Captured*> opens = records(EventKind::FileOpen, report().no_tty_child);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(str(opens[0]->event, "file.path"), s().path("no-tty"));
  EXPECT_EQ(str(opens[0]->event, "process.tty"), "");
}

// ---- process.stdin_type / stdout_type ---------------------------------------------------

// One child of the actor: it puts files on fd 0 and 1, then opens
// <dir>/stdio-<name> (which does not exist: the attempt is the event).
struct StdioCase {
  std::string name;
  std::string stdin_type, stdout_type;  // what the record must say
  std::function<bool()> arrange;        // in the child: sets fd 0 and fd 1
};

// `fd` renumbered to 10 or above, so that putting one file on fd 0 cannot
// close another that goes to fd 1 (if the test itself runs without them).
int high(int fd) {
  if (fd < 0) return -1;
  int moved = fcntl(fd, F_DUPFD, 10);
  close(fd);
  return moved;
}

// Both descriptors (already high) onto fd 0 and fd 1; -1 closes that one.
bool put_stdio(int in, int out) {
  bool ok = true;
  if (in >= 0)
    ok = dup2(in, 0) == 0 && ok;
  else
    close(0);
  if (out >= 0)
    ok = dup2(out, 1) == 1 && ok;
  else
    close(1);
  return ok;
}

int open_high(const std::string& path, int flags) {
  return high(open(path.c_str(), flags));
}

// A TCP connection to ourselves over loopback: the client end, or -1.
int tcp_client() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return -1;
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&address), length) != 0) return -1;
  return high(client);  // the listener and the accepted end stay open until exit
}

// Needs only the two stdio fields: their capture stands on its own, and the
// rest of the on-demand context stays empty.
TEST(CaptureStdio, StdinAndStdoutTypesAreTheFilesOnDescriptorsZeroAndOne) {
  char temp[] = "/tmp/vigil-capture-stdio-XXXXXX";
  ASSERT_NE(mkdtemp(temp), nullptr);
  const std::string dir = std::filesystem::canonical(temp).string();
  auto at = [&](const std::string& name) { return dir + "/" + name; };
  ASSERT_TRUE(write_file(at("regular"), "data", 0600));
  ASSERT_EQ(mkfifo(at("fifo").c_str(), 0600), 0);
  ASSERT_EQ(symlink("regular", at("link").c_str()), 0);
  // Device nodes, opened O_PATH (no driver is involved): the terminal majors'
  // edges, with every minor bit set so the major/minor split shows.
  struct Node {
    const char* name;
    mode_t type;
    unsigned int major, minor;
  };
  bool nodes = true;
  for (const Node& node : {Node{"blk-7-0", S_IFBLK, 7, 0}, Node{"chr-1-3", S_IFCHR, 1, 3},
                           Node{"chr-143", S_IFCHR, 143, 0xfffff}, Node{"chr-144", S_IFCHR, 144, 0},
                           Node{"chr-135", S_IFCHR, 135, 0xfffff}, Node{"chr-136", S_IFCHR, 136, 0},
                           Node{"chr-4", S_IFCHR, 4, 1}, Node{"chr-3", S_IFCHR, 3, 0xfffff}})
    nodes = nodes &&
            mknod(at(node.name).c_str(), node.type | 0600, makedev(node.major, node.minor)) == 0;
  if (!nodes) std::cout << "mknod not permitted here: the device-node cases are left out\n";

  auto device_pair = [&](const char* in, const char* out) {
    return [=] { return put_stdio(open_high(at(in), O_PATH), open_high(at(out), O_PATH)); };
  };
  std::vector<StdioCase> cases = {
      {"socketpair", "socket", "socket",
       [] {
         int pair[2];
         if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return false;
         return put_stdio(high(pair[0]), high(pair[1]));
       }},
      {"tcp", "socket", "char",
       [] { return put_stdio(tcp_client(), open_high("/dev/null", O_WRONLY)); }},
      {"pipe", "pipe", "pipe",
       [] {
         int ends[2];
         if (pipe(ends) != 0) return false;
         return put_stdio(high(ends[0]), high(ends[1]));
       }},
      {"fifo", "pipe", "socket",
       [&] {
         int pair[2];
         if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) return false;
         return put_stdio(open_high(at("fifo"), O_RDWR), high(pair[0]));
       }},
      {"devnull", "char", "char",
       [] {
         return put_stdio(open_high("/dev/null", O_RDONLY), open_high("/dev/null", O_WRONLY));
       }},
      {"file", "file", "dir",
       [&] {
         return put_stdio(open_high(at("regular"), O_RDONLY),
                          open_high(dir, O_RDONLY | O_DIRECTORY));
       }},
      {"pty", "tty", "tty",
       [] {
         int master = posix_openpt(O_RDWR | O_NOCTTY);
         if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return false;
         const char* slave = ptsname(master);
         if (!slave) return false;
         return put_stdio(high(master), open_high(slave, O_RDWR | O_NOCTTY));
       }},
      {"closed", "none", "none", [] { return put_stdio(-1, -1); }},
      {"stdin-closed", "none", "pipe",
       [] {
         int ends[2];
         if (pipe(ends) != 0) return false;
         return put_stdio(-1, high(ends[1]));
       }},
      // Anonymous inodes and symlinks have no file type vigil names.
      {"eventfd", "other", "other",
       [&] { return put_stdio(high(eventfd(0, 0)), open_high(at("link"), O_PATH | O_NOFOLLOW)); }},
  };
  if (nodes) {
    cases.push_back({"block", "block", "char", device_pair("blk-7-0", "chr-1-3")});
    cases.push_back({"majors-143-144", "tty", "char", device_pair("chr-143", "chr-144")});
    cases.push_back({"majors-135-136", "char", "tty", device_pair("chr-135", "chr-136")});
    cases.push_back({"majors-4-3", "tty", "char", device_pair("chr-4", "chr-3")});
  }

  RunResult run;
  ProgramShape shape;
  shape.kinds = {EventKind::FileOpen};
  shape.all_needs = false;
  shape.needs = {"process.stdin_type", "process.stdout_type"};
  run_capture(
      shape,
      [&](ActorReport& r) {
        for (size_t i = 0; i < cases.size(); ++i) {
          const std::string path = at("stdio-" + cases[i].name);
          pid_t child = spawn([&] {
            bool arranged = cases[i].arrange();
            syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY);
            _exit(arranged ? 0 : 1);
          });
          if (wait_for(child) != 0 && r.failed_step == 0) r.failed_step = static_cast<int>(i) + 1;
        }
      },
      run);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  ASSERT_EQ(run.report.failed_step, 0)
      << "case " << cases.at(run.report.failed_step - 1).name << " could not be set up";
  for (const ProgramCost& cost : run.costs)
    std::cout << "  stdio: " << cost.name << " " << cost.verified_insns << "\n";

  for (const StdioCase& want : cases) {
    std::vector<const Captured*> found;
    for (const Captured& record : run.records)
      if (str(record.event, "file.path") == at("stdio-" + want.name)) found.push_back(&record);
    ASSERT_EQ(found.size(), 1u) << want.name;
    const Captured& record = *found[0];
    SCOPED_TRACE(want.name + ": " + describe(record));
    EXPECT_EQ(num(record.event, "process.ppid"), run.actor);
    EXPECT_EQ(str(record.event, "process.stdin_type"), want.stdin_type);
    EXPECT_EQ(str(record.event, "process.stdout_type"), want.stdout_type);
    EXPECT_EQ(record.truncated, 0u);
    // Not asked for: still empty.
    EXPECT_EQ(str(record.event, "process.cmdline"), "");
    EXPECT_EQ(str(record.event, "parent.exe"), "");
  }
}

// Only file.open, no VIGIL_NEED_*: the expensive context stays empty, the
// cheap one is there, and a pending bit alone submits the record.
TEST(CaptureMinimal, ExpensiveContextIsCapturedOnlyWhenNeeded) {
  char temp[] = "/tmp/vigil-capture-min-XXXXXX";
  ASSERT_NE(mkdtemp(temp), nullptr);
  std::string path = std::filesystem::canonical(temp).string() + "/opened";
  RunResult run;
  ProgramShape shape;
  shape.kinds = {EventKind::FileOpen};
  shape.all_needs = false;
  shape.pending = true;
  run_capture(
      shape, [&](ActorReport&) { syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY); }, run);
  std::filesystem::remove_all(temp);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  for (const ProgramCost& cost : run.costs)
    std::cout << "  minimal: " << cost.name << " " << cost.verified_insns << "\n";
  EXPECT_EQ(run.costs.size(), 6u);  // open, openat, openat2, creat + the two cache programs
  std::vector<const Captured*> opens;
  for (const Captured& record : run.records)
    if (str(record.event, "file.path") == path) opens.push_back(&record);
  ASSERT_EQ(opens.size(), 1u);
  const Captured& record = *opens[0];
  EXPECT_EQ(record.matched0, 0u);
  EXPECT_EQ(record.pending1, 1u);
  EXPECT_EQ(num(record.event, "process.tgid"), run.actor);
  EXPECT_EQ(str(record.event, "process.exe"), test_support::self_executable());
  EXPECT_EQ(num(record.event, "parent.pid"), getpid());
  EXPECT_FALSE(str(record.event, "parent.comm").empty());
  EXPECT_EQ(str(record.event, "parent.exe"), "");
  EXPECT_EQ(str(record.event, "process.cmdline"), "");
  EXPECT_EQ(str(record.event, "process.stdin_type"), "");
  EXPECT_EQ(str(record.event, "process.stdout_type"), "");
  EXPECT_TRUE(strs(record.event, "process.args").empty());
  EXPECT_TRUE(strs(record.event, "process.ancestors.comm").empty());
  EXPECT_TRUE(strs(record.event, "process.ancestors.exe").empty());
  EXPECT_EQ(record.truncated, 0u);
}

// Harness mode: the prelude without the hooks, the lead's harness programs.
TEST(CaptureHarness, PreludeServesTheHarness) {
  ProgramShape shape;
  shape.harness = true;
  BpfCompileResult compiled = compile_capture(shape);
  ASSERT_TRUE(compiled.ok) << compiled.error << "\n" << compiled.diagnostics_text;
  bpf_object_open_opts options{};
  options.sz = sizeof options;
  Object object(bpf_object__open_mem(compiled.object.data(), compiled.object.size(), &options));
  ASSERT_NE(object, nullptr);
  ASSERT_EQ(bpf_object__load(object.get()), 0) << "verifier log above";
  int programs = 0;
  bpf_program* program;
  bpf_object__for_each_program(program, object.get()) {
    EXPECT_EQ(std::string(bpf_program__name(program)).rfind("vigil_test_", 0), 0u);
    ++programs;
  }
  EXPECT_EQ(programs, static_cast<int>(kEventKindCount));
}

}  // namespace
}  // namespace vigil::bpfcc
