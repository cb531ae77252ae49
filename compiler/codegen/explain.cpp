#include "compiler/codegen/explain.h"

#include <fmt/format.h>

namespace vigil::codegen {
namespace {

// The conjunct's source text on one line, at most `limit` bytes.
std::string source_text(const SourceManager& sources, SourceRange range, size_t limit = 100) {
  if (range.file >= sources.size()) return "?";
  const std::string& contents = sources.file(range.file).contents();
  if (range.end > contents.size() || range.begin > range.end) return "?";
  std::string text;
  bool space = false;
  for (size_t i = range.begin; i < range.end; ++i) {
    unsigned char c = static_cast<unsigned char>(contents[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !text.empty();
      continue;
    }
    if (space) text += ' ';
    space = false;
    text += c < 0x20 ? '?' : static_cast<char>(c);
  }
  if (text.size() > limit) text = text.substr(0, limit - 3) + "...";
  return text;
}

std::string where(const PlannedConjunct& conjunct) {
  switch (conjunct.placement) {
    case Placement::Gate: {
      const FieldInfo& field = field_info(*conjunct.gate_field);
      const char* how = field.type == Type::String ? "string automaton over"
                        : field.type == Type::Ip   ? "LPM-trie lookup of"
                                                   : "hash lookup of";
      return fmt::format("kernel      {} {} (rule gate)", how, field.name);
    }
    case Placement::Residual:
      return conjunct.atoms.empty() ? "kernel      generated code"
                                    : "kernel      generated code over string-automaton atoms";
    case Placement::UserSpace:
      return "user space  kernel lets events through; reference evaluator decides";
    case Placement::Constant: return "folded      constant for this event";
  }
  return "?";
}

}  // namespace

std::string explain_plan(const PolicyPlan& plan, const SourceManager& sources,
                         const std::string& rule_name) {
  std::string out;
  for (uint32_t bit = 0; bit < plan.rule_count; ++bit) {
    const ir::Rule& rule = *plan.rules[bit];
    if (!rule_name.empty() && rule.name != rule_name) continue;
    std::string location = "?";
    if (rule.name_range.file < sources.size()) {
      const SourceFile& file = sources.file(rule.name_range.file);
      location = fmt::format("{}:{}", file.path(), file.line_column(rule.name_range.begin).line);
    }
    out += fmt::format("rule {} ({})\n", rule.name, location);
    for (const EventPlan& event : plan.events) {
      for (const PlannedRule& planned : event.rules) {
        if (planned.index != bit) continue;
        out += fmt::format(
            "  on {} (bit {}{}): ", event_info(event.kind).name, planned.bit,
            planned.step >= 0 ? fmt::format(", sequence step {}", planned.step + 1) : "");
        if (planned.never_matches)
          out += "never matches (a test is false for every such event)\n";
        else if (planned.kernel_complete)
          out += "decided in the kernel\n";
        else
          out += "kernel prefilter, completed in user space\n";
        if (planned.conjuncts.empty())
          out += "    (no condition)                                       kernel      always\n";
        for (const PlannedConjunct& conjunct : planned.conjuncts) {
          std::string text = source_text(sources, conjunct.shown->origin);
          if (conjunct.from_except) text = "except " + text;
          if (text.size() > 52)  // long conditions get a line of their own
            out += fmt::format("    {}\n    {:<52} {}\n", text, "", where(conjunct));
          else
            out += fmt::format("    {:<52} {}\n", text, where(conjunct));
        }
      }
    }
  }
  return out;
}

}  // namespace vigil::codegen
