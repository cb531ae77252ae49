// process.stdin_type and process.stdout_type (what fd 0 and fd 1 are): the
// schema rows, the record layout, the capture macros the generator emits for
// them, and a reverse-shell rule in the evaluator through `vigil test`
// fixtures. Their kernel side is tested in tests/bpfcc/capture_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/codegen/event_layout.h"
#include "compiler/codegen/generate.h"
#include "compiler/frontend.h"
#include "compiler/policy_test.h"
#include "tests/unit/sema_test_support.h"
#include "tests/unit/temp_dir.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStdioFields[] = {"process.stdin_type", "process.stdout_type"};
// Every value the kernel writes (prelude.bpf.h, vigil_fd_type).
constexpr std::string_view kTypes[] = {"socket", "pipe", "tty",   "char", "file",
                                       "dir",    "none", "block", "other"};

TEST(StdioTypeFields, AreKernelStringsOnEveryEvent) {
  for (std::string_view name : kStdioFields) {
    std::optional<FieldId> id = find_field(name);
    ASSERT_TRUE(id) << name;
    const FieldInfo& field = field_info(*id);
    EXPECT_EQ(field.type, Type::String) << name;
    EXPECT_FALSE(field.multi_valued) << name;
    EXPECT_EQ(field.source, FieldSource::Kernel) << name;
    EXPECT_EQ(field.events, kAllEvents) << name;
    for (std::string_view type : kTypes)
      EXPECT_LT(type.size(), field.capacity.string_bytes) << name << " cannot hold " << type;
  }
}

TEST(StdioTypeFields, EveryValueSurvivesTheRecord) {
  const codegen::EventLayout& layout = codegen::EventLayout::get();
  FieldId in = *find_field("process.stdin_type"), out = *find_field("process.stdout_type");
  // Small: not in the on-demand tail, so every record carries them.
  for (FieldId id : {in, out}) {
    ASSERT_NE(layout.member(id), nullptr);
    EXPECT_FALSE(codegen::captured_on_demand(field_info(id)));
    EXPECT_LE(layout.member(id)->offset + layout.member(id)->size, layout.captured_size({}));
  }
  EXPECT_NE(layout.c_declaration().find("char process_stdin_type[8]; /* process.stdin_type */"),
            std::string::npos);
  for (std::string_view type : kTypes) {
    Event event(EventKind::NetConnect);
    event.set(in, std::string(type));
    event.set(out, std::string(type == "socket" ? "pipe" : "socket"));
    std::vector<uint8_t> record = layout.encode(event);
    std::optional<Event> decoded = layout.decode(std::span(record).first(layout.captured_size({})));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->get(in)[0], Value(std::string(type)));
    EXPECT_EQ(decoded->get(out)[0], event.get(out)[0]);
  }
}

// The kernel pays for a descriptor lookup only where a rule reads the field.
TEST(StdioTypeFields, CapturedOnlyWhenARuleReadsThem) {
  auto generated_c = [](const std::string& policy) {
    auto analysis = sema_test::analyze_text(policy);
    EXPECT_TRUE(analysis->policy.has_value()) << ::testing::PrintToString(analysis->errors());
    if (!analysis->policy) return std::string();
    return codegen::generate_bpf(*analysis->policy, {}).bundle.c_source;
  };
  std::string stdin_only = generated_c(
      "rule r { on exec when process.exe == \"/bin/sh\" and process.stdin_type == \"socket\" }");
  EXPECT_NE(stdin_only.find("#define VIGIL_NEED_PROCESS_STDIN_TYPE 1\n"), std::string::npos);
  EXPECT_EQ(stdin_only.find("VIGIL_NEED_PROCESS_STDOUT_TYPE"), std::string::npos);

  std::string in_output = generated_c(
      "rule r { on net.connect when process.comm == \"sh\" output \"{process.stdout_type}\" }");
  EXPECT_NE(in_output.find("#define VIGIL_NEED_PROCESS_STDOUT_TYPE 1\n"), std::string::npos);
  EXPECT_EQ(in_output.find("VIGIL_NEED_PROCESS_STDIN_TYPE"), std::string::npos);

  std::string neither = generated_c("rule r { on exec when process.exe == \"/bin/sh\" }");
  EXPECT_EQ(neither.find("VIGIL_NEED_PROCESS_STD"), std::string::npos);
}

