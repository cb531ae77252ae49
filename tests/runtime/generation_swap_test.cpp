// Hot reload at the kernel level: generations of a policy are loaded with
// shared maps and put in the slots of hook dispatchers; a real syscall after
// each swap is matched by exactly the generation in the slot, and records
// carry that generation's number. Nothing stays behind afterwards.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compiler/driver/compile_policies.h"
#include "runtime/hook_dispatcher.h"
#include "runtime/kernel_mounts.h"
#include "runtime/match_record.h"
#include "runtime/policy_generation.h"
#include "runtime/shared_maps.h"

namespace vigil::runtime {
namespace {

namespace fs = std::filesystem;

TEST(HookPoint, ParsesSections) {
  auto tp = HookPoint::from_section("tp/syscalls/sys_enter_openat");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->kind, HookKind::Tracepoint);
  EXPECT_EQ(tp->category, "syscalls");
  EXPECT_EQ(tp->name, "sys_enter_openat");
  EXPECT_EQ(tp->section(), "tp/syscalls/sys_enter_openat");
  auto raw = HookPoint::from_section("raw_tp/sched_process_fork");
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->kind, HookKind::RawTracepoint);
  EXPECT_EQ(raw->section(), "raw_tp/sched_process_fork");
  EXPECT_EQ(HookPoint::from_section("tracepoint/sched/sched_process_exec")->section(),
            "tp/sched/sched_process_exec");
  for (const char* none : {"syscall", "tp", "tp/", "tp/syscalls", "tp/a/b/c", "raw_tp/",
                           "raw_tp/a/b", "tp_btf/sched_switch", "kprobe/x"})
    EXPECT_FALSE(HookPoint::from_section(none)) << none;
}

// The ids of loaded BPF programs named `name`.
std::vector<uint32_t> programs_named(const std::string& name) {
  std::vector<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t size = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &size) == 0 && name == info.name) ids.push_back(id);
    close(fd);
  }
  return ids;
}

class GenerationSwap : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "this test loads and attaches BPF programs: run it as root";
    dir_ = fs::temp_directory_path() / ("vigil-swap-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "policies");
    std::string error;
    std::optional<std::string> tracefs = ensure_tracefs(&error);
    ASSERT_TRUE(tracefs) << error;
    tracefs_ = *tracefs;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Compiles a policy watching opens of `file` and loads it as `id`.
  std::unique_ptr<PolicyGeneration> generation_watching(uint64_t id, const std::string& file) {
    std::ofstream(dir_ / "policies" / "swap.vigil")
        << "rule swap_open {\n  on file.open\n  when file.path == \"" << (dir_ / file).string()
        << "\"\n}\n";
    driver::CompileResult compiled = driver::compile_policies({(dir_ / "policies").string()});
    EXPECT_TRUE(compiled.bundle) << compiled.error << compiled.bpf.diagnostics_text;
    if (!compiled.bundle) return nullptr;
    std::string error;
    auto generation =
        PolicyGeneration::load(id, std::move(*compiled.bundle), shared_, tracefs_, {}, &error);
    EXPECT_TRUE(generation) << error;
    return generation;
  }

  void open_file(const std::string& file) {
    int fd = open((dir_ / file).c_str(), O_RDONLY | O_CREAT, 0600);
    if (fd >= 0) close(fd);
  }

  fs::path dir_;
  std::string tracefs_;
  SharedMaps shared_;
};

struct Seen {
  std::vector<std::pair<uint64_t, std::string>> opens;  // generation, path
  std::string prefix;
};

int collect(void* context, void* data, size_t size) {
  auto* seen = static_cast<Seen*>(context);
  std::string error;
  auto header = parse_record_header({static_cast<uint8_t*>(data), size}, &error);
  if (!header) return 0;
  auto record = parse_match_record({static_cast<uint8_t*>(data), size}, header->rule_words, &error);
  if (!record || record->event.kind() != EventKind::FileOpen) return 0;
  auto path = std::get<std::string>(record->event.get(*find_field("file.path"))[0]);
  if (path.rfind(seen->prefix, 0) == 0) seen->opens.emplace_back(record->generation, path);
  return 0;
}

