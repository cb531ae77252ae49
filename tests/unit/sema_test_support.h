// Helpers for the semantic-analysis tests: run the analyser on policy text
// (through the real parser) or on hand-built ASTs, and print diagnostics as
// one line each ("a.vigil:3:8: error[unknown-field]: message") so tests can
// compare every diagnostic exactly.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/analyze.h"
#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/parser.h"
#include "compiler/source.h"

namespace vigil::sema_test {

inline std::string position(const SourceManager& sources, SourceRange range) {
  if (range.file >= sources.size()) return "?";
  const SourceFile& file = sources.file(range.file);
  LineColumn at = file.line_column(range.begin);
  return file.path() + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

inline std::string text_of(const SourceManager& sources, SourceRange range) {
  if (range.file >= sources.size()) return "";
  const std::string& contents = sources.file(range.file).contents();
  if (range.begin > range.end || range.end > contents.size()) return "<bad range>";
  return contents.substr(range.begin, range.end - range.begin);
}

// "a.vigil:3:8: error[code]: message"
inline std::string headline(const SourceManager& sources, const Diagnostic& d) {
  return position(sources, d.range) +
         (d.severity == DiagnosticSeverity::Error ? ": error[" : ": warning[") + d.code +
         "]: " + d.message;
}

// The headline, then "  hint: ..." and "  note a.vigil:1:2: ..." lines.
inline std::string full(const SourceManager& sources, const Diagnostic& d) {
  std::string out = headline(sources, d);
  if (d.hint) out += "\n  hint: " + *d.hint;
  for (const RelatedLocation& related : d.related)
    out += "\n  note " + position(sources, related.range) + ": " + related.message;
  return out;
}

struct Analysis {
  SourceManager sources;
  Diagnostics diagnostics;
  std::vector<ast::File> files;
  std::optional<ir::PolicySet> policy;
  size_t parse_errors = 0;

  std::vector<Diagnostic> sorted() const { return diagnostics.sorted(sources); }
  std::vector<std::string> headlines() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : sorted()) out.push_back(headline(sources, d));
    return out;
  }
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : sorted())
      if (d.severity == DiagnosticSeverity::Error) out.push_back(headline(sources, d));
    return out;
  }
  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : sorted())
      if (d.severity == DiagnosticSeverity::Warning) out.push_back(headline(sources, d));
    return out;
  }
  // The only diagnostic with this code, in full.
  std::string only(std::string_view code) const {
    std::string found;
    int count = 0;
    for (const Diagnostic& d : sorted())
      if (d.code == code) {
        found = full(sources, d);
        ++count;
      }
    return count == 1 ? found
                      : std::to_string(count) + " diagnostics with code " + std::string(code);
  }
  const ir::Rule& rule(std::string_view name) const {
    static const ir::Rule kMissing{};
    if (!policy) return kMissing;
    const ir::Rule* found = policy->find(name);
    return found ? *found : kMissing;
  }
  std::string text(SourceRange range) const { return text_of(sources, range); }
};

using Files = std::vector<std::pair<std::string, std::string>>;

// Parses each file with the real parser, then analyses the set.
inline std::unique_ptr<Analysis> analyze_texts(const Files& files) {
  auto result = std::make_unique<Analysis>();
  for (const auto& [path, text] : files) {
    FileId id = result->sources.add(path, text);
    result->files.push_back(parse_file(result->sources, id, result->diagnostics));
  }
  result->parse_errors = result->diagnostics.error_count();
  result->policy = analyze(result->sources, result->files, result->diagnostics);
  return result;
}

inline std::unique_ptr<Analysis> analyze_text(const std::string& text) {
  return analyze_texts({{"a.vigil", text}});
}

// ---- Hand-built ASTs ------------------------------------------------------------
//
// Builds the AST of a policy file by hand, next to its text, so the tests do
// not depend on the parser. Ranges are found by searching the text for each
// token (a whole word for names), starting at the position set by `from`
// (declarations are searched from the start of the file); so the AST has
// the same ranges the parser would give. Call `from` as a statement of its
// own: function arguments are evaluated in no particular order.
class AstBuilder {
 public:
  AstBuilder(Analysis& analysis, std::string path, std::string text)
      : analysis_(analysis), text_(text) {
    file_.file = analysis.sources.add(std::move(path), std::move(text));
  }

  // Searches for later tokens from the first occurrence of `marker`.
  AstBuilder& from(std::string_view marker) {
    size_t at = text_.find(marker);
    search_from_ = at == std::string::npos ? 0 : at;
    return *this;
  }

  SourceRange at(std::string_view token, size_t after = 0) const {
    return find(token, std::max(search_from_, after));
  }

