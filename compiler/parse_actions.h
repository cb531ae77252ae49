// PEGTL actions that build the AST on ParseState's explicit stack. Only raw
// token rules and rules that are `expect<>`ed (which either succeed or raise)
// have actions, so an action never runs inside an alternative that later
// fails quietly (see grammar.h).
#pragma once

#include <memory>
#include <string>
#include <tao/pegtl.hpp>
#include <utility>

#include "compiler/ast.h"
#include "compiler/grammar.h"
#include "compiler/literals.h"
#include "compiler/parse_state.h"

namespace vigil {

namespace parse_detail {

inline ast::ExprPtr pop(ParseState& state) {
  if (state.stack.empty()) {
    // Unreachable if the grammar and actions agree; fail the declaration, not the process.
    throw SyntaxError{"internal-error", state.range(0, 0),
                      "internal parser error: expression stack underflow", std::nullopt};
  }
  ast::ExprPtr expr = std::move(state.stack.back());
  state.stack.pop_back();
  return expr;
}

inline ast::Expr& top(ParseState& state) {
  if (state.stack.empty()) {
    throw SyntaxError{"internal-error", state.range(0, 0),
                      "internal parser error: expression stack underflow", std::nullopt};
  }
  return *state.stack.back();
}

inline void push(ParseState& state, ast::ExprPtr expr) {
  state.stack.push_back(std::move(expr));
}

inline ast::ExprPtr make_expr(ast::ExprKind kind, SourceRange range) {
  auto expr = std::make_unique<ast::Expr>();
  expr->kind = kind;
  expr->range = range;
  return expr;
}

// Wraps the top of the stack in a one-child node (Not, Paren).
inline void wrap_top(ParseState& state, ast::ExprKind kind, uint32_t begin, uint32_t end) {
  ast::ExprPtr child = pop(state);
  ast::ExprPtr node = make_expr(kind, state.range(begin, end));
  node->children.push_back(std::move(child));
  push(state, std::move(node));
}

// `left and right`: extends the And chain on the stack, or starts one. The
// left operand of `and` can only be an And node if it is this chain (any
// other And would be inside parentheses), so the chain flattens correctly.
inline void extend_chain(ParseState& state, ast::ExprKind kind) {
  ast::ExprPtr right = pop(state);
  ast::Expr& left = top(state);
  if (left.kind != kind) {
    ast::ExprPtr chain = make_expr(kind, left.range);
    chain->children.push_back(pop(state));
    push(state, std::move(chain));
  }
  ast::Expr& chain = top(state);
  chain.range.end = right->range.end;
  chain.children.push_back(std::move(right));
}

inline void report_literal_problem(ParseState& state, uint32_t literal_begin,
                                   const LiteralProblem& problem) {
  state.report(problem.code,
               state.range(literal_begin + problem.begin, literal_begin + problem.end),
               problem.message, problem.hint);
}

template <typename ActionInput>
ast::ExprPtr make_literal(const ActionInput& in, ParseState& state, ast::LiteralKind kind) {
  ast::ExprPtr literal = make_expr(ast::ExprKind::Literal, state.range_of(in));
  literal->literal_kind = kind;
  literal->spelling = in.string();
  return literal;
}

template <ast::ClauseKind Kind>
struct StartClause {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.clause = ast::Clause{};
    state.clause.kind = Kind;
    state.clause.keyword_range = state.range_of(in);
  }
};

struct FinishClause {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    ast::Clause& clause = state.clause;
    clause.range = state.range(clause.keyword_range.begin, state.offset(in.end()));
    switch (clause.kind) {
      case ast::ClauseKind::When:
      case ast::ClauseKind::Except: clause.expr = pop(state); break;
      case ast::ClauseKind::Output:
      case ast::ClauseKind::Description: clause.text = pop(state); break;
      default: break;
    }
    state.last_clause_kind = clause.kind;
    state.decl.clauses.push_back(std::move(clause));
    state.clause = ast::Clause{};
  }
};

struct AddWord {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.clause.words.push_back(ast::Identifier{in.string(), state.range_of(in), false});
  }
};

template <ast::DeclKind Kind>
struct SetDeclarationKind {
  static void apply0(ParseState& state) { state.decl.kind = Kind; }
};

