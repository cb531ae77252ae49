// `vigil fmt`. The layout depends only on the AST and on where comments sit
// relative to it, never on the original whitespace, which is what makes the
// output a fixed point: format(parse(format(x))) == format(x).
//
// Comments are handed out in source order. Before a line is printed, every
// comment that starts before the end of what that line shows is printed on
// its own line above it ("leading"); a comment that follows the line's last
// token on the same source line is kept at the end of the line ("trailing").
// So no comment can be skipped or printed twice.
#include "compiler/format.h"

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/parse_scan.h"
#include "compiler/schema.h"

namespace vigil {
namespace {

constexpr size_t kMaxColumns = 100;
constexpr int kIndent = 2;
constexpr int kContinuationIndent = 4;

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Appends the expression on one line, with canonical spacing.
void render_into(const ast::Expr& expr, std::string& out) {
  auto join = [&out](const std::vector<ast::ExprPtr>& children, std::string_view separator) {
    for (size_t i = 0; i < children.size(); ++i) {
      if (i > 0) out += separator;
      render_into(*children[i], out);
    }
  };
  switch (expr.kind) {
    case ast::ExprKind::Or: join(expr.children, " or "); return;
    case ast::ExprKind::And: join(expr.children, " and "); return;
    case ast::ExprKind::Not:
      out += "not ";
      render_into(*expr.children.at(0), out);
      return;
    case ast::ExprKind::Paren:
      out += '(';
      render_into(*expr.children.at(0), out);
      out += ')';
      return;
    case ast::ExprKind::Compare:
      render_into(*expr.children.at(0), out);
      out += ' ';
      out += operator_info(expr.op).spelling;
      out += ' ';
      render_into(*expr.children.at(1), out);
      return;
    case ast::ExprKind::Field:
    case ast::ExprKind::Name: out += expr.text; return;
    case ast::ExprKind::Literal: out += expr.spelling; return;
    case ast::ExprKind::List:
      out += '[';
      join(expr.children, ", ");
      out += ']';
      return;
  }
}

std::string render(const ast::Expr& expr) {
  std::string out;
  render_into(expr, out);
  return out;
}

// An item of a list that may be printed one per line.
struct ListItem {
  std::string text;
  uint32_t end = 0;  // source offset just after the item
};

class Formatter {
 public:
  Formatter(const SourceFile& source, const ast::File& file)
      : text_(source.contents()), file_(file) {}

  std::string run() {
    bool need_separator = false;  // a declaration was printed; the next item needs a blank line
    uint32_t last_end = 0;
    auto top_level_comments = [&](uint32_t limit) {
      while (const ast::Comment* comment = next_comment_before(limit)) {
        if (need_separator || (!out_.empty() && has_blank_line(last_end, comment->range.begin))) {
          out_ += '\n';
        }
        need_separator = false;
        print_comment_line(0, *comment);
        last_end = comment->range.end;
      }
    };
    for (const ast::Decl& decl : file_.decls) {
      top_level_comments(decl.range.begin);
      if (need_separator || (!out_.empty() && has_blank_line(last_end, decl.range.begin))) {
        out_ += '\n';
      }
      format_declaration(decl);
      need_separator = true;
      last_end = decl.range.end;
    }
    top_level_comments(UINT32_MAX);
    return std::move(out_);
  }

 private:
  // ---- Comments ----
  const ast::Comment* next_comment_before(uint32_t limit) {
    if (next_comment_ < file_.comments.size() &&
        file_.comments[next_comment_].range.begin < limit) {
      return &file_.comments[next_comment_++];
    }
    return nullptr;
  }

  // The comment right after `end` on the same line (only spaces and a comma
  // between), if there is one.
  const ast::Comment* take_trailing(uint32_t end) {
    if (next_comment_ >= file_.comments.size()) return nullptr;
    const ast::Comment& comment = file_.comments[next_comment_];
    if (comment.range.begin < end) return nullptr;
    for (uint32_t i = end; i < comment.range.begin; ++i) {
      char c = text_[i];
      if (c != ' ' && c != '\t' && c != ',') return nullptr;
    }
    ++next_comment_;
    return &comment;
  }

