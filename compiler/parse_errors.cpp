#include "compiler/parse_errors.h"

#include <array>
#include <cctype>

#include "compiler/parser.h"
#include "compiler/suggest.h"

namespace vigil {
namespace {

std::string backticked(std::string_view text) {
  return "`" + std::string(text) + "`";
}

SyntaxError error_at_token(const ParseState& state, const FoundToken& found, std::string code,
                           std::string message, std::optional<std::string> hint = std::nullopt) {
  return SyntaxError{std::move(code), state.range(found.begin, found.end), std::move(message),
                     std::move(hint)};
}

SyntaxError expected_with_hint(const ParseState& state, std::string_view what,
                               const FoundToken& found, std::optional<std::string> hint) {
  SyntaxError error = expected_error(state, what, found);
  error.hint = std::move(hint);
  return error;
}

// "rule `foo`", "list `x`", ... for messages about the declaration being parsed.
std::string declaration_label(ast::DeclKind kind, const std::string& name) {
  switch (kind) {
    case ast::DeclKind::Rule: return "rule " + backticked(name);
    case ast::DeclKind::List: return "list " + backticked(name);
    case ast::DeclKind::Macro: return "macro " + backticked(name);
    case ast::DeclKind::ExtendRule: return "the extension of rule " + backticked(name);
    case ast::DeclKind::ExtendList: return "the extension of list " + backticked(name);
    case ast::DeclKind::DisableRule: return "disable rule " + backticked(name);
  }
  return backticked(name);
}

std::string current_declaration(const ParseState& state) {
  return declaration_label(state.decl.kind, state.decl.name.text);
}

bool is_identifier_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

// Could the found token begin an expression (so that a missing `and` is likely)?
bool starts_expression(const FoundToken& found) {
  if (found.at_end || found.text.empty()) return false;
  char c = found.text[0];
  if (found.text == "not" || found.text == "true" || found.text == "false") return true;
  if (is_identifier_start(c)) return !is_reserved_word(found.text);
  return c == '(' || c == '"' || c == '-' || c == ':' ||
         std::isdigit(static_cast<unsigned char>(c));
}

constexpr std::array<std::string_view, 14> kClauseKeywords = {
    "on",      "when",        "except", "severity", "tags",      "output",   "action",
    "enabled", "description", "mode",   "fallback", "threshold", "sequence", "dedup"};

bool is_clause_keyword(std::string_view word) {
  for (std::string_view keyword : kClauseKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

constexpr const char* kClauseList =
    "clauses start with on, when, except, severity, tags, output, action, enabled, description, "
    "mode, fallback, threshold, sequence or dedup";

constexpr const char* kThresholdForm =
    "a threshold is written `threshold 5 within 1m by process.pid`, optionally followed by "
    "`rearm 10m`";
constexpr const char* kSequenceForm =
    "a sequence is written `sequence by process.pid within 5m: [exec when CONDITION] then "
    "[file.open when CONDITION]`";

// A declaration name: a reserved word gets its own error code.
SyntaxError name_error(const ParseState& state, const FoundToken& found, std::string_view noun,
                       std::string_view after) {
  if (!found.at_end && is_reserved_word(found.text)) {
    return error_at_token(
        state, found, "reserved-word",
        backticked(found.text) + " is a reserved word and cannot be a " + std::string(noun));
  }
  std::optional<std::string> hint;
  if (!found.text.empty() && is_identifier_start(found.text[0]) &&
      found.text.find('.') != std::string::npos) {
    hint = "names cannot contain dots";
  }
  return expected_with_hint(state, "a " + std::string(noun) + " after " + std::string(after), found,
                            hint);
}

}  // namespace

SyntaxError expected_error(const ParseState& state, std::string_view what,
                           const FoundToken& found) {
  return error_at_token(state, found, "syntax-error",
                        "expected " + std::string(what) + ", found " + found.description);
}

SyntaxError make_syntax_error(ErrorFor<grammar::string_close>, const ParseState& state,
                              const FoundToken&) {
  uint32_t begin = state.string_start;
  return SyntaxError{"unterminated-string", state.range(begin, line_content_end(state.text, begin)),
                     "unterminated string literal",
                     "a string must end with `\"` on the line where it starts (write `\\n` for a "
                     "line break)"};
}

SyntaxError make_syntax_error(ErrorFor<grammar::list_end>, const ParseState& state,
                              const FoundToken& found) {
  std::optional<std::string> hint;
  if (found.text == "[") {
    hint = "lists cannot be nested; give the inner list a name and use the name as an item";
  } else if (!found.text.empty() && is_identifier_start(found.text[0]) &&
             found.text.find('.') != std::string::npos) {
    hint = "list items are literals or list names; fields cannot appear in a list";
  }
  return expected_with_hint(state, "a list item (a literal or a list name) or `]`", found, hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::close_paren>, const ParseState& state,
                              const FoundToken& found) {
  std::string what = "`)`";
  if (!state.paren_starts.empty()) {
    LineColumn open = state.source.line_column(state.paren_starts.back());
    what += " to close the `(` at line " + std::to_string(open.line) + ", column " +
            std::to_string(open.column);
  }
  return expected_error(state, what, found);
}

SyntaxError make_syntax_error(ErrorFor<grammar::in_after_not>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(
      state, "`in` after `not`", found,
      "`not in` tests that a value is not in a list; to negate a condition, put `not` before it");
}

SyntaxError make_syntax_error(ErrorFor<grammar::single_equals>, const ParseState& state,
                              const FoundToken& found) {
  return error_at_token(state, found, "syntax-error",
                        "`=` is not a comparison operator; use `==` to test equality");
}

SyntaxError make_syntax_error(ErrorFor<grammar::comparison_rhs>, const ParseState& state,
                              const FoundToken& found) {
  std::string_view op = operator_info(state.pending_op).spelling;
  return expected_error(state, "a value, list or field after " + backticked(op), found);
}

SyntaxError make_syntax_error(ErrorFor<grammar::no_chained_comparison>, const ParseState& state,
                              const FoundToken& found) {
  return error_at_token(
      state, found, "syntax-error",
      "comparisons cannot be chained: found " + found.description + " after a complete comparison",
      "combine comparisons with `and`, e.g. `net.dport > 1000 and net.dport "
      "< 2000`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::tags_open>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`[` after `tags`", found,
                            "tags are a list, e.g. `tags [T1059.004, web]`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::body_open>, const ParseState& state,
                              const FoundToken& found) {
  return expected_error(state, "`{` to start the body of " + current_declaration(state), found);
}

SyntaxError make_syntax_error(ErrorFor<grammar::body_close>, const ParseState& state,
                              const FoundToken& found) {
  LineColumn open = state.source.line_column(state.body_open);
  std::string close = "`}` to close " + current_declaration(state) + " (opened at line " +
                      std::to_string(open.line) + ")";
  if (found.at_end || is_declaration_keyword(found.text)) {
    return expected_error(state, close, found);
  }
  std::optional<std::string> hint = kClauseList;
  bool after_condition = state.last_clause_kind == ast::ClauseKind::When ||
                         state.last_clause_kind == ast::ClauseKind::Except;
  if (after_condition && starts_expression(found)) {
    hint = "to continue the condition, join it with `and` or `or`";
  } else if (state.last_clause_kind == ast::ClauseKind::Sequence && found.text == "[") {
    hint = "separate the steps of a sequence with `then`: `[exec] then [file.open]`";
  } else if (!found.text.empty() && is_identifier_start(found.text[0])) {
    if (auto keyword = closest_name(found.text, kClauseKeywords)) hint = did_you_mean(*keyword);
  }
  return expected_with_hint(state, "a clause or " + close, found, hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::rule_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "rule name", "`rule`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::list_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "list name", "`list`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::macro_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "macro name", "`macro`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::extend_rule_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "rule name", "`extend rule`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::extend_list_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "list name", "`extend list`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::disable_rule_name>, const ParseState& state,
                              const FoundToken& found) {
  return name_error(state, found, "rule name", "`disable rule`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::list_equals>, const ParseState& state,
                              const FoundToken& found) {
  std::optional<std::string> hint;
  if (found.text == "[") hint = "write `list " + state.decl.name.text + " = [ ... ]`";
  return expected_with_hint(state, "`=` after list name " + backticked(state.decl.name.text), found,
                            hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::list_body>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`[` to start the items of " + current_declaration(state), found,
                            "a list is written `[item, item, ...]`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::macro_equals>, const ParseState& state,
                              const FoundToken& found) {
  return expected_error(state, "`=` after macro name " + backticked(state.decl.name.text), found);
}

SyntaxError make_syntax_error(ErrorFor<grammar::macro_body>, const ParseState& state,
                              const FoundToken& found) {
  return expected_error(state, "an expression after `=` in " + current_declaration(state), found);
}

SyntaxError make_syntax_error(ErrorFor<grammar::extend_list_body>, const ParseState& state,
                              const FoundToken& found) {
  std::optional<std::string> hint;
  if (found.text == "=") {
    hint = "`extend list` takes no `=`: write `extend list " + state.decl.name.text + " [ ... ]`";
  }
  return expected_with_hint(
      state, "`[` with the items to add to list " + backticked(state.decl.name.text), found, hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::declaration_choice>, const ParseState& state,
                              const FoundToken& found) {
  std::string what = "a declaration (`rule`, `list`, `macro`, `extend` or `disable`)";
  if (state.previous_kind == ast::DeclKind::Macro) {
    what = "`and`, `or` or a new declaration after " +
           declaration_label(*state.previous_kind, state.previous_name);
  } else if (state.previous_kind == ast::DeclKind::List ||
             state.previous_kind == ast::DeclKind::ExtendList) {
    what =
        "a new declaration after " + declaration_label(*state.previous_kind, state.previous_name);
  }
  std::optional<std::string> hint;
  std::string lowered = found.text;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (is_clause_keyword(found.text)) {
    hint = "clauses such as " + backticked(found.text) + " belong inside a rule's `{ ... }`";
  } else if (found.text == "}") {
    hint = "this `}` does not close anything";
  } else if (lowered != found.text && is_declaration_keyword(lowered)) {
    hint = "keywords are written in lower case";
  }
  return expected_with_hint(state, what, found, hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::threshold_count>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "the number of events (e.g. `5`) after `threshold`", found,
                            kThresholdForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::threshold_within>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`within` after the count of `threshold`", found,
                            kThresholdForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::threshold_window>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "a duration (e.g. `1m`) after `within`", found, kThresholdForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::threshold_by>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`by` and the fields that form the key after the window", found,
                            kThresholdForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::sequence_by>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`by` after `sequence`", found, kSequenceForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::sequence_within>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`,` or `within` after a field of `sequence by`", found,
                            kSequenceForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::sequence_window>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "a duration (e.g. `5m`) after `within`", found, kSequenceForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::sequence_colon>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "`:` after the window of `sequence`", found,
                            "the steps follow a colon: `within 5m: [exec] then [file.open]`");
}

SyntaxError make_syntax_error(ErrorFor<grammar::first_step>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "a step `[EVENT, ... when CONDITION]` after `:`", found,
                            kSequenceForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::next_step>, const ParseState& state,
                              const FoundToken& found) {
  return expected_with_hint(state, "a step `[EVENT, ... when CONDITION]` after `then`", found,
                            kSequenceForm);
}

SyntaxError make_syntax_error(ErrorFor<grammar::step_first_event>, const ParseState& state,
                              const FoundToken& found) {
  std::optional<std::string> hint;
  if (found.text == "when" || found.text == "]") {
    hint = "a step names its events first, e.g. `[exec when process.uid == 0]`";
  }
  return expected_with_hint(state, "an event name after `[`", found, hint);
}

SyntaxError make_syntax_error(ErrorFor<grammar::step_close>, const ParseState& state,
                              const FoundToken& found) {
  const std::vector<ast::SequenceStep>& steps = state.clause.steps;
  std::string opened;
  if (!steps.empty()) {
    LineColumn open = state.source.line_column(steps.back().range.begin);
    opened = " (opened at line " + std::to_string(open.line) + ", column " +
             std::to_string(open.column) + ")";
  }
  if (!steps.empty() && steps.back().when) {
    std::optional<std::string> hint;
    if (starts_expression(found)) hint = "to continue the condition, join it with `and` or `or`";
    if (found.text == "then" || found.text == "[") hint = "end each step with `]` before the next";
    return expected_with_hint(state, "`]` to close the step" + opened, found, hint);
  }
  return expected_with_hint(state, "`,`, `when` or `]` after an event of the step" + opened, found,
                            std::nullopt);
}

SyntaxError nesting_too_deep_error(const ParseState& state, uint32_t at) {
  FoundToken token = describe_token(state.text, at);
  return SyntaxError{"nesting-too-deep", state.range(token.begin, token.end),
                     "expression is nested too deeply (more than " +
                         std::to_string(kMaxNestingDepth) + " levels of parentheses and `not`)",
                     "split the condition into macros"};
}

}  // namespace vigil