template <CompareOp Op>
struct SetOperator {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.pending_op = Op;
    state.pending_op_range = state.range_of(in);
  }
};

}  // namespace parse_detail

template <typename Rule>
struct ParseAction : tao::pegtl::nothing<Rule> {};

// ---- Declarations ----
template <>
struct ParseAction<grammar::rule_keyword> : parse_detail::SetDeclarationKind<ast::DeclKind::Rule> {
};
template <>
struct ParseAction<grammar::list_keyword> : parse_detail::SetDeclarationKind<ast::DeclKind::List> {
};
template <>
struct ParseAction<grammar::macro_keyword>
    : parse_detail::SetDeclarationKind<ast::DeclKind::Macro> {};
template <>
struct ParseAction<grammar::extend_rule_keyword>
    : parse_detail::SetDeclarationKind<ast::DeclKind::ExtendRule> {};
template <>
struct ParseAction<grammar::extend_list_keyword>
    : parse_detail::SetDeclarationKind<ast::DeclKind::ExtendList> {};
template <>
struct ParseAction<grammar::disable_keyword>
    : parse_detail::SetDeclarationKind<ast::DeclKind::DisableRule> {};

template <>
struct ParseAction<grammar::declaration_name> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.decl.name = ast::Identifier{in.string(), state.range_of(in), false};
  }
};

template <>
struct ParseAction<grammar::body_open_brace> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.body_open = state.offset(in.begin());
  }
};

// ---- Clauses ----
template <>
struct ParseAction<grammar::on_keyword> : parse_detail::StartClause<ast::ClauseKind::On> {};
template <>
struct ParseAction<grammar::when_keyword> : parse_detail::StartClause<ast::ClauseKind::When> {};
template <>
struct ParseAction<grammar::except_keyword> : parse_detail::StartClause<ast::ClauseKind::Except> {};
template <>
struct ParseAction<grammar::severity_keyword>
    : parse_detail::StartClause<ast::ClauseKind::Severity> {};
template <>
struct ParseAction<grammar::tags_keyword> : parse_detail::StartClause<ast::ClauseKind::Tags> {};
template <>
struct ParseAction<grammar::output_keyword> : parse_detail::StartClause<ast::ClauseKind::Output> {};
template <>
struct ParseAction<grammar::action_keyword> : parse_detail::StartClause<ast::ClauseKind::Action> {};
template <>
struct ParseAction<grammar::enabled_keyword> : parse_detail::StartClause<ast::ClauseKind::Enabled> {
};
template <>
struct ParseAction<grammar::description_keyword>
    : parse_detail::StartClause<ast::ClauseKind::Description> {};

template <>
struct ParseAction<grammar::mode_keyword> : parse_detail::StartClause<ast::ClauseKind::Mode> {};
template <>
struct ParseAction<grammar::fallback_keyword>
    : parse_detail::StartClause<ast::ClauseKind::Fallback> {};
template <>
struct ParseAction<grammar::threshold_keyword>
    : parse_detail::StartClause<ast::ClauseKind::Threshold> {};
template <>
struct ParseAction<grammar::dedup_keyword> : parse_detail::StartClause<ast::ClauseKind::Dedup> {};
template <>
struct ParseAction<grammar::sequence_keyword>
    : parse_detail::StartClause<ast::ClauseKind::Sequence> {};

template <>
struct ParseAction<grammar::on_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::when_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::except_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::severity_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::tags_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::output_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::action_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::enabled_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::description_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::mode_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::fallback_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::threshold_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::dedup_clause> : parse_detail::FinishClause {};
template <>
struct ParseAction<grammar::sequence_clause> : parse_detail::FinishClause {};

template <>
struct ParseAction<grammar::event_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::severity_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::action_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::enabled_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::tag_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::mode_word> : parse_detail::AddWord {};
template <>
struct ParseAction<grammar::fallback_word> : parse_detail::AddWord {};

// ---- threshold, dedup, sequence ----
template <>
struct ParseAction<grammar::clause_number> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    DecodedNumeric decoded = decode_numeric_literal(in.string_view());
    ast::ExprPtr literal = parse_detail::make_literal(in, state, decoded.kind);
    if (decoded.problem) {
      parse_detail::report_literal_problem(state, literal->range.begin, *decoded.problem);
    }
    literal->value = std::move(decoded.value);
    parse_detail::push(state, std::move(literal));
  }
};