  // The first occurrence at or after `pos`, ignoring the `from` marker.
  SourceRange find(std::string_view token, size_t pos) const {
    const bool word = is_word_char(token.front()) && is_word_char(token.back());
    while ((pos = text_.find(token, pos)) != std::string::npos) {
      const bool starts = pos == 0 || !is_word_char(text_[pos - 1]);
      const size_t end = pos + token.size();
      const bool ends = end >= text_.size() || !is_word_char(text_[end]);
      if (!word || (starts && ends)) break;
      ++pos;
    }
    if (pos == std::string::npos) return SourceRange{file_.file, 0, 0};
    return SourceRange{file_.file, static_cast<uint32_t>(pos),
                       static_cast<uint32_t>(pos + token.size())};
  }

  ast::ExprPtr field(std::string_view name) { return named(ast::ExprKind::Field, name); }
  ast::ExprPtr name(std::string_view name) { return named(ast::ExprKind::Name, name); }

  ast::ExprPtr str(std::string_view value) {
    std::string spelling = "\"" + std::string(value) + "\"";
    return literal(ast::LiteralKind::String, std::string(value), spelling);
  }
  ast::ExprPtr integer(int64_t value) {
    return literal(ast::LiteralKind::Int, value, std::to_string(value));
  }
  ast::ExprPtr boolean(bool value) {
    return literal(ast::LiteralKind::Bool, value, value ? "true" : "false");
  }
  ast::ExprPtr ip(std::string_view text) {
    return literal(ast::LiteralKind::Ip, *IpAddress::parse(text), std::string(text));
  }
  ast::ExprPtr network(std::string_view text) {
    return literal(ast::LiteralKind::Network, *IpNetwork::parse(text), std::string(text));
  }

  // A list literal: [a, "b", ...].
  template <typename... Items>
  ast::ExprPtr items(Items... items) {
    auto expr = make(ast::ExprKind::List);
    (expr->children.push_back(std::move(items)), ...);
    if (expr->children.empty()) {
      expr->range = at("[]");
    } else {
      SourceRange open = before(expr->children.front()->range, "[");
      SourceRange close = at("]", expr->children.back()->range.end);
      expr->range = {file_.file, open.begin, close.end};
    }
    return expr;
  }

  ast::ExprPtr compare(ast::ExprPtr lhs, CompareOp op, ast::ExprPtr rhs) {
    auto expr = make(ast::ExprKind::Compare);
    expr->op = op;
    expr->op_range = at(operator_info(op).spelling, lhs->range.end);
    expr->range = {file_.file, lhs->range.begin, rhs->range.end};
    expr->children.push_back(std::move(lhs));
    expr->children.push_back(std::move(rhs));
    return expr;
  }

  template <typename... Items>
  ast::ExprPtr all(Items... items) {
    return junction(ast::ExprKind::And, std::move(items)...);
  }
  template <typename... Items>
  ast::ExprPtr any(Items... items) {
    return junction(ast::ExprKind::Or, std::move(items)...);
  }

  ast::ExprPtr negate(ast::ExprPtr inner) {
    auto expr = make(ast::ExprKind::Not);
    expr->range = {file_.file, before(inner->range, "not").begin, inner->range.end};
    expr->children.push_back(std::move(inner));
    return expr;
  }

  ast::ExprPtr paren(ast::ExprPtr inner) {
    auto expr = make(ast::ExprKind::Paren);
    expr->range = {file_.file, before(inner->range, "(").begin, at(")", inner->range.end).end};
    expr->children.push_back(std::move(inner));
    return expr;
  }

  // ---- Clauses: the keyword is searched for from the current `from` marker.

  ast::Clause words(ast::ClauseKind kind, std::string_view keyword,
                    std::vector<std::string> items) {
    ast::Clause clause;
    clause.kind = kind;
    clause.keyword_range = at(keyword);
    uint32_t end = clause.keyword_range.end;
    for (std::string& item : items) {
      ast::Identifier word;
      const bool quoted = !item.empty() && item.front() == '"';
      word.range = at(item, clause.keyword_range.end);
      word.quoted = quoted;
      word.text = quoted ? item.substr(1, item.size() - 2) : item;
      end = std::max(end, word.range.end);
      clause.words.push_back(std::move(word));
    }
    clause.range = {file_.file, clause.keyword_range.begin, end};
    return clause;
  }
  ast::Clause on(std::vector<std::string> events) {
    return words(ast::ClauseKind::On, "on", std::move(events));
  }
  ast::Clause severity(std::string word) {
    return words(ast::ClauseKind::Severity, "severity", {std::move(word)});
  }
  ast::Clause action(std::string word) {
    return words(ast::ClauseKind::Action, "action", {std::move(word)});
  }
  ast::Clause enabled(std::string word) {
    return words(ast::ClauseKind::Enabled, "enabled", {std::move(word)});
  }
  ast::Clause tags(std::vector<std::string> tags) {
    return words(ast::ClauseKind::Tags, "tags", std::move(tags));
  }
  ast::Clause when(ast::ExprPtr expr) {
    return condition(ast::ClauseKind::When, "when", std::move(expr));
  }
  ast::Clause except(ast::ExprPtr expr) {
    return condition(ast::ClauseKind::Except, "except", std::move(expr));
  }
  ast::Clause output(std::string_view text) {
    return text_clause(ast::ClauseKind::Output, "output", text);
  }
  ast::Clause description(std::string_view text) {
    return text_clause(ast::ClauseKind::Description, "description", text);
  }

