// The syntax error raised for each `expect<Rule>` in the grammar: what was
// expected there, in words a policy author understands, and what was found.
// Most are a fixed phrase (kExpected); the rest need the declaration's name,
// the operator or an earlier position and have their own function.
#pragma once

#include <string_view>

#include "compiler/grammar.h"
#include "compiler/parse_scan.h"
#include "compiler/parse_state.h"

namespace vigil {

template <typename Rule>
struct ErrorFor {};

// "expected <phrase>, found <token>"
template <typename Rule>
inline constexpr std::string_view kExpected = {};

// clang-format off
template <> inline constexpr std::string_view kExpected<grammar::list_separator> = "`,` or `]` after a list item";
template <> inline constexpr std::string_view kExpected<grammar::field_segment> = "a field name after `.`";
template <> inline constexpr std::string_view kExpected<grammar::event_segment> = "the rest of the event name after `.`";
template <> inline constexpr std::string_view kExpected<grammar::expr_in_parens> = "an expression after `(`";
template <> inline constexpr std::string_view kExpected<grammar::negated_operand> = "an expression after `not`";
template <> inline constexpr std::string_view kExpected<grammar::and_operand> = "an expression after `and`";
template <> inline constexpr std::string_view kExpected<grammar::or_operand> = "an expression after `or`";
template <> inline constexpr std::string_view kExpected<grammar::first_event_name> = "an event name after `on`";
template <> inline constexpr std::string_view kExpected<grammar::next_event_name> = "an event name after `,`";
template <> inline constexpr std::string_view kExpected<grammar::when_expression> = "an expression after `when`";
template <> inline constexpr std::string_view kExpected<grammar::except_expression> = "an expression after `except`";
template <> inline constexpr std::string_view kExpected<grammar::severity_value> = "a severity (info, low, medium, high or critical) after `severity`";
template <> inline constexpr std::string_view kExpected<grammar::action_value> = "an action (alert, kill or deny) after `action`";
template <> inline constexpr std::string_view kExpected<grammar::enabled_value> = "`true` or `false` after `enabled`";
template <> inline constexpr std::string_view kExpected<grammar::tag_separator> = "`,` or `]` after a tag";
template <> inline constexpr std::string_view kExpected<grammar::tags_end> = "a tag or `]`";
template <> inline constexpr std::string_view kExpected<grammar::output_text> = "a string after `output`";
template <> inline constexpr std::string_view kExpected<grammar::description_text> = "a string after `description`";
template <> inline constexpr std::string_view kExpected<grammar::extend_target> = "`rule` or `list` after `extend`";
template <> inline constexpr std::string_view kExpected<grammar::mode_value> = "`audit` or `enforce` after `mode`";
template <> inline constexpr std::string_view kExpected<grammar::fallback_value> = "`kill` after `fallback`";
template <> inline constexpr std::string_view kExpected<grammar::threshold_first_field> = "a field after `by`";
template <> inline constexpr std::string_view kExpected<grammar::threshold_next_field> = "a field after `,`";
template <> inline constexpr std::string_view kExpected<grammar::rearm_duration> = "a duration (e.g. `10m`) after `rearm`";
template <> inline constexpr std::string_view kExpected<grammar::dedup_duration> = "a duration (e.g. `30s`) after `dedup`";
template <> inline constexpr std::string_view kExpected<grammar::sequence_first_field> = "a field after `by`";
template <> inline constexpr std::string_view kExpected<grammar::sequence_next_field> = "a field after `,`";
template <> inline constexpr std::string_view kExpected<grammar::step_next_event> = "an event name after `,`";
template <> inline constexpr std::string_view kExpected<grammar::step_when_expression> = "an expression after `when`";
template <> inline constexpr std::string_view kExpected<grammar::disable_rule_keyword> = "`rule` after `disable`";
// clang-format on

SyntaxError expected_error(const ParseState& state, std::string_view what, const FoundToken& found);

template <typename Rule>
SyntaxError make_syntax_error(ErrorFor<Rule>, const ParseState& state, const FoundToken& found) {
  static_assert(!kExpected<Rule>.empty(), "every expect<> target needs an error message");
  return expected_error(state, kExpected<Rule>, found);
}

// The messages that need more than a fixed phrase (parse_errors.cpp).
SyntaxError make_syntax_error(ErrorFor<grammar::string_close>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::list_end>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::close_paren>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::in_after_not>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::single_equals>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::comparison_rhs>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::no_chained_comparison>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::tags_open>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::body_open>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::body_close>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::rule_name>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::list_name>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::macro_name>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::extend_rule_name>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::extend_list_name>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::disable_rule_name>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::list_equals>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::list_body>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::macro_equals>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::macro_body>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::extend_list_body>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::declaration_choice>, const ParseState&,
                              const FoundToken&);

SyntaxError make_syntax_error(ErrorFor<grammar::threshold_count>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::threshold_within>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::threshold_window>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::threshold_by>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::sequence_by>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::sequence_within>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::sequence_window>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::sequence_colon>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::first_step>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::next_step>, const ParseState&, const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::step_first_event>, const ParseState&,
                              const FoundToken&);
SyntaxError make_syntax_error(ErrorFor<grammar::step_close>, const ParseState&, const FoundToken&);

// Nesting deeper than kMaxNestingDepth, at the `(` or `not` that went too deep.
SyntaxError nesting_too_deep_error(const ParseState& state, uint32_t at);

}  // namespace vigil
