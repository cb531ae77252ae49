// String tests compiled to byte-level deterministic automata. Every string
// test of an event's rules on one field becomes table data for ONE automaton,
// walked in the kernel once per value with one table lookup per byte, so the
// cost of string tests does not grow with the number of rules, and policy
// strings never reach generated C.
//
// The kernel walker:
//   state = start_state;
//   for each byte c of the value (stop at NUL, after capacity-1 bytes, or in a sink):
//     state = next[state * class_count + byte_class[c]];
//   bits = accept[state * words .. state * words + words)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "compiler/ir.h"
#include "compiler/schema.h"

namespace vigil::codegen {

// One minimal automaton over the bytes of one string value. State 0 is the
// start state; states are numbered breadth-first from it, classes in order of
// their smallest byte (byte 0 is always in class 0), so builds are reproducible.
struct StringAutomaton {
  std::array<uint8_t, 256> byte_class{};  // byte -> class
  uint32_t class_count = 0;               // 1..256
  uint32_t state_count = 0;
  uint32_t start_state = 0;
  std::vector<uint32_t> next;    // state_count * class_count
  std::vector<uint8_t> is_sink;  // state_count: every class leads back to the state
  uint32_t output_count = 0;
  uint32_t words = 0;  // ceil(output_count / 64), >= 1
  std::vector<uint64_t>
      accept;  // state_count * words: bit k = output k holds if the value ends here

  bool accepts(uint32_t state, uint32_t output) const;
  // The state the kernel walker ends in: it stops at the first NUL byte, after
  // `max_bytes` bytes (the field's capacity - 1), or on reaching a sink.
  uint32_t final_state(std::string_view value,
                       size_t max_bytes = std::numeric_limits<size_t>::max()) const;
  // The output bits of final_state(value, max_bytes): `words` words.
  std::vector<uint64_t> run(std::string_view value,
                            size_t max_bytes = std::numeric_limits<size_t>::max()) const;
};

struct AutomatonLimits {
  uint32_t max_states = 16384;  // of the minimal automaton (the kernel table)
  // The subset construction gives up beyond this many states before
  // minimisation (0: 4 * max_states), so hostile patterns cannot exhaust
  // memory or time. An output set rejected here may in rare cases have had a
  // minimal automaton within max_states.
  uint32_t max_construction_states = 0;
};

struct AutomatonGroup {
  StringAutomaton automaton;
  std::vector<uint32_t> outputs;  // output bit k of the automaton is outputs[k] of the input
};

struct AutomatonBuild {
  std::optional<FieldId> field;  // the field of the first test seen, if any
  std::vector<AutomatonGroup> groups;
  std::vector<uint32_t> too_complex;  // outputs whose automaton alone exceeds the limits
  // Outputs the automaton cannot decide: a leaf other than a string test
  // (Matches, ordering, InNetworks, FieldCompare), a test on a field other
  // than `field`, or a field that is not a string field.
  std::vector<uint32_t> unsupported;
};

// outputs[k] is a predicate over ONE string field whose leaves are Tests with
// op Eq, InSet, StartsWith, EndsWith, Contains or Glob, combined with
// And/Or/Not/True/False. For every supported output k (in a group) and every
// value v without NUL bytes, the group automaton's accepts(final_state(v), bit of k)
// equals vigil::evaluate(*outputs[k], event whose field holds the single value v).
//
// Grouping: if all outputs fit one automaton, there is one group. Otherwise
// outputs whose tests are all anchored at the start (exact, prefix, globs
// not led by `**`) and the others (suffix, contains, `**`-led globs) are
// grouped apart, since together their automaton is about the product of the
// two; each stream is split greedily, in input order, into runs that keep
// the minimal automaton within the limits (the automaton only grows as
// outputs are added, so the longest fitting run is found by doubling and
// bisection rather than one build per output). An output that alone exceeds
// the limits is reported in too_complex.
AutomatonBuild build_string_automata(std::span<const ir::Predicate* const> outputs,
                                     const AutomatonLimits& limits = {});

}  // namespace vigil::codegen
