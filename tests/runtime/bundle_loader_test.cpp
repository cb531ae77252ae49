// BundleLoader against the running kernel: maps filled and read back,
// per-program statistics, skipped hooks, verifier rejections traced to a
// source line and a rule, and damaged objects. Needs root; fails without it.
#include "runtime/bundle_loader.h"

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>

#include "runtime/kernel_mounts.h"
#include "tests/runtime/test_bundles.h"

namespace vigil::runtime {
namespace {

using test::line_of;
using test::little_endian;

class BundleLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the runtime tests must run as root: they load BPF programs "
                                "(CAP_BPF, CAP_PERFMON) and mount tracefs";
    std::string error;
    std::optional<std::string> mounted = ensure_tracefs(&error);
    ASSERT_TRUE(mounted.has_value()) << error;
    tracefs_ = *mounted;
  }

  LoadOptions options() const {
    LoadOptions options;
    options.tracefs = tracefs_;
    return options;
  }

  std::unique_ptr<BundleLoader> open(const codegen::Bundle& bundle) {
    std::string error;
    std::unique_ptr<BundleLoader> loader = BundleLoader::open(bundle, options(), &error);
    EXPECT_NE(loader, nullptr) << error;
    return loader;
  }

  static bpf_map* map(const BundleLoader& loader, const char* name) {
    bpf_map* found = bpf_object__find_map_by_name(loader.object(), name);
    EXPECT_NE(found, nullptr) << name;
    return found;
  }

  template <typename Value>
  static Value lookup(bpf_map* map, const std::vector<uint8_t>& key) {
    Value value{};
    EXPECT_EQ(bpf_map_lookup_elem(bpf_map__fd(map), key.data(), &value), 0)
        << bpf_map__name(map) << ": " << std::strerror(errno);
    return value;
  }

  std::string tracefs_;
};

TEST_F(BundleLoaderTest, FillsEveryKindOfMap) {
  codegen::Bundle bundle = test::loader_bundle();
  std::unique_ptr<BundleLoader> loader = open(bundle);
  ASSERT_NE(loader, nullptr);
  std::string error;
  ASSERT_TRUE(loader->load(&error)) << error << "\n" << loader->libbpf_messages();
  ASSERT_TRUE(loader->loaded());

  // The array, declared with one entry, holds the bundle's five values.
  bpf_map* actions = map(*loader, "rule_actions");
  EXPECT_EQ(bpf_map__max_entries(actions), 5u);
  std::vector<uint32_t> values;
  for (uint32_t i = 0; i < 5; ++i) values.push_back(lookup<uint32_t>(actions, little_endian(i, 4)));
  EXPECT_EQ(values, (std::vector<uint32_t>{0, 7, 0, 9, 11}));

  // The hash map grew from two entries to the bundle's three.
  bpf_map* paths = map(*loader, "path_set");
  EXPECT_EQ(bpf_map__max_entries(paths), 3u);
  EXPECT_EQ(lookup<uint64_t>(paths, test::padded("/etc/shadow", 16)), 1u);
  EXPECT_EQ(lookup<uint64_t>(paths, test::padded("/etc/passwd", 16)), 2u);
  EXPECT_EQ(lookup<uint64_t>(paths, test::padded("/root/.ssh", 16)), 4u);
  uint64_t absent = 0;
  std::vector<uint8_t> other = test::padded("/tmp", 16);
  EXPECT_NE(bpf_map_lookup_elem(bpf_map__fd(paths), other.data(), &absent), 0);

  // LPM: the longest matching prefix answers.
  bpf_map* prefixes = map(*loader, "prefixes");
  EXPECT_EQ(lookup<uint64_t>(prefixes, test::prefix_key(128, "/etc/shadow")), 8u);
  EXPECT_EQ(lookup<uint64_t>(prefixes, test::prefix_key(128, "/ex")), 16u);
  EXPECT_EQ(lookup<uint64_t>(prefixes, test::prefix_key(128, "/root/x")), 32u);

  // Per-CPU array: every CPU sees the value.
  bpf_map* limits = map(*loader, "per_cpu_limits");
  int cpus = libbpf_num_possible_cpus();
  ASSERT_GT(cpus, 0);
  std::vector<uint64_t> per_cpu(static_cast<size_t>(cpus));
  std::vector<uint8_t> index2 = little_endian(2, 4);
  ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(limits), index2.data(), per_cpu.data()), 0);
  for (uint64_t value : per_cpu) EXPECT_EQ(value, 6u);

  // .rodata: set before load (it is frozen, and the verifier reads it).
  bpf_map* rodata = map(*loader, ".rodata.config");
  EXPECT_EQ(lookup<uint32_t>(rodata, little_endian(0, 4)), 3u);
}

