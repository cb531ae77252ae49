// The real thing: a policy with one rule per event kind is compiled, loaded
// and attached; a child process performs each syscall; the kernel's match
// decisions arrive on the ring buffer. Every rule must be reported matched,
// by the generated matcher, for the syscall the child really made.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>

#include "compiler/codegen/event_layout.h"
#include "compiler/driver/compile_policies.h"
#include "runtime/attachments.h"
#include "runtime/bundle_loader.h"
#include "runtime/kernel_mounts.h"
#include "runtime/match_record.h"
#include "tests/e2e/real_syscalls.h"

namespace vigil {
namespace {

constexpr const char* kTag = "vigil-e2e";
constexpr const char* kBase = "/tmp/vigil-e2e";

struct Collected {
  const codegen::Bundle* bundle = nullptr;
  std::map<std::string, int> matched;  // rule name -> records
  std::vector<std::string> errors;
  std::vector<std::string> unexpected;
};

int on_record(void* context, void* data, size_t size) {
  auto* collected = static_cast<Collected*>(context);
  std::string error;
  std::optional<runtime::MatchRecord> record = runtime::parse_match_record(
      {static_cast<const uint8_t*>(data), size}, collected->bundle->rule_words, &error);
  if (!record) {
    collected->errors.push_back(error);
    return 0;
  }
  for (const codegen::ProgramInfo& program : collected->bundle->programs) {
    if (program.event != record->event.kind()) continue;
    for (uint32_t bit = 0; bit < program.rules.size(); ++bit)
      if (record->matched_bit(bit))
        ++collected->matched[collected->bundle->rules[program.rules[bit]].name];
  }
  if (record->event.kind() == EventKind::FileOpen) {
    auto path = record->event.get(*find_field("file.path"));
    if (!path.empty() && std::get<std::string>(path[0]) == std::string(kBase) + "/other")
      collected->unexpected.push_back("a record for the open of " + std::string(kBase) + "/other");
  }
  return 0;
}

TEST(KernelMatch, EveryEventKindIsMatchedInTheKernel) {
  ASSERT_EQ(geteuid(), 0u) << "this test loads and attaches BPF programs: run it as root";
  std::system((std::string("rm -rf ") + kBase).c_str());
  ASSERT_EQ(mkdir(kBase, 0700), 0);

  driver::CompileResult compiled =
      driver::compile_policies({VIGIL_SOURCE_DIR "/tests/e2e/policies"});
  ASSERT_TRUE(compiled.bundle) << compiled.error << compiled.bpf.diagnostics_text;
  std::string error;
  std::optional<std::string> tracefs = runtime::ensure_tracefs(&error);
  ASSERT_TRUE(tracefs) << error;
  runtime::LoadOptions options;
  options.tracefs = *tracefs;
  auto loader = runtime::BundleLoader::open(*compiled.bundle, options, &error);
  ASSERT_TRUE(loader && loader->load(&error)) << error;
  for (const runtime::ProgramLoad& program : loader->programs())
    if (program.state == runtime::ProgramState::Skipped)
      std::cout << "skipped " << program.name << ": " << program.reason << "\n";
  runtime::Attachments attachments;
  ASSERT_TRUE(attachments.attach_all(loader->object(), &error)) << error;

  Collected collected;
  collected.bundle = &*compiled.bundle;
  bpf_map* events = bpf_object__find_map_by_name(loader->object(), "vigil_events");
  ASSERT_NE(events, nullptr);
  ring_buffer* ring = ring_buffer__new(bpf_map__fd(events), on_record, &collected, nullptr);
  ASSERT_NE(ring, nullptr);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) testing::perform_real_syscalls(kTag);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  size_t expected = compiled.bundle->rules.size() - 1;  // all but e2e_open_elsewhere
  while (std::chrono::steady_clock::now() < deadline) {
    ring_buffer__poll(ring, 100);
    size_t seen = 0;
    for (const codegen::RuleInfo& rule : compiled.bundle->rules)
      seen += collected.matched.count(rule.name);
    if (seen >= expected) break;
  }
  ring_buffer__poll(ring, 100);
  ring_buffer__free(ring);

  for (const codegen::RuleInfo& rule : compiled.bundle->rules) {
    if (rule.name == "e2e_open_elsewhere")
      EXPECT_EQ(collected.matched.count(rule.name), 0u) << rule.name << " matched";
    else
      EXPECT_GE(collected.matched[rule.name], 1) << rule.name << " was not reported matched";
  }
  EXPECT_EQ(collected.errors, std::vector<std::string>{});
  EXPECT_EQ(collected.unexpected, std::vector<std::string>{});
  std::system((std::string("rm -rf ") + kBase).c_str());
}

}  // namespace
}  // namespace vigil
