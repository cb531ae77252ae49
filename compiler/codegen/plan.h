// The back end's decisions, before any C is written: for each event kind,
// which rules run, which of their tests become automaton data (and whether as
// a rule gate or an atom), which stay generated code, and which need user
// space. `vigil explain` prints this plan; the C emitter follows it.
//
// A rule is `when and not except1 and not except2 ...`, split into its
// top-level conjuncts:
// - a conjunct that only tests one single-valued string field is a *gate*:
//   all of a rule's gates on that field form one output of the field's
//   automaton, laid out at the rule's own bit, so walking the automaton once
//   ANDs every rule's test on that field into the rule bitmap at once; a
//   conjunct of `==`/`in` tests of one int, port or address field is a gate
//   too, decided by one hash or LPM-trie lookup;
// - string tests anywhere else, and every `contains`, are *atoms*: automaton
//   outputs at bits of their own, which the residual code reads (for
//   multi-valued fields an atom is the OR over the values);
// - everything else is *residual* code, evaluated only for rules whose bit
//   survived the gates;
// - tests the kernel cannot do (`matches`, user-space fields) are replaced by
//   the value that lets the event through (true where they count positively,
//   false under a negation), and the rule is reported as *pending*: user
//   space completes the decision with the reference evaluator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir.h"
#include "compiler/schema.h"

namespace vigil::codegen {

// Where one top-level conjunct of a rule is decided.
enum class Placement : uint8_t {
  Gate,       // an automaton output at the rule's bit
  Residual,   // generated code (possibly reading atom bits)
  UserSpace,  // approximated in the kernel, decided in user space
  Constant,   // folded away (true / false for this event)
};

struct PlannedConjunct {
  const ir::Predicate* source = nullptr;  // in the rule's when/excepts
  bool negated = false;                   // the conjunct is Not(source)
  bool from_except = false;               // it comes from an `except`
  const ir::Predicate* shown = nullptr;   // the source expression to show (may be a Not)
  Placement placement = Placement::Residual;
  std::optional<FieldId> gate_field;  // Gate: the field
  ir::Predicate kernel;               // what the kernel evaluates (Residual/UserSpace)
  std::vector<uint32_t> atoms;        // atom bits of kernel's string tests, in pre-order
};

// One automaton output before construction: a predicate over one string field.
struct AutomatonOutput {
  enum class Kind : uint8_t { Gate, Atom } kind = Kind::Gate;
  uint32_t bit = 0;    // the event's rule bit (Gate) or atom bit (Atom)
  ir::Predicate test;  // over the automaton's field only
};

// `contains` tests get automata of their own, walked in *accumulate* mode:
// each output is "ends with one of the substrings", and the walker ORs the
// atoms of every state it passes through. A plain automaton would need a
// "seen it" bit per substring in its states (2^k states for k of them); this
// one stays the size of the substrings' trie (Aho-Corasick).
struct FieldAutomatonPlan {
  FieldId field = 0;
  bool accumulate = false;  // outputs are atoms, OR'ed over every prefix of the value
  std::vector<AutomatonOutput> outputs;
};

// Bits are numbered per event kind: a rule's bit in its event's bitmaps is
// its position among that event's rules, so a matcher's bitmaps grow with
// the rules on its event, not with the whole policy.
struct PlannedRule {
  uint32_t index = 0;  // in PolicyPlan::rules
  uint32_t bit = 0;    // in this event's rule bitmaps
  const ir::Rule* rule = nullptr;
  bool kernel_complete = true;  // no UserSpace conjunct
  bool never_matches = false;   // some conjunct is constant false on this event
  // Sequence rules: the step this bit decides (its `when` replaces the
  // rule's); -1 for other rules. A sequence rule has a bit per step that
  // applies to the event.
  int step = -1;
  std::vector<PlannedConjunct> conjuncts;
};

struct EventPlan {
  EventKind kind;
  std::vector<PlannedRule> rules;            // rules of this event, in bit order
  uint32_t atom_count = 0;                   // atom bits of this event
  std::vector<FieldAutomatonPlan> automata;  // one per string field tested
  std::vector<FieldId> fields_read;          // by predicates and outputs: capture these
  // Gates on an int, port or address field (only ==, in, and their
  // negations): one hash (ints) or LPM-trie (addresses) lookup per field,
  // whatever the number of rules. `accumulate` is unused.
  std::vector<FieldAutomatonPlan> value_gates;
};

struct PolicyPlan {
  uint32_t rule_count = 0;             // enabled rules
  std::vector<const ir::Rule*> rules;  // enabled rules, in policy order
  std::vector<EventPlan> events;       // only kinds with at least one rule
};

PolicyPlan plan_policy(const ir::PolicySet& policy);

// Whether the kernel can evaluate a predicate exactly.
bool kernel_capable(const ir::Predicate& predicate);

}  // namespace vigil::codegen