TEST_F(BundleLoaderTest, ReportsPlausibleStatisticsPerProgram) {
  std::unique_ptr<BundleLoader> loader = open(test::loader_bundle());
  ASSERT_NE(loader, nullptr);
  std::string error;
  ASSERT_TRUE(loader->load(&error)) << error;
  const ProgramLoad* program = loader->program("vigil_file_open_openat");
  ASSERT_NE(program, nullptr);
  EXPECT_EQ(program->state, ProgramState::Loaded);
  EXPECT_EQ(program->section, "tp/syscalls/sys_enter_openat");
  // Four map lookups and their tests: tens of instructions, not thousands.
  EXPECT_GE(program->xlated_insns, 20u);
  EXPECT_LE(program->xlated_insns, 400u);
  EXPECT_GE(program->verified_insns, 20u);
  EXPECT_LE(program->verified_insns, 2000u);
  std::ifstream jit("/proc/sys/net/core/bpf_jit_enable");
  int jit_enabled = 0;
  if (jit >> jit_enabled; jit_enabled != 0) {
    EXPECT_GE(program->jited_bytes, program->xlated_insns);  // x86 and arm64: >= 1 byte each
  }
  EXPECT_GT(program->verifier_time.count(), 0);
  EXPECT_NE(program->verifier_log.find("processed "), std::string::npos) << program->verifier_log;
  EXPECT_GT(loader->load_time().count(), 0);
  // A loaded program is in the kernel: its fd is valid for attaching later.
  bpf_program* handle = bpf_object__find_program_by_name(loader->object(), program->name.c_str());
  ASSERT_NE(handle, nullptr);
  EXPECT_GE(bpf_program__fd(handle), 0);
}

TEST_F(BundleLoaderTest, MissingTracepointIsSkippedNotFatal) {
  std::unique_ptr<BundleLoader> loader = open(test::loader_bundle());
  ASSERT_NE(loader, nullptr);
  std::string error;
  ASSERT_TRUE(loader->load(&error)) << error;
  const ProgramLoad* skipped = loader->program("vigil_kernel_module_load");
  ASSERT_NE(skipped, nullptr);
  EXPECT_EQ(skipped->state, ProgramState::Skipped);
  EXPECT_EQ(skipped->reason,
            "tracepoint syscalls/sys_enter_vigil_no_such_syscall does not exist on this kernel");
  bpf_program* handle = bpf_object__find_program_by_name(loader->object(), skipped->name.c_str());
  ASSERT_NE(handle, nullptr);
  EXPECT_LT(bpf_program__fd(handle), 0);
}

TEST_F(BundleLoaderTest, RawSyscallsFallbackIsLeftOutWhereTheTracepointExists) {
  codegen::Bundle bundle;
  bundle.object = test::compiled_program("fallback.bpf.c");
  std::unique_ptr<BundleLoader> loader = open(bundle);
  ASSERT_NE(loader, nullptr);
  std::string error;
  ASSERT_TRUE(loader->load(&error)) << error;
  EXPECT_EQ(loader->program("vigil_file_open_openat")->state, ProgramState::Loaded);
  const ProgramLoad* fallback = loader->program("vigil_file_open_raw_syscalls");
  ASSERT_NE(fallback, nullptr);
  EXPECT_EQ(fallback->state, ProgramState::Skipped);
  EXPECT_EQ(fallback->reason, "not needed: tp/syscalls/sys_enter_openat exists on this kernel");
}