TEST_F(GenerationSwap, EachSwapTakesEffectAtomicallyWithItsGenerationNumber) {
  size_t hooks_before = programs_named("vigil_hook").size();
  {
    auto first = generation_watching(7, "a");
    ASSERT_TRUE(first);
    std::string error;
    ASSERT_TRUE(shared_.adopt_from(first->loader().object(), &error)) << error;
    auto second = generation_watching(8, "b");
    ASSERT_TRUE(second);

    std::map<std::string, std::unique_ptr<HookDispatcher>> hooks;
    for (const HookProgram& program : first->hook_programs()) {
      auto hook = HookDispatcher::create(program.point, tracefs_, &error);
      ASSERT_TRUE(hook) << error;
      ASSERT_TRUE(hook->set_target(program.fd, &error)) << error;
      ASSERT_TRUE(hook->attach(&error)) << error;
      hooks[program.point.section()] = std::move(hook);
    }
    EXPECT_EQ(programs_named("vigil_hook").size(), hooks_before + hooks.size());

    Seen seen;
    seen.prefix = dir_.string();
    ring_buffer* ring = ring_buffer__new(shared_.ring_buffer_fd(), collect, &seen, nullptr);
    ASSERT_NE(ring, nullptr);

    open_file("a");
    open_file("b");
    ring_buffer__consume(ring);
    ASSERT_EQ(seen.opens.size(), 1u);
    EXPECT_EQ(seen.opens[0], std::make_pair(uint64_t{7}, (dir_ / "a").string()));

    for (const HookProgram& program : second->hook_programs()) {
      ASSERT_TRUE(hooks.count(program.point.section())) << program.point.section();
      ASSERT_TRUE(hooks[program.point.section()]->set_target(program.fd, &error)) << error;
    }
    seen.opens.clear();
    open_file("a");
    open_file("b");
    ring_buffer__consume(ring);
    ASSERT_EQ(seen.opens.size(), 1u);
    EXPECT_EQ(seen.opens[0], std::make_pair(uint64_t{8}, (dir_ / "b").string()));

    // An empty slot: the hook stays attached and does nothing.
    for (auto& [section, hook] : hooks) ASSERT_TRUE(hook->clear_target(&error)) << error;
    seen.opens.clear();
    open_file("a");
    open_file("b");
    ring_buffer__consume(ring);
    EXPECT_TRUE(seen.opens.empty());
    ring_buffer__free(ring);
  }
  // Dispatchers are gone with their owners.
  EXPECT_EQ(programs_named("vigil_hook").size(), hooks_before);
}

TEST_F(GenerationSwap, ABrokenBundleIsRefusedWithAnErrorAndLoadsNothing) {
  std::ofstream(dir_ / "policies" / "swap.vigil")
      << "rule swap_open {\n  on file.open\n  when file.path == \"/x\"\n}\n";
  driver::CompileResult compiled = driver::compile_policies({(dir_ / "policies").string()});
  ASSERT_TRUE(compiled.bundle);
  size_t loaded_before = programs_named("vigil_file_open").size();
  std::string error;

  codegen::Bundle not_an_object = *compiled.bundle;
  not_an_object.object.assign(64, 0);
  EXPECT_FALSE(PolicyGeneration::load(2, std::move(not_an_object), shared_, tracefs_, {}, &error));
  EXPECT_FALSE(error.empty());

  // Sources that no longer analyse: the error points at the file and line.
  codegen::Bundle tampered = *compiled.bundle;
  tampered.sources[0].text = "rule swap_open {\n  on file.open\n  when file.nope == 1\n}\n";
  error.clear();
  EXPECT_FALSE(PolicyGeneration::load(3, std::move(tampered), shared_, tracefs_, {}, &error));
  EXPECT_NE(error.find("swap.vigil:3:"), std::string::npos) << error;
  EXPECT_EQ(programs_named("vigil_file_open").size(), loaded_before);
}

}  // namespace
}  // namespace vigil::runtime
