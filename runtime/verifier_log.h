// Reading the kernel verifier's log: the verdict, the instructions just
// before it, and the C source lines the kernel annotates them with (from the
// object's BTF line info), so a rejection can be pinned on a line of the
// generated C and, through the bundle's RuleLines, on a rule.
//
// The log format is the kernel's (level 1, plus level 4 statistics):
//   ; if (!v) return 0; @ program.bpf.c:23     <- source annotation
//   9: (15) if r1 == 0x0 goto pc+1        ; R1=map_value(...)   <- instruction
//   invalid access to map value, value_size=8 off=12 size=4       <- verdict
//   verification time 71 usec                                      <- statistics
//   processed 10 insns (limit 1000000) max_states_per_insn 0 ...
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::runtime {

// `; <code> @ <file>:<line>`. Kernels before 5.19 print no location: then
// file is empty and line 0.
struct SourceLineNote {
  std::string code;
  std::string file;
  uint32_t line = 0;

  bool operator==(const SourceLineNote&) const = default;
};

struct VerifierExcerpt {
  // The verdict: the lines after the last instruction, statistics left out,
  // e.g. {"invalid access to map value, value_size=8 off=12 size=4",
  //       "R1 min value is outside of the allowed memory range"}.
  std::vector<std::string> error_lines;
  // The last instructions before the verdict as the kernel printed them,
  // with the source annotations and register states between them.
  std::vector<std::string> context_lines;
  // Every distinct annotation in the log, in order of first appearance.
  std::vector<SourceLineNote> source_lines;
  // The last annotation: the C line of the instruction that failed.
  std::optional<SourceLineNote> failing_line;
};

struct VerifierStats {
  std::optional<uint64_t> processed_insns;                     // "processed N insns"
  std::optional<std::chrono::microseconds> verification_time;  // "verification time N usec"
};

struct ExcerptOptions {
  size_t context_instructions = 12;
  // The log is the tail of a longer one (the kernel keeps the end of a log
  // that overflows its buffer): its first line may be cut and is dropped.
  bool head_truncated = false;
  // Longer lines (register states can be kilobytes) are cut, marked "...".
  size_t max_line_bytes = 512;
};

VerifierExcerpt extract_verifier_excerpt(std::string_view log, const ExcerptOptions& options = {});

VerifierStats parse_verifier_stats(std::string_view log);

// Parses one log line as a source annotation.
std::optional<SourceLineNote> parse_source_line_note(std::string_view line);

}  // namespace vigil::runtime