  void print_leading_comments(uint32_t limit, int indent) {
    while (const ast::Comment* comment = next_comment_before(limit)) {
      print_comment_line(indent, *comment);
    }
  }

  bool has_comment_between(uint32_t begin, uint32_t end) const {
    for (size_t i = next_comment_; i < file_.comments.size(); ++i) {
      uint32_t at = file_.comments[i].range.begin;
      if (at >= end) return false;
      if (at >= begin) return true;
    }
    return false;
  }

  bool has_blank_line(uint32_t begin, uint32_t end) const {
    int newlines = 0;
    for (uint32_t i = begin; i < end && i < text_.size(); ++i) {
      if (text_[i] == '\n' && ++newlines == 2) return true;
    }
    return false;
  }

  // ---- Output ----
  void print_comment_line(int indent, const ast::Comment& comment) {
    out_.append(static_cast<size_t>(indent), ' ');
    out_ += trim_right(comment.text);
    out_ += '\n';
  }

  void print_line(int indent, std::string_view content, const ast::Comment* trailing) {
    out_.append(static_cast<size_t>(indent), ' ');
    out_ += content;
    if (trailing) {
      out_ += "  ";
      out_ += trim_right(trailing->text);
    }
    out_ += '\n';
  }

  // A unit printed on one line: its inner comments go above it.
  void print_unit(int indent, std::string_view content, uint32_t end) {
    print_leading_comments(end, indent);
    print_line(indent, content, take_trailing(end));
  }

  // ---- Declarations ----
  void format_declaration(const ast::Decl& decl) {
    const std::string& name = decl.name.text;
    switch (decl.kind) {
      case ast::DeclKind::Rule: format_body("rule " + name, decl); break;
      case ast::DeclKind::ExtendRule: format_body("extend rule " + name, decl); break;
      case ast::DeclKind::List: format_list_expr("list " + name + " = ", *decl.body, 0); break;
      case ast::DeclKind::ExtendList:
        format_list_expr("extend list " + name + " ", *decl.body, 0);
        break;
      case ast::DeclKind::Macro:
        format_expression("macro " + name + " = ", 0, *decl.body, kContinuationIndent, "",
                          decl.range.end);
        break;
      case ast::DeclKind::DisableRule: print_unit(0, "disable rule " + name, decl.range.end); break;
    }
  }

  void format_body(const std::string& header, const ast::Decl& decl) {
    uint32_t open = skip_blank(text_, decl.name.range.end);  // the `{`
    uint32_t close = decl.range.end - 1;                     // the `}`
    if (decl.clauses.empty() && !has_comment_between(open, close)) {
      print_unit(0, header + " {}", decl.range.end);
      return;
    }
    print_leading_comments(open, 0);
    print_line(0, header + " {", take_trailing(open + 1));
    for (const ast::Clause& clause : decl.clauses) format_clause(clause, kIndent);
    print_leading_comments(close, kIndent);
    print_line(0, "}", take_trailing(decl.range.end));
  }