template <>
struct ParseAction<grammar::threshold_count> {
  static void apply0(ParseState& state) { state.clause.count = parse_detail::pop(state); }
};

struct SetWindow {
  static void apply0(ParseState& state) { state.clause.window = parse_detail::pop(state); }
};
template <>
struct ParseAction<grammar::threshold_window> : SetWindow {};
template <>
struct ParseAction<grammar::sequence_window> : SetWindow {};
template <>
struct ParseAction<grammar::dedup_duration> : SetWindow {};

template <>
struct ParseAction<grammar::rearm_duration> {
  static void apply0(ParseState& state) { state.clause.rearm = parse_detail::pop(state); }
};

template <>
struct ParseAction<grammar::key_field> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.clause.by.push_back(ast::Identifier{in.string(), state.range_of(in), false});
  }
};

template <>
struct ParseAction<grammar::step_open> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    ast::SequenceStep step;
    step.range = state.range_of(in);
    state.clause.steps.push_back(std::move(step));
  }
};

template <>
struct ParseAction<grammar::step_event> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.clause.steps.back().events.push_back(
        ast::Identifier{in.string(), state.range_of(in), false});
  }
};

template <>
struct ParseAction<grammar::step_when_expression> {
  static void apply0(ParseState& state) {
    state.clause.steps.back().when = parse_detail::pop(state);
  }
};

template <>
struct ParseAction<grammar::step_close> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.clause.steps.back().range.end = state.offset(in.end());
  }
};

template <>
struct ParseAction<grammar::tag_string> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    DecodedString decoded = decode_string_literal(in.string_view());
    for (const LiteralProblem& problem : decoded.problems) {
      parse_detail::report_literal_problem(state, state.offset(in.begin()), problem);
    }
    state.clause.words.push_back(
        ast::Identifier{std::move(decoded.value), state.range_of(in), true});
  }
};

// ---- Literals ----
template <>
struct ParseAction<grammar::string_open> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.string_start = state.offset(in.begin());
  }
};

template <>
struct ParseAction<grammar::string_literal> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    ast::ExprPtr literal = parse_detail::make_literal(in, state, ast::LiteralKind::String);
    DecodedString decoded = decode_string_literal(in.string_view());
    for (const LiteralProblem& problem : decoded.problems) {
      parse_detail::report_literal_problem(state, literal->range.begin, problem);
    }
    literal->value = std::move(decoded.value);
    literal->has_escapes = decoded.has_escapes;
    parse_detail::push(state, std::move(literal));
  }
};

template <bool Value>
struct PushBool {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    ast::ExprPtr literal = parse_detail::make_literal(in, state, ast::LiteralKind::Bool);
    literal->value = Value;
    parse_detail::push(state, std::move(literal));
  }
};
template <>
struct ParseAction<grammar::true_literal> : PushBool<true> {};
template <>
struct ParseAction<grammar::false_literal> : PushBool<false> {};

template <>
struct ParseAction<grammar::numeric_literal> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    DecodedNumeric decoded = decode_numeric_literal(in.string_view());
    ast::ExprPtr literal = parse_detail::make_literal(in, state, decoded.kind);
    if (decoded.problem) {
      parse_detail::report_literal_problem(state, literal->range.begin, *decoded.problem);
    }
    literal->value = std::move(decoded.value);
    parse_detail::push(state, std::move(literal));
  }
};

// ---- Names, fields, lists ----
template <>
struct ParseAction<grammar::field_or_name> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    bool dotted = in.string_view().find('.') != std::string_view::npos;
    ast::ExprPtr expr = parse_detail::make_expr(dotted ? ast::ExprKind::Field : ast::ExprKind::Name,
                                                state.range_of(in));
    expr->text = in.string();
    parse_detail::push(state, std::move(expr));
  }
};

template <>
struct ParseAction<grammar::list_item_name> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    ast::ExprPtr expr = parse_detail::make_expr(ast::ExprKind::Name, state.range_of(in));
    expr->text = in.string();
    parse_detail::push(state, std::move(expr));
  }
};

