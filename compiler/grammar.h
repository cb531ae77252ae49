// The PEGTL grammar of the vigil policy language (docs/language.md). Rules
// only: building the AST (parse_actions.h), error messages and the nesting
// limit (parse_control.h) and error recovery (parser.cpp) live elsewhere.
//
// Conventions that the actions and error messages rely on:
//  * Whitespace and comments are skipped BEFORE a token (`skip` at the start
//    of a rule), never after, so when a rule succeeds the input sits right
//    after its last token and the raw token rules (the ones with actions)
//    see exact ranges.
//  * Every decision is made on the first token of an alternative; after that
//    the rest is `expect<>`ed, which raises a syntax error instead of
//    backtracking. Actions therefore never fire inside an alternative that
//    later fails quietly, and the input is parsed in linear time.
//  * Each `expect<R>` target is its own named rule so that the error message
//    can say exactly what was expected where (see parse_control.h).
#pragma once

#include <tao/pegtl.hpp>

namespace vigil::grammar {

using namespace tao::pegtl;  // NOLINT: rule definitions read much better unqualified

// expect<R>: match R, or raise a syntax error about R at the position where
// R started. (pegtl::must<R> would raise wherever R happened to stop.)
template <typename R>
struct expect : sor<R, raise<R>> {};

// ---- Lexical structure --------------------------------------------------------

// `#` to the end of the line. A NUL byte is treated as whitespace here; the
// parser reports it separately, so one stray NUL gives one error.
struct comment : seq<one<'#'>, star<not_one<'\n'>>> {};
struct whitespace : one<' ', '\t', '\r', '\n', '\0'> {};
// Whitespace and comments between tokens. The control class memoises this
// rule so that backtracking over a long comment block costs nothing.
struct skip : star<sor<plus<whitespace>, comment>> {};

// Every reserved word; keyword<> already requires an identifier boundary, so
// `ruler` and `index` are identifiers.
struct reserved_word
    : sor<TAO_PEGTL_KEYWORD("rule"), TAO_PEGTL_KEYWORD("list"), TAO_PEGTL_KEYWORD("macro"),
          TAO_PEGTL_KEYWORD("extend"), TAO_PEGTL_KEYWORD("disable"), TAO_PEGTL_KEYWORD("on"),
          TAO_PEGTL_KEYWORD("when"), TAO_PEGTL_KEYWORD("except"), TAO_PEGTL_KEYWORD("severity"),
          TAO_PEGTL_KEYWORD("tags"), TAO_PEGTL_KEYWORD("output"), TAO_PEGTL_KEYWORD("action"),
          TAO_PEGTL_KEYWORD("enabled"), TAO_PEGTL_KEYWORD("description"), TAO_PEGTL_KEYWORD("mode"),
          TAO_PEGTL_KEYWORD("fallback"), TAO_PEGTL_KEYWORD("threshold"),
          TAO_PEGTL_KEYWORD("within"), TAO_PEGTL_KEYWORD("by"), TAO_PEGTL_KEYWORD("rearm"),
          TAO_PEGTL_KEYWORD("dedup"), TAO_PEGTL_KEYWORD("sequence"), TAO_PEGTL_KEYWORD("then"),
          TAO_PEGTL_KEYWORD("and"), TAO_PEGTL_KEYWORD("or"), TAO_PEGTL_KEYWORD("not"),
          TAO_PEGTL_KEYWORD("in"), TAO_PEGTL_KEYWORD("startswith"), TAO_PEGTL_KEYWORD("endswith"),
          TAO_PEGTL_KEYWORD("contains"), TAO_PEGTL_KEYWORD("glob"), TAO_PEGTL_KEYWORD("matches"),
          TAO_PEGTL_KEYWORD("true"), TAO_PEGTL_KEYWORD("false")> {};

// An undotted name that is not a reserved word.
struct word : seq<not_at<reserved_word>, identifier> {};

// ---- Literals -------------------------------------------------------------------

// Strings: escapes are only delimited here (a backslash and the next byte);
// which escapes are valid is checked when the literal is decoded, so one bad
// escape does not derail the rest of the file. Strings cannot span lines.
struct string_open : one<'"'> {};
struct string_close : one<'"'> {};
struct string_escape : seq<one<'\\'>, not_one<'\n'>> {};
struct string_char : sor<string_escape, not_one<'"', '\\', '\n'>> {};
struct string_literal : seq<string_open, star<string_char>, expect<string_close>> {};

struct true_literal : TAO_PEGTL_KEYWORD("true") {};
struct false_literal : TAO_PEGTL_KEYWORD("false") {};

// Numbers, durations, IP addresses and networks share one token shape: the
// longest run of letters, digits, `_`, `.` and `:` with an optional `/` part.
// The action decides what the token is (and reports what is wrong with it),
// which gives better messages than a grammar that stops halfway through
// `10.0.0.256` or `5d`.
struct literal_char : sor<alnum, one<'_', '.', ':'>> {};
struct numeric_start : sor<digit, seq<one<'-'>, digit>, one<':'>> {};
// IPv6 addresses may start with a hex letter (fe80::1): hex digits then `:`.
struct hex_address_start : seq<plus<xdigit>, one<':'>> {};
struct numeric_literal : seq<sor<at<numeric_start>, at<hex_address_start>>, opt<one<'-'>>,
                             plus<literal_char>, opt<one<'/'>, star<literal_char>>> {};

struct literal : sor<string_literal, true_literal, false_literal, numeric_literal> {};

// ---- Lists ------------------------------------------------------------------------

// [item, item, ...]: items are literals or list names; a trailing comma is
// allowed. Lists do not nest, so they cannot recurse.
struct list_open : one<'['> {};
struct list_close : one<']'> {};
struct list_item_name : seq<word, not_at<one<'.'>>> {};
struct list_item : seq<skip, sor<literal, list_item_name>> {};
struct list_separator : seq<skip, sor<one<','>, at<one<']'>>>> {};
struct list_end : seq<skip, list_close> {};
struct list_literal : seq<list_open, star<list_item, expect<list_separator>>, expect<list_end>> {};

// ---- Expressions -----------------------------------------------------------------
// Loosest to tightest: or, and, not, comparison.

struct expression;

// A dotted name is a field (process.exe); an undotted one a macro or list.
// Segments after the first may be any identifier; the analyser checks fields.
struct field_segment : identifier {};
struct field_or_name : seq<word, star<one<'.'>, expect<field_segment>>> {};

// Parentheses are kept in the AST. The control class limits the nesting
// depth at expr_in_parens and negated_operand, the only recursive points.
struct paren_open : one<'('> {};
struct paren_close : one<')'> {};
struct close_paren : seq<skip, paren_close> {};
struct expr_in_parens : seq<expression, expect<close_paren>> {};
struct paren_expr : seq<paren_open, expect<expr_in_parens>> {};

struct primary : seq<skip, sor<paren_expr, literal, field_or_name>> {};

// Comparison operators; `<=` before `<` and `>=` before `>`. After an
// operand, `not` can only be the start of `not in`. A lone `=` is a
// common slip and gets its own error.
struct op_eq : string<'=', '='> {};
struct op_ne : string<'!', '='> {};
struct op_le : string<'<', '='> {};
struct op_lt : one<'<'> {};
struct op_ge : string<'>', '='> {};
struct op_gt : one<'>'> {};
struct op_in : TAO_PEGTL_KEYWORD("in") {};
struct in_after_not : seq<skip, TAO_PEGTL_KEYWORD("in")> {};
struct op_not_in : seq<TAO_PEGTL_KEYWORD("not"), expect<in_after_not>> {};
struct op_startswith : TAO_PEGTL_KEYWORD("startswith") {};
struct op_endswith : TAO_PEGTL_KEYWORD("endswith") {};
struct op_contains : TAO_PEGTL_KEYWORD("contains") {};
struct op_glob : TAO_PEGTL_KEYWORD("glob") {};
struct op_matches : TAO_PEGTL_KEYWORD("matches") {};
struct single_equals : one<'='> {};
struct op_single_equals : seq<at<single_equals>, raise<single_equals>> {};
struct compare_op
    : seq<skip, sor<op_eq, op_ne, op_le, op_lt, op_ge, op_gt, op_in, op_not_in, op_startswith,
                    op_endswith, op_contains, op_glob, op_matches, op_single_equals>> {};

// The right operand: a list, a literal, a list name or a field.
struct comparison_rhs : seq<skip, sor<list_literal, literal, field_or_name>> {};
// `a < b < c` is not a chain of comparisons; say so instead of failing later.
struct no_chained_comparison
    : not_at<skip, sor<string<'=', '='>, string<'!', '='>, one<'<'>, one<'>'>>> {};
struct compare_tail : seq<compare_op, expect<comparison_rhs>, expect<no_chained_comparison>> {};
struct comparison : seq<primary, opt<compare_tail>> {};

struct not_expr;
struct negation_keyword : TAO_PEGTL_KEYWORD("not") {};
struct negated_operand;
struct negation : seq<skip, negation_keyword, expect<negated_operand>> {};
struct not_expr : sor<negation, comparison> {};
struct negated_operand : not_expr {};

struct and_keyword : seq<skip, TAO_PEGTL_KEYWORD("and")> {};
struct and_operand : not_expr {};
struct and_expr : seq<not_expr, star<and_keyword, expect<and_operand>>> {};

struct or_keyword : seq<skip, TAO_PEGTL_KEYWORD("or")> {};
struct or_operand : and_expr {};
struct or_expr : seq<and_expr, star<or_keyword, expect<or_operand>>> {};

struct expression : or_expr {};

// ---- Rule clauses -------------------------------------------------------------------
// Each clause starts with its keyword; the expression or words that follow
// end where the next clause keyword or `}` begins (newlines are whitespace).

struct comma : seq<skip, one<','>> {};

// on EVENT, EVENT...   (event names are words, possibly dotted: file.open)
struct on_keyword : TAO_PEGTL_KEYWORD("on") {};
struct event_segment : identifier {};
struct event_word : seq<word, star<one<'.'>, expect<event_segment>>> {};
struct first_event_name : seq<skip, event_word> {};
struct next_event_name : seq<skip, event_word> {};
struct on_clause : seq<on_keyword, expect<first_event_name>, star<comma, expect<next_event_name>>> {
};

// when EXPR / except EXPR
struct when_keyword : TAO_PEGTL_KEYWORD("when") {};
struct when_expression : expression {};
struct when_clause : seq<when_keyword, expect<when_expression>> {};
struct except_keyword : TAO_PEGTL_KEYWORD("except") {};
struct except_expression : expression {};
struct except_clause : seq<except_keyword, expect<except_expression>> {};

// severity WORD / action WORD / enabled true|false (words are checked by the analyser)
struct severity_keyword : TAO_PEGTL_KEYWORD("severity") {};
struct severity_word : word {};
struct severity_value : seq<skip, severity_word> {};
struct severity_clause : seq<severity_keyword, expect<severity_value>> {};
struct action_keyword : TAO_PEGTL_KEYWORD("action") {};
struct action_word : word {};
struct action_value : seq<skip, action_word> {};
struct action_clause : seq<action_keyword, expect<action_value>> {};
struct enabled_keyword : TAO_PEGTL_KEYWORD("enabled") {};
struct enabled_word : sor<TAO_PEGTL_KEYWORD("true"), TAO_PEGTL_KEYWORD("false"), word> {};
struct enabled_value : seq<skip, enabled_word> {};
struct enabled_clause : seq<enabled_keyword, expect<enabled_value>> {};

// tags [TAG, ...]: a tag is a word of letters, digits and `_ - . :`, or a string.
struct tags_keyword : TAO_PEGTL_KEYWORD("tags") {};
struct tag_word : plus<sor<alnum, one<'_', '-', '.', ':'>>> {};
struct tag_string : string_literal {};
struct tag_item : seq<skip, sor<tag_string, tag_word>> {};
struct tags_open : seq<skip, one<'['>> {};
struct tag_separator : seq<skip, sor<one<','>, at<one<']'>>>> {};
struct tags_end : seq<skip, one<']'>> {};
struct tags_clause : seq<tags_keyword, expect<tags_open>, star<tag_item, expect<tag_separator>>,
                         expect<tags_end>> {};

// output "template" / description "text"
struct output_keyword : TAO_PEGTL_KEYWORD("output") {};
struct output_text : seq<skip, string_literal> {};
struct output_clause : seq<output_keyword, expect<output_text>> {};
struct description_keyword : TAO_PEGTL_KEYWORD("description") {};
struct description_text : seq<skip, string_literal> {};
struct description_clause : seq<description_keyword, expect<description_text>> {};

// ---- Enforcement and stateful clauses (docs/language.md) ----

// mode WORD / fallback WORD (audit|enforce, kill: checked by the analyser)
struct mode_keyword : TAO_PEGTL_KEYWORD("mode") {};
struct mode_word : word {};
struct mode_value : seq<skip, mode_word> {};
struct mode_clause : seq<mode_keyword, expect<mode_value>> {};
struct fallback_keyword : TAO_PEGTL_KEYWORD("fallback") {};
struct fallback_word : word {};
struct fallback_value : seq<skip, fallback_word> {};
struct fallback_clause : seq<fallback_keyword, expect<fallback_value>> {};

// Counts and durations of these clauses: a number token without the `:` and
// `/` of addresses, so that `within 5m:` ends the duration at the colon. The
// action decodes it like any numeric literal (so `5x` gets the usual message).
struct clause_number : seq<opt<one<'-'>>, digit, star<sor<alnum, one<'_', '.'>>>> {};

// The key fields after `by`: dotted names (the analyser resolves them).
struct key_field : seq<word, star<one<'.'>, expect<field_segment>>> {};
struct by_keyword : seq<skip, TAO_PEGTL_KEYWORD("by")> {};
struct within_keyword : seq<skip, TAO_PEGTL_KEYWORD("within")> {};

// threshold N within DURATION by FIELD, ... [rearm DURATION]
struct threshold_keyword : TAO_PEGTL_KEYWORD("threshold") {};
struct threshold_count : seq<skip, clause_number> {};
struct threshold_within : within_keyword {};
struct threshold_window : seq<skip, clause_number> {};
struct threshold_by : by_keyword {};
struct threshold_first_field : seq<skip, key_field> {};
struct threshold_next_field : seq<skip, key_field> {};
struct rearm_keyword : seq<skip, TAO_PEGTL_KEYWORD("rearm")> {};
struct rearm_duration : seq<skip, clause_number> {};
struct threshold_clause
    : seq<threshold_keyword, expect<threshold_count>, expect<threshold_within>,
          expect<threshold_window>, expect<threshold_by>, expect<threshold_first_field>,
          star<comma, expect<threshold_next_field>>, opt<rearm_keyword, expect<rearm_duration>>> {};

// dedup DURATION
struct dedup_keyword : TAO_PEGTL_KEYWORD("dedup") {};
struct dedup_duration : seq<skip, clause_number> {};
struct dedup_clause : seq<dedup_keyword, expect<dedup_duration>> {};

// sequence by FIELD, ... within DURATION: [EVENT, ... when EXPR] then [...] ...
// A step is its events, then optionally `when` and a condition; `when` and
// `]` end the event list, and `]` ends the condition.
struct sequence_keyword : TAO_PEGTL_KEYWORD("sequence") {};
struct sequence_by : by_keyword {};
struct sequence_first_field : seq<skip, key_field> {};
struct sequence_next_field : seq<skip, key_field> {};
struct sequence_within : within_keyword {};
struct sequence_window : seq<skip, clause_number> {};
struct sequence_colon : seq<skip, one<':'>> {};
struct step_open : one<'['> {};
struct step_event : seq<word, star<one<'.'>, expect<event_segment>>> {};
struct step_first_event : seq<skip, step_event> {};
struct step_next_event : seq<skip, step_event> {};
struct step_when_keyword : seq<skip, TAO_PEGTL_KEYWORD("when")> {};
struct step_when_expression : expression {};
struct step_close : seq<skip, one<']'>> {};
struct step : seq<step_open, expect<step_first_event>, star<comma, expect<step_next_event>>,
                  opt<step_when_keyword, expect<step_when_expression>>, expect<step_close>> {};
struct first_step : seq<skip, step> {};
struct then_keyword : seq<skip, TAO_PEGTL_KEYWORD("then")> {};
struct next_step : seq<skip, step> {};
struct sequence_clause : seq<sequence_keyword, expect<sequence_by>, expect<sequence_first_field>,
                             star<comma, expect<sequence_next_field>>, expect<sequence_within>,
                             expect<sequence_window>, expect<sequence_colon>, expect<first_step>,
                             star<then_keyword, expect<next_step>>> {};

struct clause
    : seq<skip, sor<on_clause, when_clause, except_clause, severity_clause, tags_clause,
                    output_clause, action_clause, enabled_clause, description_clause, mode_clause,
                    fallback_clause, threshold_clause, dedup_clause, sequence_clause>> {};

// { CLAUSES }
struct body_open_brace : one<'{'> {};
struct body_open : seq<skip, body_open_brace> {};
struct body_close : seq<skip, one<'}'>> {};
struct rule_body : seq<expect<body_open>, star<clause>, expect<body_close>> {};

// ---- Declarations ---------------------------------------------------------------------

// The declaration's name; one rule type per context for precise messages.
struct declaration_name : seq<word, not_at<one<'.'>>> {};
struct rule_name : seq<skip, declaration_name> {};
struct list_name : seq<skip, declaration_name> {};
struct macro_name : seq<skip, declaration_name> {};
struct extend_rule_name : seq<skip, declaration_name> {};
struct extend_list_name : seq<skip, declaration_name> {};
struct disable_rule_name : seq<skip, declaration_name> {};

// rule NAME { CLAUSES }
struct rule_keyword : TAO_PEGTL_KEYWORD("rule") {};
struct rule_declaration : seq<rule_keyword, expect<rule_name>, rule_body> {};

// list NAME = [ ITEMS ]
struct list_keyword : TAO_PEGTL_KEYWORD("list") {};
struct list_equals : seq<skip, one<'='>> {};
struct list_body : seq<skip, list_literal> {};
struct list_declaration
    : seq<list_keyword, expect<list_name>, expect<list_equals>, expect<list_body>> {};

// macro NAME = EXPR
struct macro_keyword : TAO_PEGTL_KEYWORD("macro") {};
struct macro_equals : seq<skip, one<'='>> {};
struct macro_body : expression {};
struct macro_declaration
    : seq<macro_keyword, expect<macro_name>, expect<macro_equals>, expect<macro_body>> {};

// extend rule NAME { CLAUSES }  /  extend list NAME [ ITEMS ]
struct extend_keyword : TAO_PEGTL_KEYWORD("extend") {};
struct extend_rule_keyword : TAO_PEGTL_KEYWORD("rule") {};
struct extend_rule : seq<extend_rule_keyword, expect<extend_rule_name>, rule_body> {};
struct extend_list_keyword : TAO_PEGTL_KEYWORD("list") {};
struct extend_list_body : seq<skip, list_literal> {};
struct extend_list : seq<extend_list_keyword, expect<extend_list_name>, expect<extend_list_body>> {
};
struct extend_target : seq<skip, sor<extend_rule, extend_list>> {};
struct extend_declaration : seq<extend_keyword, expect<extend_target>> {};

// disable rule NAME
struct disable_keyword : TAO_PEGTL_KEYWORD("disable") {};
struct disable_rule_keyword : seq<skip, TAO_PEGTL_KEYWORD("rule")> {};
struct disable_declaration
    : seq<disable_keyword, expect<disable_rule_keyword>, expect<disable_rule_name>> {};

struct declaration_choice : sor<rule_declaration, list_declaration, macro_declaration,
                                extend_declaration, disable_declaration> {};

// One top-level declaration, starting at its first token (the parser skips
// whitespace and comments between declarations itself, and recovers from
// errors by resuming at the next declaration keyword at the start of a line).
struct declaration : expect<declaration_choice> {};

}  // namespace vigil::grammar
