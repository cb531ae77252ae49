#include "runtime/verifier_log.h"

#include <algorithm>
#include <charconv>

namespace vigil::runtime {
namespace {

// Error lines kept at most; a verdict is one to three lines in practice.
constexpr size_t kMaxErrorLines = 8;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "<n>: " at the start of a line: an instruction or the register state at it.
size_t index_prefix_length(std::string_view line) {
  size_t digits = 0;
  while (digits < line.size() && is_digit(line[digits])) ++digits;
  if (digits == 0 || line.substr(digits, 2) != ": ") return 0;
  return digits + 2;
}

// "9: (15) if r1 == 0x0 goto pc+1": the index, then the opcode in parentheses.
bool is_instruction(std::string_view line) {
  size_t prefix = index_prefix_length(line);
  if (prefix == 0) return false;
  std::string_view rest = line.substr(prefix);
  return rest.size() >= 4 && rest[0] == '(' && rest[3] == ')';
}

bool is_stats(std::string_view line) {
  if (starts_with(line, "verification time ") || starts_with(line, "stack depth ")) return true;
  if (!starts_with(line, "processed ")) return false;
  std::string_view rest = line.substr(10);
  size_t digits = 0;
  while (digits < rest.size() && is_digit(rest[digits])) ++digits;
  return digits > 0 && rest.substr(digits, 6) == " insns";
}

// A line about verifier state rather than a verdict: "0: R1=ctx() R10=fp0",
// "from 9 to 11: ...", the caller/callee dumps of a call.
bool is_state(std::string_view line) {
  if (index_prefix_length(line) != 0) return true;
  if (starts_with(line, "from ") && line.find(": ") != std::string_view::npos) return true;
  return line == "caller:" || line == "callee:" || starts_with(line, " ");
}

// Notes the verifier prints for every program before checking instructions
// (BTF of the arguments, function boundaries, liveness); never the verdict.
bool is_preamble(std::string_view line) {
  return starts_with(line, "arg#") || starts_with(line, "func#") ||
         starts_with(line, "Validating ") || starts_with(line, "Live regs before insn");
}

std::vector<std::string_view> split_lines(std::string_view log, bool drop_first) {
  // The kernel NUL-terminates the buffer; anything after the NUL is stale.
  size_t end = log.find('\0');
  if (end != std::string_view::npos) log = log.substr(0, end);
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < log.size()) {
    size_t newline = log.find('\n', start);
    size_t stop = newline == std::string_view::npos ? log.size() : newline;
    std::string_view line = log.substr(start, stop - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = stop + 1;
  }
  if (drop_first && !lines.empty()) lines.erase(lines.begin());
  return lines;
}

std::string clip(std::string_view line, size_t max_bytes) {
  if (line.size() <= max_bytes) return std::string(line);
  return std::string(line.substr(0, max_bytes)) + "...";
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<SourceLineNote> parse_source_line_note(std::string_view line) {
  if (!starts_with(line, "; ")) return std::nullopt;
  std::string_view rest = line.substr(2);
  SourceLineNote note;
  size_t at = rest.rfind(" @ ");
  if (at != std::string_view::npos) {
    std::string_view location = rest.substr(at + 3);
    size_t colon = location.rfind(':');
    std::optional<uint32_t> number;
    if (colon != std::string_view::npos && colon > 0)
      number = parse_number<uint32_t>(location.substr(colon + 1));
    if (number && colon + 1 + std::to_string(*number).size() == location.size()) {
      note.code = std::string(rest.substr(0, at));
      note.file = std::string(location.substr(0, colon));
      note.line = *number;
      return note;
    }
  }
  // The register state after an instruction ("; R0=0 R4=45") reaches the
  // start of a line only as the cut first line of a truncated log.
  if (rest.size() >= 3 && rest[0] == 'R' && is_digit(rest[1]) && rest.find('=') < rest.find(' '))
    return std::nullopt;
  note.code = std::string(rest);
  return note;
}

VerifierExcerpt extract_verifier_excerpt(std::string_view log, const ExcerptOptions& options) {
  std::vector<std::string_view> lines = split_lines(log, options.head_truncated);
  VerifierExcerpt excerpt;

  for (std::string_view line : lines) {
    std::optional<SourceLineNote> note = parse_source_line_note(line);
    if (!note) continue;
    if (std::find(excerpt.source_lines.begin(), excerpt.source_lines.end(), *note) ==
        excerpt.source_lines.end())
      excerpt.source_lines.push_back(*note);
    excerpt.failing_line = *std::move(note);
  }

  size_t last_instruction = lines.size();
  for (size_t i = lines.size(); i-- > 0;) {
    if (is_instruction(lines[i])) {
      last_instruction = i;
      break;
    }
  }

  // The verdict follows the last instruction (or, when the verifier stopped
  // before any, it is whatever the log says).
  size_t verdict_start = last_instruction == lines.size() ? 0 : last_instruction + 1;
  size_t first_error = lines.size();
  std::vector<std::string_view> errors;
  for (size_t i = verdict_start; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty() || is_stats(line) || parse_source_line_note(line)) continue;
    if (is_state(line) || is_preamble(line)) continue;
    if (first_error == lines.size()) first_error = i;
    errors.push_back(line);
  }
  size_t skip = errors.size() > kMaxErrorLines ? errors.size() - kMaxErrorLines : 0;
  for (size_t i = skip; i < errors.size(); ++i)
    excerpt.error_lines.push_back(clip(errors[i], options.max_line_bytes));

  if (last_instruction == lines.size()) return excerpt;
  size_t context_start = last_instruction;
  size_t instructions = 0;
  for (size_t i = last_instruction + 1; i-- > 0;) {
    if (is_instruction(lines[i]) && ++instructions > options.context_instructions) break;
    context_start = i;
  }
  // Keep the annotation that introduces the first instruction shown.
  if (context_start > 0 && parse_source_line_note(lines[context_start - 1])) --context_start;
  size_t context_end = std::min(first_error, lines.size());
  for (size_t i = context_start; i < context_end; ++i) {
    if (is_stats(lines[i]) || is_preamble(lines[i]) || lines[i].empty()) continue;
    excerpt.context_lines.push_back(clip(lines[i], options.max_line_bytes));
  }
  return excerpt;
}

VerifierStats parse_verifier_stats(std::string_view log) {
  VerifierStats stats;
  for (std::string_view line : split_lines(log, false)) {
    if (starts_with(line, "verification time ")) {
      std::string_view rest = line.substr(18);
      if (std::optional<uint64_t> usec = parse_number<uint64_t>(rest))
        stats.verification_time = std::chrono::microseconds(*usec);
    } else if (starts_with(line, "processed ") && is_stats(line)) {
      stats.processed_insns = parse_number<uint64_t>(line.substr(10));
    }
  }
  return stats;
}

}  // namespace vigil::runtime