TEST_F(BundleLoaderTest, WithoutTracefsNothingIsSkipped) {
  std::string error;
  LoadOptions unchecked;  // no tracefs: a tracepoint's existence is not checked
  std::unique_ptr<BundleLoader> loader =
      BundleLoader::open(test::loader_bundle(), unchecked, &error);
  ASSERT_NE(loader, nullptr) << error;
  ASSERT_TRUE(loader->load(&error)) << error;
  EXPECT_EQ(loader->program("vigil_kernel_module_load")->state, ProgramState::Loaded);
}

TEST_F(BundleLoaderTest, RejectionNamesTheSourceLineAndTheRule) {
  codegen::Bundle bundle = test::rejected_bundle();
  std::unique_ptr<BundleLoader> loader = open(bundle);
  ASSERT_NE(loader, nullptr);
  std::string error;
  EXPECT_FALSE(loader->load(&error));
  EXPECT_EQ(error, "program vigil_file_open_openat was rejected by the kernel verifier");
  EXPECT_FALSE(loader->loaded());

  const ProgramLoad* rejected = loader->program("vigil_file_open_openat");
  ASSERT_NE(rejected, nullptr);
  EXPECT_EQ(rejected->state, ProgramState::Rejected);
  EXPECT_EQ(rejected->error_number, EACCES);
  EXPECT_EQ(rejected->reason, "invalid access to map value, value_size=8 off=12 size=4");
  ASSERT_TRUE(rejected->excerpt.has_value());
  const VerifierExcerpt& excerpt = *rejected->excerpt;
  EXPECT_EQ(excerpt.error_lines,
            (std::vector<std::string>{"invalid access to map value, value_size=8 off=12 size=4",
                                      "R1 min value is outside of the allowed memory range"}));
  uint32_t line = line_of(bundle.c_source, "// OUT_OF_BOUNDS");
  ASSERT_TRUE(excerpt.failing_line.has_value());
  EXPECT_EQ(excerpt.failing_line->file, test::kSourceName);
  EXPECT_EQ(excerpt.failing_line->line, line);
  EXPECT_EQ(excerpt.failing_line->code, "return words[3];  // OUT_OF_BOUNDS");
  EXPECT_EQ(codegen::rule_at_line(bundle, excerpt.failing_line->line), 1u);
  EXPECT_FALSE(excerpt.context_lines.empty());
  EXPECT_FALSE(rejected->verifier_log_truncated);
  // The retry logged every instruction (level 1), not only the statistics.
  EXPECT_NE(rejected->verifier_log.find("call bpf_map_lookup_elem"), std::string::npos);

  // The others were loaded without it, so each has a verdict and statistics.
  for (const char* name : {"vigil_exec", "vigil_net_connect"}) {
    const ProgramLoad* accepted = loader->program(name);
    ASSERT_NE(accepted, nullptr) << name;
    EXPECT_EQ(accepted->state, ProgramState::Loaded) << name << ": " << accepted->reason;
    EXPECT_GT(accepted->xlated_insns, 0u) << name;
  }
}

TEST_F(BundleLoaderTest, WithoutDiagnosisStopsAtTheFirstRejection) {
  LoadOptions fast = options();
  fast.diagnose_rejections = false;
  std::string error;
  std::unique_ptr<BundleLoader> loader = BundleLoader::open(test::rejected_bundle(), fast, &error);
  ASSERT_NE(loader, nullptr) << error;
  EXPECT_FALSE(loader->load(&error));
  const ProgramLoad* rejected = loader->program("vigil_file_open_openat");
  EXPECT_EQ(rejected->state, ProgramState::Rejected);
  // The statistics-level log already holds the verdict.
  EXPECT_EQ(rejected->reason, "invalid access to map value, value_size=8 off=12 size=4");
  EXPECT_EQ(loader->program("vigil_exec")->state, ProgramState::Pending);
  EXPECT_EQ(loader->program("vigil_net_connect")->state, ProgramState::Pending);
}