template <>
struct ParseAction<grammar::list_open> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.list_starts.emplace_back(state.stack.size(), state.offset(in.begin()));
  }
};

template <>
struct ParseAction<grammar::list_close> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    auto [mark, begin] = state.list_starts.back();
    state.list_starts.pop_back();
    ast::ExprPtr list =
        parse_detail::make_expr(ast::ExprKind::List, state.range(begin, state.offset(in.end())));
    for (size_t i = mark; i < state.stack.size(); ++i) {
      list->children.push_back(std::move(state.stack[i]));
    }
    state.stack.resize(mark);
    parse_detail::push(state, std::move(list));
  }
};

// ---- Expressions ----
template <>
struct ParseAction<grammar::paren_open> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.paren_starts.push_back(state.offset(in.begin()));
  }
};

template <>
struct ParseAction<grammar::paren_close> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    uint32_t begin = state.paren_starts.back();
    state.paren_starts.pop_back();
    parse_detail::wrap_top(state, ast::ExprKind::Paren, begin, state.offset(in.end()));
  }
};

template <>
struct ParseAction<grammar::negation_keyword> {
  template <typename ActionInput>
  static void apply(const ActionInput& in, ParseState& state) {
    state.not_starts.push_back(state.offset(in.begin()));
  }
};

template <>
struct ParseAction<grammar::negated_operand> {
  static void apply0(ParseState& state) {
    uint32_t begin = state.not_starts.back();
    state.not_starts.pop_back();
    uint32_t end = parse_detail::top(state).range.end;
    parse_detail::wrap_top(state, ast::ExprKind::Not, begin, end);
  }
};

template <>
struct ParseAction<grammar::op_eq> : parse_detail::SetOperator<CompareOp::Eq> {};
template <>
struct ParseAction<grammar::op_ne> : parse_detail::SetOperator<CompareOp::Ne> {};
template <>
struct ParseAction<grammar::op_le> : parse_detail::SetOperator<CompareOp::Le> {};
template <>
struct ParseAction<grammar::op_lt> : parse_detail::SetOperator<CompareOp::Lt> {};
template <>
struct ParseAction<grammar::op_ge> : parse_detail::SetOperator<CompareOp::Ge> {};
template <>
struct ParseAction<grammar::op_gt> : parse_detail::SetOperator<CompareOp::Gt> {};
template <>
struct ParseAction<grammar::op_in> : parse_detail::SetOperator<CompareOp::In> {};
template <>
struct ParseAction<grammar::op_not_in> : parse_detail::SetOperator<CompareOp::NotIn> {};
template <>
struct ParseAction<grammar::op_startswith> : parse_detail::SetOperator<CompareOp::StartsWith> {};
template <>
struct ParseAction<grammar::op_endswith> : parse_detail::SetOperator<CompareOp::EndsWith> {};
template <>
struct ParseAction<grammar::op_contains> : parse_detail::SetOperator<CompareOp::Contains> {};
template <>
struct ParseAction<grammar::op_glob> : parse_detail::SetOperator<CompareOp::Glob> {};
template <>
struct ParseAction<grammar::op_matches> : parse_detail::SetOperator<CompareOp::Matches> {};

template <>
struct ParseAction<grammar::compare_tail> {
  static void apply0(ParseState& state) {
    ast::ExprPtr rhs = parse_detail::pop(state);
    ast::ExprPtr lhs = parse_detail::pop(state);
    ast::ExprPtr compare = parse_detail::make_expr(ast::ExprKind::Compare,
                                                   state.range(lhs->range.begin, rhs->range.end));
    compare->op = state.pending_op;
    compare->op_range = state.pending_op_range;
    compare->children.push_back(std::move(lhs));
    compare->children.push_back(std::move(rhs));
    parse_detail::push(state, std::move(compare));
  }
};

template <>
struct ParseAction<grammar::and_operand> {
  static void apply0(ParseState& state) { parse_detail::extend_chain(state, ast::ExprKind::And); }
};

template <>
struct ParseAction<grammar::or_operand> {
  static void apply0(ParseState& state) { parse_detail::extend_chain(state, ast::ExprKind::Or); }
};

}  // namespace vigil