  // ---- Declarations.

  template <typename... Clauses>
  void rule(std::string_view name, Clauses... clauses) {
    block(ast::DeclKind::Rule, "rule", name, std::move(clauses)...);
  }
  template <typename... Clauses>
  void extend_rule(std::string_view name, Clauses... clauses) {
    block(ast::DeclKind::ExtendRule, "extend rule", name, std::move(clauses)...);
  }
  void disable_rule(std::string_view name) {
    ast::Decl& decl = declare(ast::DeclKind::DisableRule, "disable rule", name);
    decl.range.end = decl.name.range.end;
  }
  void list(std::string_view name, ast::ExprPtr body) {
    with_body(ast::DeclKind::List, "list", name, std::move(body));
  }
  void extend_list(std::string_view name, ast::ExprPtr body) {
    with_body(ast::DeclKind::ExtendList, "extend list", name, std::move(body));
  }
  void macro(std::string_view name, ast::ExprPtr body) {
    with_body(ast::DeclKind::Macro, "macro", name, std::move(body));
  }

  // Hands the file to the analysis.
  void finish() { analysis_.files.push_back(std::move(file_)); }

 private:
  static bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
  }

  SourceRange before(SourceRange range, std::string_view token) const {
    size_t pos = text_.rfind(token, range.begin);
    if (pos == std::string::npos) return range;
    return {file_.file, static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + token.size())};
  }

  ast::ExprPtr make(ast::ExprKind kind) {
    auto expr = std::make_unique<ast::Expr>();
    expr->kind = kind;
    return expr;
  }
  ast::ExprPtr named(ast::ExprKind kind, std::string_view text) {
    auto expr = make(kind);
    expr->text = std::string(text);
    expr->range = at(text);
    return expr;
  }
  ast::ExprPtr literal(ast::LiteralKind kind, Value value, std::string spelling) {
    auto expr = make(ast::ExprKind::Literal);
    expr->literal_kind = kind;
    expr->value = std::move(value);
    expr->range = at(spelling);
    expr->spelling = std::move(spelling);
    return expr;
  }
  template <typename... Items>
  ast::ExprPtr junction(ast::ExprKind kind, Items... items) {
    auto expr = make(kind);
    (expr->children.push_back(std::move(items)), ...);
    expr->range = {file_.file, expr->children.front()->range.begin,
                   expr->children.back()->range.end};
    return expr;
  }
  ast::Clause condition(ast::ClauseKind kind, std::string_view keyword, ast::ExprPtr expr) {
    ast::Clause clause;
    clause.kind = kind;
    clause.keyword_range = before(expr->range, keyword);
    clause.range = {file_.file, clause.keyword_range.begin, expr->range.end};
    clause.expr = std::move(expr);
    return clause;
  }
  ast::Clause text_clause(ast::ClauseKind kind, std::string_view keyword, std::string_view text) {
    ast::Clause clause;
    clause.kind = kind;
    clause.keyword_range = at(keyword);
    clause.text = str(text);
    clause.range = {file_.file, clause.keyword_range.begin, clause.text->range.end};
    return clause;
  }
  ast::Decl& declare(ast::DeclKind kind, std::string_view keyword, std::string_view name) {
    ast::Decl decl;
    decl.kind = kind;
    // Declarations are found from the start of the file: "rule r" is unique.
    SourceRange start = find(std::string(keyword) + " " + std::string(name), 0);
    decl.name.text = std::string(name);
    decl.name.range = find(name, start.begin + keyword.size());
    decl.range = {file_.file, start.begin, start.end};
    file_.decls.push_back(std::move(decl));
    return file_.decls.back();
  }
  template <typename... Clauses>
  void block(ast::DeclKind kind, std::string_view keyword, std::string_view name,
             Clauses... clauses) {
    ast::Decl& decl = declare(kind, keyword, name);
    (decl.clauses.push_back(std::move(clauses)), ...);
    decl.range.end = find("}", decl.range.begin).end;
  }
  void with_body(ast::DeclKind kind, std::string_view keyword, std::string_view name,
                 ast::ExprPtr body) {
    ast::Decl& decl = declare(kind, keyword, name);
    decl.range.end = body->range.end;
    decl.body = std::move(body);
  }

  Analysis& analysis_;
  std::string text_;
  ast::File file_;
  size_t search_from_ = 0;
};

// Runs the analyser on the hand-built files of `analysis`.
inline void run_analysis(Analysis& analysis) {
  analysis.policy = analyze(analysis.sources, analysis.files, analysis.diagnostics);
}

}  // namespace vigil::sema_test