TEST_F(BundleLoaderTest, ProgramTheKernelRefusesIsAFailureNotARejection) {
  std::unique_ptr<BundleLoader> loader = open(test::fentry_bundle());
  ASSERT_NE(loader, nullptr);
  std::string error;
  bool loaded = loader->load(&error);
  const ProgramLoad* fentry = loader->program("vigil_fentry_open");
  ASSERT_NE(fentry, nullptr);
  if (loaded) {  // this kernel permits fentry programs
    EXPECT_EQ(fentry->state, ProgramState::Loaded);
  } else {
    EXPECT_EQ(fentry->state, ProgramState::Failed) << fentry->reason;
    EXPECT_EQ(fentry->error_number, EPERM);
    EXPECT_EQ(fentry->reason,
              "the kernel does not permit this program (Operation not permitted) although vigil "
              "has CAP_BPF and CAP_PERFMON: lockdown or a security module may forbid its type");
    EXPECT_EQ(error, "cannot load program vigil_fentry_open: " + fentry->reason);
    EXPECT_FALSE(fentry->excerpt.has_value());
  }
  // The tracepoint program gets its verdict either way.
  EXPECT_EQ(loader->program("vigil_file_open_openat")->state, ProgramState::Loaded);
}

TEST_F(BundleLoaderTest, ToleratesProgramsMissingFromTheManifest) {
  codegen::Bundle bundle = test::rejected_bundle();
  bundle.programs.erase(bundle.programs.begin());
  std::unique_ptr<BundleLoader> loader = open(bundle);
  ASSERT_NE(loader, nullptr);
  EXPECT_NE(loader->program("vigil_exec"), nullptr);
}

TEST_F(BundleLoaderTest, ProgramNamedByTheManifestMustExist) {
  codegen::Bundle bundle = test::loader_bundle();
  bundle.programs.push_back(
      test::program("vigil_exec", "tp/sched/sched_process_exec", EventKind::Exec, {0}));
  std::string error;
  EXPECT_EQ(BundleLoader::open(bundle, options(), &error), nullptr);
  EXPECT_EQ(
      error,
      "the bundle's manifest names program vigil_exec, which its BPF object does not contain");
}

TEST_F(BundleLoaderTest, MapContentsThatDoNotFitAreErrors) {
  struct Case {
    std::function<void(codegen::Bundle&)> edit;
    std::string error;
  };
  std::vector<Case> cases = {
      {[](codegen::Bundle& b) { b.maps.push_back(test::map_values("no_such_map", {1})); },
       "map no_such_map: the BPF object has no map of that name"},
      {[](codegen::Bundle& b) { b.maps[0].array_values.resize(6); },
       "map rule_actions: 6 bytes of array values is not a whole number of 4-byte values"},
      {[](codegen::Bundle& b) { b.maps[1].entries[2].first.resize(8); },
       "map path_set: entry 2: key is 8 bytes, the map's keys are 16"},
      {[](codegen::Bundle& b) { b.maps[2].entries[0].second.resize(4); },
       "map prefixes: entry 0: value is 4 bytes, the map's values are 8"},
      {[](codegen::Bundle& b) { b.maps[1].array_values = {1, 2, 3, 4}; },
       "map path_set is a hash map: it takes key/value entries, not array values"},
      {[](codegen::Bundle& b) { b.maps[4].array_values.push_back(0); },
       "map .rodata.config: 5 bytes of data for a section of 4 bytes"},
      {[](codegen::Bundle& b) { b.maps.push_back(b.maps[0]); },
       "map rule_actions: listed twice in the bundle"},
  };
  for (const Case& failure : cases) {
    codegen::Bundle bundle = test::loader_bundle();
    failure.edit(bundle);
    std::unique_ptr<BundleLoader> loader = open(bundle);
    ASSERT_NE(loader, nullptr);
    std::string error;
    EXPECT_FALSE(loader->load(&error));
    EXPECT_EQ(error, failure.error);
    EXPECT_FALSE(loader->loaded());
  }
}

