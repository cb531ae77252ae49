// Verifier-log excerpts on real logs of kernel 6.18 (level 1 + statistics),
// captured from tests/unit/data/verifier_logs/program.bpf.c (kernel
// addresses replaced by 0xffff888100000000).
#include "runtime/verifier_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace vigil::runtime {
namespace {

std::string read_log(const std::string& name) {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/tests/unit/data/verifier_logs/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

SourceLineNote note(std::string code, uint32_t line) {
  return SourceLineNote{std::move(code), "program.bpf.c", line};
}

TEST(VerifierLog, OutOfBoundsMapValueAccess) {
  VerifierExcerpt excerpt = extract_verifier_excerpt(read_log("out_of_bounds.log"));
  EXPECT_EQ(excerpt.error_lines,
            (std::vector<std::string>{"invalid access to map value, value_size=8 off=12 size=4",
                                      "R1 min value is outside of the allowed memory range"}));
  ASSERT_TRUE(excerpt.failing_line.has_value());
  EXPECT_EQ(*excerpt.failing_line, note("return words[3];", 17));
  EXPECT_EQ(excerpt.source_lines,
            (std::vector<SourceLineNote>{
                note("int out_of_bounds(void *ctx) {", 12), note("__u32 key = 2;", 13),
                note("__u64 *v = bpf_map_lookup_elem(&values, &key);", 14),
                note("if (!v) return 0;", 15), note("return words[3];", 17)}));
  // The whole program is 10 instructions: all of them, from the first state,
  // without the preamble line before it.
  ASSERT_EQ(excerpt.context_lines.size(), 16u);
  EXPECT_EQ(excerpt.context_lines.front(), "0: R1=ctx() R10=fp0");
  EXPECT_EQ(excerpt.context_lines[excerpt.context_lines.size() - 2],
            "; return words[3]; @ program.bpf.c:17");
  EXPECT_EQ(excerpt.context_lines.back(), "10: (61) r0 = *(u32 *)(r1 +12)");
}

TEST(VerifierLog, ContextIsTheLastInstructionsWithTheirAnnotations) {
  VerifierExcerpt excerpt =
      extract_verifier_excerpt(read_log("out_of_bounds.log"), {.context_instructions = 3});
  EXPECT_EQ(excerpt.context_lines,
            (std::vector<std::string>{
                "8: (b4) w0 = 0                        ; R0=0",
                "; if (!v) return 0; @ program.bpf.c:15",
                "9: (15) if r1 == 0x0 goto pc+1        ; R1=map_value(map=values,ks=4,vs=8)",
                "; return words[3]; @ program.bpf.c:17",
                "10: (61) r0 = *(u32 *)(r1 +12)",
            }));
}

TEST(VerifierLog, NullAndScalarDereferences) {
  VerifierExcerpt null_deref = extract_verifier_excerpt(read_log("null_deref.log"));
  EXPECT_EQ(null_deref.error_lines,
            std::vector<std::string>{"R0 invalid mem access 'map_value_or_null'"});
  EXPECT_EQ(null_deref.failing_line, note("return *v == 7;", 24));
  VerifierExcerpt scalar = extract_verifier_excerpt(read_log("scalar_deref.log"));
  EXPECT_EQ(scalar.error_lines, std::vector<std::string>{"R1 invalid mem access 'scalar'"});
  EXPECT_EQ(scalar.failing_line, note("return *p == 3;", 33));
  EXPECT_EQ(scalar.context_lines.back(), "11: (79) r1 = *(u64 *)(r1 +0)");
}

TEST(VerifierLog, FailureInsideACalledFunctionKeepsTheCallDump) {
  VerifierExcerpt excerpt = extract_verifier_excerpt(read_log("unbounded_index.log"));
  EXPECT_EQ(excerpt.error_lines,
            std::vector<std::string>{
                "R1 unbounded memory access, make sure to bounds check any such access"});
  EXPECT_EQ(excerpt.failing_line, note("return ((__u8 *)v)[i];", 38));
  // The caller's line is among the annotations too, so a rule in the caller
  // can still be found when the failing line is a shared helper.
  EXPECT_NE(std::find(excerpt.source_lines.begin(), excerpt.source_lines.end(),
                      note("return check_value(v, (__u32)bpf_get_prandom_u32());", 46)),
            excerpt.source_lines.end());
  EXPECT_NE(std::find(excerpt.context_lines.begin(), excerpt.context_lines.end(), "callee:"),
            excerpt.context_lines.end());
}

TEST(VerifierLog, TooLargeProgramFromTheTailOfAnOverflowingLog) {
  std::string log = read_log("too_large.log");
  VerifierExcerpt excerpt = extract_verifier_excerpt(log, {.head_truncated = true});
  EXPECT_EQ(excerpt.error_lines,
            std::vector<std::string>{"BPF program is too large. Processed 1000001 insn"});
  // The limit struck at the jump back into the loop: the last line the log
  // annotates is the loop header.
  EXPECT_EQ(excerpt.failing_line, note("for (__u32 i = 0; i < 400000; i++) {", 55));
  EXPECT_EQ(excerpt.source_lines,
            (std::vector<SourceLineNote>{note("if (*v & (1ull << (i & 63))) sum += i;", 56),
                                         note("for (__u32 i = 0; i < 400000; i++) {", 55)}));
  size_t instructions = 0;
  for (const std::string& line : excerpt.context_lines)
    if (line.find(": (") != std::string::npos) ++instructions;
  EXPECT_EQ(instructions, 12u);
  EXPECT_EQ(excerpt.context_lines.back(), "23: (05) goto pc-11");
  // Without the hint, the cut first line is kept as it is (it is no verdict).
  VerifierExcerpt untrimmed = extract_verifier_excerpt(log);
  EXPECT_EQ(untrimmed.error_lines, excerpt.error_lines);
}

TEST(VerifierLog, StatisticsOnlyLogStillYieldsTheVerdict) {
  // Level 4 alone: no instructions, the per-program preamble, the verdict.
  std::string log =
      "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n"
      "invalid access to map value, value_size=8 off=12 size=4\n"
      "R1 min value is outside of the allowed memory range\n"
      "verification time 24 usec\n"
      "stack depth 8\n"
      "processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 "
      "mark_read 0\n";
  VerifierExcerpt excerpt = extract_verifier_excerpt(log);
  EXPECT_EQ(excerpt.error_lines,
            (std::vector<std::string>{"invalid access to map value, value_size=8 off=12 size=4",
                                      "R1 min value is outside of the allowed memory range"}));
  EXPECT_TRUE(excerpt.context_lines.empty());
  EXPECT_FALSE(excerpt.failing_line.has_value());
  VerifierStats stats = parse_verifier_stats(log);
  EXPECT_EQ(stats.processed_insns, 10u);
  EXPECT_EQ(stats.verification_time, std::chrono::microseconds(24));
}

TEST(VerifierLog, StatisticsOfAnAcceptedProgram) {
  VerifierStats stats = parse_verifier_stats(
      "verification time 97 usec\nstack depth 8\nprocessed 13 insns (limit 1000000) "
      "max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0\n");
  EXPECT_EQ(stats.processed_insns, 13u);
  EXPECT_EQ(stats.verification_time, std::chrono::microseconds(97));
  EXPECT_EQ(extract_verifier_excerpt("verification time 97 usec\n").error_lines.size(), 0u);
  VerifierStats none = parse_verifier_stats("");
  EXPECT_FALSE(none.processed_insns.has_value());
  EXPECT_FALSE(none.verification_time.has_value());
}

TEST(VerifierLog, SourceLineNotes) {
  EXPECT_EQ(parse_source_line_note("; if (!v) return 0; @ program.bpf.c:15"),
            note("if (!v) return 0;", 15));
  // The code itself may contain " @ ": the location is the last one.
  EXPECT_EQ(parse_source_line_note("; x = a @ b; @ gen/rules.bpf.c:7"),
            (SourceLineNote{"x = a @ b;", "gen/rules.bpf.c", 7}));
  // Kernels before 5.19 print no location.
  EXPECT_EQ(parse_source_line_note("; if (!v) return 0;"),
            (SourceLineNote{"if (!v) return 0;", "", 0}));
  EXPECT_EQ(parse_source_line_note("; x @ file.c:12a"), (SourceLineNote{"x @ file.c:12a", "", 0}));
  EXPECT_FALSE(parse_source_line_note("; R0=0 R4=45").has_value());
  EXPECT_FALSE(parse_source_line_note("9: (15) if r1 == 0x0 goto pc+1").has_value());
  EXPECT_FALSE(parse_source_line_note(";").has_value());
}

TEST(VerifierLog, HostileAndDegenerateLogs) {
  EXPECT_TRUE(extract_verifier_excerpt("").error_lines.empty());
  EXPECT_TRUE(extract_verifier_excerpt("\n\n\n").error_lines.empty());
  // Bytes after the kernel's NUL are stale buffer contents.
  std::string with_nul = std::string("R0 !read_ok\n", 12) + '\0' + "garbage\n";
  EXPECT_EQ(extract_verifier_excerpt(with_nul).error_lines,
            std::vector<std::string>{"R0 !read_ok"});
  // Very long lines are clipped.
  VerifierExcerpt clipped =
      extract_verifier_excerpt("0: (b7) r0 = 0\n" + std::string(5000, 'x'), {.max_line_bytes = 16});
  EXPECT_EQ(clipped.error_lines, std::vector<std::string>{std::string(16, 'x') + "..."});
  // Only the last error lines are kept.
  std::string many;
  for (int i = 0; i < 20; ++i) many += "error " + std::to_string(i) + "\n";
  VerifierExcerpt last = extract_verifier_excerpt(many);
  ASSERT_EQ(last.error_lines.size(), 8u);
  EXPECT_EQ(last.error_lines.front(), "error 12");
  EXPECT_EQ(last.error_lines.back(), "error 19");
  // CRLF and a missing final newline.
  EXPECT_EQ(extract_verifier_excerpt("1: (95) exit\r\nR0 !read_ok").error_lines,
            std::vector<std::string>{"R0 !read_ok"});
}

}  // namespace
}  // namespace vigil::runtime
