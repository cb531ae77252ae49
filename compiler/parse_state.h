// The state the parser's actions and control class share while parsing one
// file: the declaration being built, an explicit stack of expressions, the
// nesting depth, and error reporting (with a per-file limit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/schema.h"
#include "compiler/source.h"

namespace vigil {

// A syntax error that abandons the current declaration. Thrown by the control
// class, caught by parse_file, which reports it and resumes at the next
// declaration. It never leaves parse_file.
struct SyntaxError {
  std::string code;
  SourceRange range;
  std::string message;
  std::optional<std::string> hint;
};

class ParseState {
 public:
  // Past this many errors in one file the parser stops: nobody reads the
  // thousandth error in a file of random bytes.
  static constexpr size_t kMaxErrorsPerFile = 100;

  ParseState(const SourceFile& source, FileId file, Diagnostics& diagnostics)
      : source(source), text(source.contents()), file(file), diagnostics_(diagnostics) {}

  const SourceFile& source;
  const std::string_view text;
  const FileId file;

  uint32_t offset(const char* position) const {
    return static_cast<uint32_t>(position - text.data());
  }
  SourceRange range(uint32_t begin, uint32_t end) const { return SourceRange{file, begin, end}; }
  template <typename ActionInput>
  SourceRange range_of(const ActionInput& in) const {
    return range(offset(in.begin()), offset(in.end()));
  }

  // ---- Errors ----
  void report(const SyntaxError& error) {
    report(error.code, error.range, error.message, error.hint);
  }
  void report(std::string code, SourceRange where, std::string message,
              std::optional<std::string> hint = std::nullopt) {
    if (stopped_) return;
    // An encoding error already explains a syntax error at the same byte.
    if (code == "syntax-error" && is_encoding_error_at(where.begin)) return;
    if (error_count_ == kMaxErrorsPerFile) {
      diagnostics_.error("too-many-errors", where,
                         "too many errors in this file; stopping here (fix the ones above first)");
      stopped_ = true;
      return;
    }
    ++error_count_;
    diagnostics_.error(std::move(code), where, std::move(message)).hint = std::move(hint);
  }
  void report_encoding_error(std::string code, uint32_t at, std::string message) {
    encoding_error_offsets_.push_back(at);
    report(std::move(code), range(at, at + 1), std::move(message));
  }
  bool stopped() const { return stopped_; }

  // ---- The declaration being parsed ----
  void start_declaration() {
    decl = ast::Decl{};
    clause = ast::Clause{};
    last_clause_kind.reset();
    stack.clear();
    paren_starts.clear();
    not_starts.clear();
    list_starts.clear();
    depth = 0;
  }

  ast::Decl decl;
  ast::Clause clause;                                    // the clause being parsed
  std::optional<ast::ClauseKind> last_clause_kind;       // the last finished clause
  std::vector<ast::ExprPtr> stack;                       // operands built so far
  std::vector<uint32_t> paren_starts;                    // offsets of open `(`
  std::vector<uint32_t> not_starts;                      // offsets of pending `not`
  std::vector<std::pair<size_t, uint32_t>> list_starts;  // stack size and `[` offset
  CompareOp pending_op = CompareOp::Eq;
  SourceRange pending_op_range;
  uint32_t body_open = 0;     // the `{` of the rule body being parsed
  uint32_t string_start = 0;  // the `"` of the string being parsed
  unsigned depth = 0;         // open parentheses and `not`s

  // The last declaration that parsed cleanly, for "after macro `m`" messages.
  std::optional<ast::DeclKind> previous_kind;
  std::string previous_name;

  // Memo for grammar::skip: the last position skipped from, and where it ended.
  const char* skip_from = nullptr;
  const char* skip_to = nullptr;

 private:
  bool is_encoding_error_at(uint32_t at) const {
    for (uint32_t offset : encoding_error_offsets_) {
      if (offset == at) return true;
    }
    return false;
  }

  Diagnostics& diagnostics_;
  size_t error_count_ = 0;
  bool stopped_ = false;
  std::vector<uint32_t> encoding_error_offsets_;
};

}  // namespace vigil