  void format_clause(const ast::Clause& clause, int indent) {
    std::string keyword(ast::clause_keyword(clause.kind));
    switch (clause.kind) {
      case ast::ClauseKind::When:
      case ast::ClauseKind::Except:
        format_expression(keyword + " ", indent, *clause.expr, indent + kContinuationIndent, "",
                          clause.range.end);
        return;
      case ast::ClauseKind::Output:
      case ast::ClauseKind::Description:
        print_unit(indent, keyword + " " + clause.text->spelling, clause.range.end);
        return;
      case ast::ClauseKind::Tags: {
        std::vector<ListItem> items;
        for (const ast::Identifier& word : clause.words) {
          std::string item =
              word.quoted
                  ? std::string(text_.substr(word.range.begin, word.range.end - word.range.begin))
                  : word.text;
          items.push_back(ListItem{std::move(item), word.range.end});
        }
        uint32_t open = skip_blank(text_, clause.keyword_range.end);
        format_list("tags ", items, open, clause.range.end - 1, indent);
        return;
      }
      case ast::ClauseKind::On: {
        std::string line = keyword;
        for (size_t i = 0; i < clause.words.size(); ++i) {
          line += i == 0 ? " " : ", ";
          line += clause.words[i].text;
        }
        print_unit(indent, line, clause.range.end);
        return;
      }
      case ast::ClauseKind::Severity:
      case ast::ClauseKind::Action:
      case ast::ClauseKind::Enabled:
      case ast::ClauseKind::Mode:
      case ast::ClauseKind::Fallback:
        print_unit(indent, keyword + " " + (clause.words.empty() ? "" : clause.words[0].text),
                   clause.range.end);
        return;
      case ast::ClauseKind::Dedup:
        print_unit(indent, keyword + " " + spelling(clause.window), clause.range.end);
        return;
      case ast::ClauseKind::Threshold: {
        std::string line = keyword + " " + spelling(clause.count) + " within " +
                           spelling(clause.window) + " by " + joined(clause.by);
        if (clause.rearm) line += " rearm " + clause.rearm->spelling;
        print_unit(indent, line, clause.range.end);
        return;
      }
      case ast::ClauseKind::Sequence: format_sequence(clause, indent); return;
    }
  }

  static std::string spelling(const ast::ExprPtr& literal) {
    return literal ? literal->spelling : std::string();
  }

  static std::string joined(const std::vector<ast::Identifier>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : ", ") + names[i].text;
    return out;
  }

  // The header on the clause's line, then one step per line:
  //   sequence by process.pid within 5m:
  //     [exec when ...]
  //     then [file.open]
  void format_sequence(const ast::Clause& clause, int indent) {
    const uint32_t colon =
        clause.window ? skip_blank(text_, clause.window->range.end) : clause.keyword_range.end;
    print_unit(indent,
               "sequence by " + joined(clause.by) + " within " + spelling(clause.window) + ":",
               colon + 1);
    const int step_indent = indent + kIndent;
    for (size_t i = 0; i < clause.steps.size(); ++i) {
      const ast::SequenceStep& step = clause.steps[i];
      std::string prefix = std::string(i == 0 ? "" : "then ") + "[";
      for (size_t e = 0; e < step.events.size(); ++e)
        prefix += (e == 0 ? "" : ", ") + step.events[e].text;
      if (!step.when) {
        print_unit(step_indent, prefix + "]", step.range.end);
        continue;
      }
      format_expression(prefix + " when ", step_indent, *step.when,
                        step_indent + kContinuationIndent, "]", step.range.end);
    }
  }

  // ---- Lists ----
  void format_list_expr(const std::string& prefix, const ast::Expr& list, int indent) {
    std::vector<ListItem> items;
    for (const ast::ExprPtr& item : list.children) {
      items.push_back(ListItem{render(*item), item->range.end});
    }
    format_list(prefix, items, list.range.begin, list.range.end - 1, indent);
  }

  // `prefix[a, b]` on one line if it fits and holds no comments; otherwise
  // one item per line, each with a trailing comma.
  void format_list(const std::string& prefix, const std::vector<ListItem>& items, uint32_t open,
                   uint32_t close, int indent) {
    std::string one_line = prefix + "[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) one_line += ", ";
      one_line += items[i].text;
    }
    one_line += "]";
    if (!has_comment_between(open, close) &&
        static_cast<size_t>(indent) + display_width(one_line) <= kMaxColumns) {
      print_unit(indent, one_line, close + 1);
      return;
    }
    print_leading_comments(open, indent);
    print_line(indent, prefix + "[", take_trailing(open + 1));
    for (const ListItem& item : items) print_unit(indent + kIndent, item.text + ",", item.end);
    print_leading_comments(close, indent + kIndent);
    print_line(indent, "]", take_trailing(close + 1));
  }

