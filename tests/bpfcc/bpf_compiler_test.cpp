// compile_bpf in process: objects, diagnostics, the sealed include space.
#include "compiler/bpfcc/bpf_compiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "compiler/bpfcc/embedded_headers.h"
#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

using test_support::elf_section_names;
using test_support::read_test_program;
using ::testing::Contains;
using ::testing::HasSubstr;

BpfCompileRequest request_for(std::string source) {
  BpfCompileRequest request;
  request.source = std::move(source);
  return request;
}

constexpr const char* kMinimalProgram = R"(#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("raw_tp")
int noop(void *ctx) { return 0; }
)";

TEST(BpfCompiler, EmbedsTheKernelTypesAndLibbpfHeaders) {
  std::vector<std::string> names;
  for (const EmbeddedHeader& header : embedded_headers()) {
    EXPECT_EQ(header.contents.data()[header.contents.size()], '\0') << header.name;
    // vigil's own templates (bpf/templates/*.bpf.h) come as "vigil/<file>".
    std::string name(header.name);
    if (name.rfind("vigil/", 0) == 0 && name.size() > 12 &&
        name.compare(name.size() - 6, 6, ".bpf.h") == 0)
      continue;
    names.push_back(name);
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("vmlinux.h", "bpf/bpf_helpers.h",
                                                     "bpf/bpf_helper_defs.h", "bpf/bpf_core_read.h",
                                                     "bpf/bpf_tracing.h", "bpf/bpf_endian.h"));
}

TEST(BpfCompiler, CompilesProgramToBpfElfWithBtf) {
  BpfCompileResult result = compile_bpf(request_for(kMinimalProgram));
  ASSERT_TRUE(result.ok) << result.error << "\n" << result.diagnostics_text;
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.diagnostics_text, "");
  EXPECT_TRUE(result.diagnostics.empty());
  ASSERT_GT(result.object.size(), 64u);
  EXPECT_EQ(result.object[18], 247) << "e_machine must be EM_BPF";
  std::vector<std::string> sections = elf_section_names(result.object);
  EXPECT_THAT(sections, Contains(".BTF"));
  EXPECT_THAT(sections, Contains(".BTF.ext"));
  EXPECT_THAT(sections, Contains("raw_tp"));
  EXPECT_THAT(sections, Contains("license"));
  EXPECT_GT(result.compile_time.count(), 0);
}

// Runs in a child process (a death test), because it leaves its process
// unable to compile in-process again.
TEST(BpfCompilerDeathTest, RefusesToCompileAgainAfterCoReRelocations) {
  EXPECT_EXIT(
      {
        BpfCompileRequest request = request_for(read_test_program("representative.bpf.c"));
        BpfCompileResult first = compile_bpf(request);
        if (!first.ok) std::_Exit(10);
        std::vector<std::string> sections = elf_section_names(first.object);
        if (std::find(sections.begin(), sections.end(), ".BTF.ext") == sections.end())
          std::_Exit(11);
        // Even a program without CO-RE is refused now: the cache is dirty.
        BpfCompileResult second = compile_bpf(request_for(kMinimalProgram));
        if (second.ok) std::_Exit(12);
        if (second.error.find("use compile_bpf_isolated") == std::string::npos) std::_Exit(13);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(BpfCompiler, OutputIsDeterministic) {
  BpfCompileResult first = compile_bpf(request_for(kMinimalProgram));
  BpfCompileResult second = compile_bpf(request_for(kMinimalProgram));
  ASSERT_TRUE(first.ok) << first.diagnostics_text;
  EXPECT_EQ(first.object, second.object);
}

TEST(BpfCompiler, ErrorsCarryFileLineAndColumn) {
  BpfCompileRequest request = request_for(
      "#include \"vmlinux.h\"\n"
      "int f(void) {\n"
      "  return missing_name;\n"
      "}\n");
  request.source_name = "rules.bpf.c";
  BpfCompileResult result = compile_bpf(request);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.object.empty());
  EXPECT_EQ(result.error, "1 error in rules.bpf.c");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, BpfSeverity::Error);
  EXPECT_EQ(result.diagnostics[0].file, "rules.bpf.c");
  EXPECT_EQ(result.diagnostics[0].line, 3u);
  EXPECT_EQ(result.diagnostics[0].column, 10u);
  EXPECT_EQ(result.diagnostics[0].message, "use of undeclared identifier 'missing_name'");
  EXPECT_EQ(result.diagnostics_text,
            "rules.bpf.c:3:10: error: use of undeclared identifier 'missing_name'\n"
            "    3 |   return missing_name;\n"
            "      |          ^\n");
}

TEST(BpfCompiler, WarningsDoNotFailTheCompile) {
  BpfCompileResult result = compile_bpf(request_for("int f(int x) { if (x) return 1; }\n"));
  EXPECT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, BpfSeverity::Warning);
  EXPECT_EQ(result.diagnostics[0].line, 1u);
  EXPECT_THAT(result.diagnostics[0].message, HasSubstr("does not return a value"));
}

TEST(BpfCompiler, PoundErrorIsAnErrorAtItsLine) {
  BpfCompileResult result = compile_bpf(request_for("\n#error stop here\n"));
  EXPECT_FALSE(result.ok);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].line, 2u);
  EXPECT_EQ(result.diagnostics[0].column, 2u);
  EXPECT_EQ(result.diagnostics[0].message, "stop here");
}

