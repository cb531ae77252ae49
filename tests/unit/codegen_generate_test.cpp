// The code generator as a security boundary: nothing from a policy reaches
// the generated C except numbers and sanitised comments.
#include <gtest/gtest.h>

#include "compiler/codegen/c_text.h"
#include "compiler/codegen/generate.h"
#include "tests/unit/sema_test_support.h"

namespace vigil::codegen {
namespace {

TEST(CText, CommentTextCannotEndTheCommentOrTheLine) {
  EXPECT_EQ(c_comment_text("a*/b"), "a?/b");
  EXPECT_EQ(c_comment_text("a/*b"), "a?*b");
  EXPECT_EQ(c_comment_text("line\nbreak\r"), "line?break?");
  EXPECT_EQ(c_comment_text("trailing\\"), "trailing?");
  EXPECT_EQ(c_comment_text("caf\xc3\xa9"), "caf??");
  EXPECT_EQ(c_comment_text("plain/path.vigil:12"), "plain/path.vigil:12");
}

TEST(CText, IntegerLiterals) {
  EXPECT_EQ(c_int64(0), "0LL");
  EXPECT_EQ(c_int64(-5), "-5LL");
  EXPECT_EQ(c_int64(INT64_MIN), "(-9223372036854775807LL - 1)");
  EXPECT_EQ(c_uint64(255), "0xffULL");
}

// Hostile strings in every string position: none of their bytes may reach C.
TEST(CodegenGenerate, PolicyStringsNeverReachTheC) {
  const std::string policy = R"(
list hostile = ["*/ int injected; /*", "\"; system(\"id\"); //", "\n#error injected", "\\", "??/"]
rule hostile_strings {
  on file.open
  when file.path in hostile or file.path startswith "*/ startswith_injected"
    or process.exe endswith "endswith_injected */" or process.cmdline contains "contains_injected"
    or file.path glob "/glob_injected/**/*.x"
  output "output_injected */ {file.path}"
})";
  auto analysis = sema_test::analyze_texts({{"dir*/\n#error path_injected/a.vigil", policy}});
  ASSERT_TRUE(analysis->policy.has_value()) << testing::PrintToString(analysis->errors());
  GenerateOptions options;
  options.sources = &analysis->sources;
  GeneratedSource generated = generate_bpf(*analysis->policy, options);
  ASSERT_EQ(generated.errors, std::vector<std::string>{});
  const std::string& c = generated.bundle.c_source;
  for (const char* needle :
       {"injected;", "system(", "\n#error", "startswith_injected", "endswith_injected",
        "contains_injected", "glob_injected", "output_injected"})
    EXPECT_EQ(c.find(needle), std::string::npos) << needle;
  // The file path appears only inside comments, sanitised so it can neither
  // end the comment nor the line; the rule name (an identifier) as is.
  EXPECT_NE(c.find("// hostile_strings (dir?/?#error path_injected/a.vigil:"), std::string::npos)
      << c;
  size_t at = 0;
  while ((at = c.find("path_injected", at)) != std::string::npos) {
    size_t line_start = c.rfind('\n', at);
    std::string_view line = std::string_view(c).substr(line_start + 1, at - line_start - 1);
    EXPECT_NE(line.find("//"), std::string_view::npos) << line;
    ++at;
  }
  // The strings went to the automaton tables instead.
  ASSERT_EQ(generated.bundle.maps.size(), 3u);
  EXPECT_EQ(generated.bundle.maps[0].map_name, "vigil_dfa_next");
  EXPECT_GT(generated.bundle.maps[0].array_values.size(), 4u * 20);
}

// The process context costs most of an event: the matcher tests the event's
// own fields first and asks for the context (VIGIL_ENSURE_CONTEXT) only
// before its first process field, and only while a rule is alive.
TEST(CodegenGenerate, ProcessContextIsFilledOnlyAfterTheEventsOwnFieldsAreTested) {
  auto analysis = sema_test::analyze_text(R"(
rule shadow { on file.open when file.path == "/etc/shadow" except process.exe == "/usr/bin/passwd" }
rule root_write { on file.open when file.write and process.uid == 0 and file.path startswith "/etc/" }
rule only_path { on file.rename when file.newpath endswith ".locked" }
)");
  ASSERT_TRUE(analysis->policy.has_value()) << testing::PrintToString(analysis->errors());
  GeneratedSource generated = generate_bpf(*analysis->policy, {});
  const std::string& c = generated.bundle.c_source;
  auto body = [&](const std::string& kind) {
    size_t start = c.find("void vigil_match_" + kind + "(");
    EXPECT_NE(start, std::string::npos) << kind;
    return c.substr(start, c.find("\n}\n", start) - start);
  };
  const std::string open = body("file_open");
  size_t path_walk = open.find("// file.path:");
  size_t context = open.find("VIGIL_ENSURE_CONTEXT(ev)");
  size_t exe_walk = open.find("// process.exe:");
  size_t uid_test = open.find("ev->process_uid");
  ASSERT_NE(path_walk, std::string::npos) << open;
  ASSERT_NE(context, std::string::npos) << open;
  EXPECT_LT(path_walk, context) << open;
  EXPECT_LT(context, exe_walk) << open;
  EXPECT_LT(context, uid_test) << open;
  EXPECT_EQ(open.find("VIGIL_ENSURE_CONTEXT", context + 1), std::string::npos) << "asked once";
  // Guarded: with every rule dead by then, the context is never filled.
  EXPECT_NE(open.find("if ((rules[0] & 0x3ULL)) VIGIL_ENSURE_CONTEXT(ev);"), std::string::npos)
      << open;
  // A matcher that reads no process field never asks for the context.
  EXPECT_EQ(body("file_rename").find("VIGIL_ENSURE_CONTEXT"), std::string::npos);
}

TEST(CodegenGenerate, RulesFoldedToFalseAreLeftOutOfTheBitmap) {
  auto analysis = sema_test::analyze_text(R"(
rule a { on exec when process.uid == 0 }
rule b { on exec when process.exe matches "x" or process.uid == 1 }
)");
  ASSERT_TRUE(analysis->policy.has_value());
  GeneratedSource generated = generate_bpf(*analysis->policy, {});
  const std::string& c = generated.bundle.c_source;
  // a is decided in the kernel (matched); b is completed in user space (pending).
  EXPECT_NE(c.find("verdict->matched[0] = rules[0] & 0x1ULL;"), std::string::npos) << c;
  EXPECT_NE(c.find("verdict->pending[0] = rules[0] & ~0x1ULL;"), std::string::npos) << c;
  ASSERT_EQ(generated.bundle.rules.size(), 2u);
  EXPECT_TRUE(generated.bundle.rules[0].kernel_complete);
  EXPECT_FALSE(generated.bundle.rules[1].kernel_complete);
}

}  // namespace
}  // namespace vigil::codegen