using vigil::testing::TempDir;

// A reverse shell rule under `vigil test`: it fires for a shell whose stdin
// is a socket, and for nothing else.
TEST(StdioTypeFields, ReverseShellRuleInFixtures) {
  TempDir dir;
  dir.write("policies/shell.vigil",
            "list shells = [\"/bin/sh\", \"/bin/bash\", \"/usr/bin/bash\"]\n"
            "rule reverse_shell {\n"
            "  on exec, net.connect\n"
            "  when process.exe in shells and process.stdin_type == \"socket\"\n"
            "  severity critical\n"
            "  output \"{process.exe} with stdin {process.stdin_type}, stdout "
            "{process.stdout_type}\"\n"
            "}\n");
  dir.write("policies/shell.test.yaml",
            "cases:\n"
            "  - name: bash reading a socket\n"
            "    events:\n"
            "      - {event: exec, process.exe: /usr/bin/bash, process.stdin_type: socket,\n"
            "         process.stdout_type: socket}\n"
            "    expect: [{rule: reverse_shell, event: 1}]\n"
            "  - name: nested keys, on connect\n"
            "    events:\n"
            "      - event: net.connect\n"
            "        process:\n"
            "          exe: /bin/sh\n"
            "          stdin_type: socket\n"
            "          stdout_type: pipe\n"
            "    expect: [{rule: reverse_shell, event: 1}]\n"
            "  - name: shells on a terminal, a pipe, nothing, or not captured\n"
            "    events:\n"
            "      - {event: exec, process.exe: /bin/bash, process.stdin_type: tty}\n"
            "      - {event: exec, process.exe: /bin/bash, process.stdin_type: pipe}\n"
            "      - {event: exec, process.exe: /bin/bash, process.stdin_type: none}\n"
            "      - {event: exec, process.exe: /bin/bash}\n"
            "      - {event: exec, process.exe: /bin/bash, process.stdout_type: socket}\n"
            "    expect: none\n"
            "  - name: a socket on stdin of something else\n"
            "    events:\n"
            "      - {event: exec, process.exe: /usr/sbin/sshd, process.stdin_type: socket}\n"
            "    expect: none\n"
            "  - name: a miss reported as a failure\n"
            "    events:\n"
            "      - {event: exec, process.exe: /bin/bash, process.stdin_type: Socket}\n"
            "    expect: [{rule: reverse_shell}]\n");
  FrontEndResult front = run_front_end({dir.path() + "/policies"});
  ASSERT_TRUE(front.policy);
  std::vector<std::string> files = find_policy_test_files({dir.path() + "/policies"});
  ASSERT_EQ(files.size(), 1u);
  std::ostringstream out;
  PolicyTestSummary summary = run_policy_tests(*front.policy, front.sources, files, out, true);
  std::string text = out.str();
  EXPECT_EQ(summary.passed, 4u) << text;
  EXPECT_EQ(summary.failed, 1u) << text;
  EXPECT_EQ(summary.errors, 0u) << text;
  EXPECT_NE(text.find("output: /usr/bin/bash with stdin socket, stdout socket"), std::string::npos)
      << text;
  EXPECT_NE(text.find("process.stdin_type = \"Socket\"; == \"socket\" -> false"), std::string::npos)
      << text;

  // The same through the evaluator directly.
  const ir::Rule& rule = front.policy->rules.at(0);
  Event event(EventKind::Exec);
  event.set(*find_field("process.exe"), std::string("/bin/sh"));
  for (std::string_view type : kTypes) {
    event.set(*find_field("process.stdin_type"), std::string(type));
    EXPECT_EQ(rule_matches(rule, event), type == "socket") << type;
  }
}

}  // namespace
}  // namespace vigil