TEST(BpfCompiler, HostFilesAreNotReachable) {
  for (const char* include :
       {"\"/etc/passwd\"", "\"../../../../etc/passwd\"", "<stdio.h>", "<linux/bpf.h>", "<stdint.h>",
        "\"/proc/self/environ\"", "<bpf/libbpf.h>"}) {
    BpfCompileResult result = compile_bpf(request_for(std::string("#include ") + include + "\n"));
    EXPECT_FALSE(result.ok) << include;
    ASSERT_EQ(result.diagnostics.size(), 1u) << include;
    std::string name(include + 1, std::strlen(include) - 2);
    EXPECT_EQ(result.diagnostics[0].message, "'" + name + "' file not found");
  }
  // C23 #embed (a Clang 19 extension in C17) reads files too.
  BpfCompileResult embedded =
      compile_bpf(request_for("const char data[] = {\n#embed \"/etc/passwd\"\n};\n"));
  EXPECT_FALSE(embedded.ok);
  ASSERT_FALSE(embedded.diagnostics.empty());
  EXPECT_EQ(embedded.diagnostics.back().severity, BpfSeverity::Error);
  EXPECT_EQ(embedded.diagnostics.back().message, "'/etc/passwd' file not found");
  BpfCompileResult probe =
      compile_bpf(request_for("#if __has_include(\"/etc/passwd\") || __has_include(<stddef.h>) || "
                              "__has_embed(\"/etc/passwd\")\n#error reachable\n#endif\n"
                              "int x;\n"));
  EXPECT_TRUE(probe.ok) << probe.diagnostics_text;
}

TEST(BpfCompiler, DebugCrashPragmasAreInert) {
  BpfCompileResult result = compile_bpf(request_for(
      "#pragma clang __debug crash\n#pragma clang __debug llvm_fatal_error\n"
      "#pragma clang __debug llvm_unreachable\n#pragma clang __debug assert\nint x;\n"));
  EXPECT_TRUE(result.ok) << result.diagnostics_text;
}

TEST(BpfCompiler, ExtraHeadersAreIncludableAndShadowEmbeddedOnes) {
  BpfCompileRequest request = request_for(
      "#include \"vigil/rules.h\"\n#include \"vmlinux.h\"\n"
      "int rule_count(void) { return RULE_COUNT + SHADOWED; }\n");
  request.headers = {{"vigil/rules.h", "#define RULE_COUNT 3\n"},
                     {"vmlinux.h", "#define SHADOWED 4\n"}};
  BpfCompileResult result = compile_bpf(request);
  EXPECT_TRUE(result.ok) << result.diagnostics_text;
}

TEST(BpfCompiler, DefinesReachTheSource) {
  BpfCompileRequest request = request_for(
      "#if VIGIL_RULES != 7 || !defined(__TARGET_ARCH_x86) && !defined(__TARGET_ARCH_arm64)\n"
      "#error wrong\n#endif\nint x;\n");
  request.defines = {{"VIGIL_RULES", "7"}};
  BpfCompileResult result = compile_bpf(request);
  EXPECT_TRUE(result.ok) << result.diagnostics_text;
}

TEST(BpfCompiler, DiagnosticsInHeadersNameTheHeader) {
  BpfCompileRequest request = request_for("#include \"broken.h\"\n");
  request.headers = {{"broken.h", "\n\nint broken = ;\n"}};
  BpfCompileResult result = compile_bpf(request);
  EXPECT_FALSE(result.ok);
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_EQ(result.diagnostics[0].file, "/vigil/include/broken.h");
  EXPECT_EQ(result.diagnostics[0].line, 3u);
  EXPECT_EQ(result.diagnostics[0].column, 14u);
}

TEST(BpfCompiler, RejectsUnsafeNamesAndOptions) {
  struct Case {
    void (*mutate)(BpfCompileRequest&);
    const char* error;
  };
  const Case cases[] = {
      {[](BpfCompileRequest& r) { r.headers = {{"../escape.h", ""}}; },
       "invalid BPF header name '../escape.h'"},
      {[](BpfCompileRequest& r) { r.headers = {{"/abs.h", ""}}; },
       "invalid BPF header name '/abs.h'"},
      {[](BpfCompileRequest& r) { r.headers = {{"a//b.h", ""}}; },
       "invalid BPF header name 'a//b.h'"},
      {[](BpfCompileRequest& r) { r.source_name = "dir/x.c"; },
       "invalid BPF source name 'dir/x.c'"},
      {[](BpfCompileRequest& r) { r.source_name = ""; }, "invalid BPF source name ''"},
      {[](BpfCompileRequest& r) { r.defines = {{"1X", "1"}}; }, "invalid BPF define '1X'"},
      {[](BpfCompileRequest& r) { r.defines = {{"X", "1\n#include </etc/passwd>"}}; },
       "invalid BPF define 'X'"},
      {[](BpfCompileRequest& r) { r.optimization_level = 0; }, "invalid BPF optimization level 0"},
      {[](BpfCompileRequest& r) { r.cpu = "probe"; }, "invalid BPF cpu 'probe'"},
  };
  for (const Case& c : cases) {
    BpfCompileRequest request = request_for("int x;\n");
    c.mutate(request);
    BpfCompileResult result = compile_bpf(request);
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.error, c.error);
  }
}

TEST(BpfCompiler, GarbageInputGivesBoundedErrors) {
  std::mt19937 random(42);
  std::string garbage(1 << 20, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xff);
  BpfCompileResult result = compile_bpf(request_for(garbage));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.object.empty());
  EXPECT_FALSE(result.diagnostics.empty());
  EXPECT_LE(result.diagnostics.size(), kMaxDiagnostics);
  EXPECT_THAT(result.error, HasSubstr(" in program.bpf.c"));
}

TEST(BpfCompiler, OversizedSourceIsRefusedUpFront) {
  BpfCompileResult result = compile_bpf(request_for(std::string(kMaxSourceBytes + 1, ' ')));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "BPF source is 16777217 bytes; the limit is 16777216");
}

}  // namespace
}  // namespace vigil::bpfcc
