// The PEGTL control class of the parser: turns a failed `expect<>` into a
// SyntaxError with a readable message, limits the nesting depth at the two
// recursive points of the grammar, and memoises whitespace skipping so that
// backtracking over long comments stays linear.
#pragma once

#include <tao/pegtl.hpp>
#include <type_traits>

#include "compiler/grammar.h"
#include "compiler/parse_errors.h"
#include "compiler/parse_scan.h"
#include "compiler/parse_state.h"
#include "compiler/parser.h"

namespace vigil {

template <typename Rule>
inline constexpr bool kIsNestingPoint =
    std::is_same_v<Rule, grammar::expr_in_parens> || std::is_same_v<Rule, grammar::negated_operand>;

template <typename Rule>
struct ParseControl : tao::pegtl::normal<Rule> {
  template <typename ParseInput>
  [[noreturn]] static void raise(const ParseInput& in, ParseState& state) {
    uint32_t at = skip_blank(state.text, state.offset(in.current()));
    FoundToken found = describe_token(state.text, at);
    if (found.at_end) {
      // Point just after the last token, not at an empty line after it.
      found.begin = found.end = end_of_content(state.text);
    }
    throw make_syntax_error(ErrorFor<Rule>{}, state, found);
  }

  template <tao::pegtl::apply_mode A, tao::pegtl::rewind_mode M,
            template <typename...> class Action, template <typename...> class Control,
            typename ParseInput>
  [[nodiscard]] static bool match(ParseInput& in, ParseState& state) {
    if constexpr (std::is_same_v<Rule, grammar::skip>) {
      const char* from = in.current();
      if (from != state.skip_from) {
        state.skip_from = from;
        state.skip_to = state.text.data() + skip_blank(state.text, state.offset(from));
      }
      in.bump(static_cast<size_t>(state.skip_to - from));
      return true;
    } else if constexpr (kIsNestingPoint<Rule>) {
      if (state.depth >= kMaxNestingDepth) {
        const auto& starts =
            std::is_same_v<Rule, grammar::expr_in_parens> ? state.paren_starts : state.not_starts;
        throw nesting_too_deep_error(state,
                                     starts.empty() ? state.offset(in.current()) : starts.back());
      }
      ++state.depth;
      struct LeaveLevel {
        unsigned& depth;
        ~LeaveLevel() { --depth; }
      } leave{state.depth};
      return tao::pegtl::normal<Rule>::template match<A, M, Action, Control>(in, state);
    } else {
      return tao::pegtl::normal<Rule>::template match<A, M, Action, Control>(in, state);
    }
  }
};

}  // namespace vigil