TEST_F(BundleLoaderTest, LoadsOnlyOnce) {
  std::unique_ptr<BundleLoader> loader = open(test::loader_bundle());
  ASSERT_NE(loader, nullptr);
  std::string error;
  ASSERT_TRUE(loader->load(&error)) << error;
  EXPECT_FALSE(loader->load(&error));
  EXPECT_EQ(error, "the bundle was already loaded");
}

class DamagedObjectTest : public BundleLoaderTest {
 protected:
  // Opens and loads; true if it loaded. Either way, no crash.
  bool try_load(std::vector<uint8_t> object, std::string* error) {
    codegen::Bundle bundle = test::loader_bundle();
    bundle.object = std::move(object);
    std::unique_ptr<BundleLoader> loader = BundleLoader::open(bundle, options(), error);
    if (!loader) return false;
    return loader->load(error);
  }
};

TEST_F(DamagedObjectTest, GarbageIsNotAnElfFile) {
  std::mt19937 random(7);
  std::vector<uint8_t> garbage(4096);
  for (uint8_t& byte : garbage) byte = static_cast<uint8_t>(random());
  std::string error;
  EXPECT_FALSE(try_load(garbage, &error));
  EXPECT_EQ(error, "invalid BPF object: not an ELF file");
  EXPECT_FALSE(try_load({}, &error));
  EXPECT_EQ(error, "invalid BPF object: the object is empty");
  // An ELF header over garbage.
  garbage[0] = 0x7f, garbage[1] = 'E', garbage[2] = 'L', garbage[3] = 'F';
  EXPECT_FALSE(try_load(garbage, &error));
  EXPECT_EQ(error.rfind("invalid BPF object: ", 0), 0u) << error;
}

TEST_F(DamagedObjectTest, TruncatedObjectsAreErrors) {
  const std::vector<uint8_t>& object = test::loader_bundle().object;
  ASSERT_GT(object.size(), 1000u);
  std::string error;
  EXPECT_FALSE(try_load(std::vector<uint8_t>(object.begin(), object.begin() + 40), &error));
  EXPECT_EQ(error, "invalid BPF object: truncated: 40 bytes, shorter than an ELF header");
  EXPECT_FALSE(try_load(std::vector<uint8_t>(object.begin(), object.end() - 1), &error));
  EXPECT_EQ(error,
            "invalid BPF object: truncated: the section header table ends past the end of the "
            "file (" +
                std::to_string(object.size() - 1) + " bytes)");
  // Every 97th length: each is refused with a message, none crashes.
  for (size_t size = 0; size < object.size(); size += 97) {
    EXPECT_FALSE(try_load(std::vector<uint8_t>(object.begin(), object.begin() + size), &error))
        << size;
    EXPECT_FALSE(error.empty()) << size;
  }
}

TEST_F(DamagedObjectTest, BitFlippedObjectsNeverCrash) {
  // libbpf 1.1 dereferences bad pointers on some of these while parsing: the
  // loader's probe in a child process turns that into an error.
  const std::vector<uint8_t> object = test::loader_bundle().object;
  std::mt19937 random(2024);
  int loaded = 0, refused = 0, crashed_libbpf = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> damaged = object;
    int flips = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < flips; ++i)
      damaged[random() % damaged.size()] ^= static_cast<uint8_t>(1u << (random() % 8));
    std::string error;
    if (try_load(damaged, &error)) {
      ++loaded;
    } else {
      ++refused;
      EXPECT_FALSE(error.empty()) << "round " << round;
      crashed_libbpf += error.find("libbpf crashed") != std::string::npos;
    }
  }
  EXPECT_EQ(loaded + refused, 300);
  std::cout << "bit flips: " << loaded << " loaded, " << refused << " refused (" << crashed_libbpf
            << " would have crashed libbpf)\n";
}

}  // namespace
}  // namespace vigil::runtime