  // ---- Expressions ----
  // Prints `prefix expr suffix` starting a new line at `indent`. A chain of
  // and/or that does not fit, or that has comments between its operands, is
  // broken before each operator with continuation lines at `continuation`;
  // the same goes for a chain inside parentheses or after `not`. `line_end`
  // is where the source of the last printed line ends, for its trailing
  // comment.
  void format_expression(const std::string& prefix, int indent, const ast::Expr& expr,
                         int continuation, const std::string& suffix, uint32_t line_end) {
    size_t column = static_cast<size_t>(indent) + display_width(prefix);
    if (!should_break(expr, column, display_width(suffix))) {
      print_unit(indent, prefix + render(expr) + suffix, line_end);
      return;
    }
    const ast::Expr& first = *expr.children[0];
    if (expr.kind == ast::ExprKind::Paren) {
      format_expression(prefix + "(", indent, first, continuation, ")" + suffix, line_end);
      return;
    }
    if (expr.kind == ast::ExprKind::Not) {
      format_expression(prefix + "not ", indent, first, continuation, suffix, line_end);
      return;
    }
    std::string word = expr.kind == ast::ExprKind::And ? "and " : "or ";
    size_t last = expr.children.size() - 1;
    format_expression(prefix, indent, first, continuation + kContinuationIndent, "",
                      first.range.end);
    for (size_t i = 1; i <= last; ++i) {
      const ast::Expr& operand = *expr.children[i];
      format_expression(word, continuation, operand, continuation + kContinuationIndent,
                        i == last ? suffix : "", i == last ? line_end : operand.range.end);
    }
  }

  // Whether `expr`, starting at `column` and followed by `suffix_width`
  // columns, is printed over several lines.
  bool should_break(const ast::Expr& expr, size_t column, size_t suffix_width) {
    switch (expr.kind) {
      case ast::ExprKind::Paren:
        return should_break(*expr.children[0], column + 1, suffix_width + 1);
      case ast::ExprKind::Not: return should_break(*expr.children[0], column + 4, suffix_width);
      case ast::ExprKind::And:
      case ast::ExprKind::Or:
        if (expr.children.size() < 2) return false;
        if (has_comment_between(expr.children[0]->range.end, expr.range.end)) return true;
        return column + width(expr) + suffix_width > kMaxColumns;
      default: return false;
    }
  }

  // The width of render(expr), without building the string. Chains are
  // memoised: deciding where to break nested chains asks for each chain's
  // width once per enclosing level, which must not cost O(size) each time.
  size_t width(const ast::Expr& expr) {
    auto sum_of_children = [&](size_t separator) {
      size_t total = expr.children.empty() ? 0 : separator * (expr.children.size() - 1);
      for (const ast::ExprPtr& child : expr.children) total += width(*child);
      return total;
    };
    switch (expr.kind) {
      case ast::ExprKind::Or:
      case ast::ExprKind::And: {
        auto [it, inserted] = chain_widths_.try_emplace(&expr, 0);
        if (inserted) it->second = sum_of_children(expr.kind == ast::ExprKind::Or ? 4 : 5);
        return it->second;
      }
      case ast::ExprKind::Not: return 4 + width(*expr.children.at(0));
      case ast::ExprKind::Paren: return 2 + width(*expr.children.at(0));
      case ast::ExprKind::Compare:
        return width(*expr.children.at(0)) + 2 + display_width(operator_info(expr.op).spelling) +
               width(*expr.children.at(1));
      case ast::ExprKind::Field:
      case ast::ExprKind::Name: return display_width(expr.text);
      case ast::ExprKind::Literal: return display_width(expr.spelling);
      case ast::ExprKind::List: return 2 + sum_of_children(2);
    }
    return 0;
  }

  std::string_view text_;
  const ast::File& file_;
  std::unordered_map<const ast::Expr*, size_t> chain_widths_;
  size_t next_comment_ = 0;
  std::string out_;
};

}  // namespace

std::string format_file(const SourceFile& source, const ast::File& file) {
  return Formatter(source, file).run();
}

}  // namespace vigil
