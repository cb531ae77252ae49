// The intermediate representation: a policy set after name resolution, macro
// and list expansion, type checking, extend/disable application. Both back
// ends read it: the reference evaluator (evaluator.h) and the eBPF code
// generator. It is plain data: no pointers into the AST.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/schema.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace vigil::ir {

// A test of one field against constants. For a multi-valued field a test is
// true if any value satisfies it; `!=` and `not in` are lowered to Not(...),
// so they mean "no value equals / is in".
enum class TestOp : uint8_t {
  Eq,  // operands: 1 value
  Lt,  // operands: 1 (Int, Port, Duration)
  Le,
  Gt,
  Ge,
  InSet,       // operands: the set, sorted and deduplicated
  InNetworks,  // operands: IpNetwork values
  StartsWith,  // operands: any of these prefixes
  EndsWith,    // operands: any of these suffixes
  Contains,    // operands: any of these substrings
  Glob,        // operands: 1 pattern string
  Matches,     // operands: 1 RE2 pattern string (user space only)
};

struct Predicate {
  enum class Kind : uint8_t { True, False, And, Or, Not, Test, FieldCompare };
  Kind kind = Kind::True;
  std::vector<Predicate> children;  // And, Or (>= 2), Not (1)

  FieldId field = 0;            // Test, FieldCompare (left)
  TestOp op = TestOp::Eq;       // Test; FieldCompare uses Eq, Lt, Le, Gt, Ge
  std::vector<Value> operands;  // Test
  FieldId other_field = 0;      // FieldCompare (right); both single-valued

  SourceRange origin;  // the source expression this node came from
};

struct OutputSegment {
  std::string text;              // literal text (already unescaped, `{{` -> `{`)
  std::optional<FieldId> field;  // or a field to interpolate
};

// How a kill/deny rule acts. A rule enforces by default; `mode audit`
// reports what it would have done instead, and `vigil run --audit` puts every
// rule in audit mode (docs/enforcement.md).
enum class Mode : uint8_t { Enforce, Audit };

// `threshold N within WINDOW by FIELD, ... [rearm DURATION]`: the rule fires
// on exactly the N-th matching event of one key within a fixed window that
// starts at the key's first counted event; after firing the key is quiet
// until the window ends (or for `rearm` after the firing event, if given).
// docs/semantics.md defines it; the kernel and the evaluator both follow it.
struct Threshold {
  uint64_t count = 0;       // N >= 1
  uint64_t window_ns = 0;   // > 0
  std::vector<FieldId> by;  // 1..4 single-valued fields on every event of the rule
  std::optional<uint64_t> rearm_ns;
  SourceRange range;  // the clause
};

// `sequence by FIELD, ... within WINDOW: [EVENT, ... when EXPR] then [...] ...`:
// the rule fires on the event that completes the steps in order for one key,
// all within WINDOW of the event that matched the first step. Per key the
// state is "the next step to match" and the start time; an event that matches
// the next step advances it, otherwise one that matches the first step
// (re)starts it; a state older than WINDOW is forgotten. docs/semantics.md.
struct SequenceStep {
  EventMask events = 0;  // the step's events
  Predicate when;        // True if the step has no `when`
  SourceRange range;     // the `[...]`
};

struct Sequence {
  std::vector<FieldId> by;  // 1..4 single-valued fields on every step's events
  uint64_t window_ns = 0;
  std::vector<SequenceStep> steps;  // >= 2
  SourceRange range;                // the clause
};

struct Rule {
  std::string name;
  SourceRange range;  // the `rule` declaration
  SourceRange name_range;
  EventMask events = 0;            // from `on`
  Predicate when;                  // `when`; True if absent
  std::vector<Predicate> excepts;  // the rule matches if `when` holds and no except does
  Severity severity = Severity::Medium;
  std::vector<std::string> tags;
  std::vector<OutputSegment> output;
  Action action = Action::Alert;
  Mode mode = Mode::Enforce;   // kill/deny only; `mode audit|enforce`
  bool fallback_kill = false;  // `fallback kill`: deny without BPF LSM kills instead
  std::optional<Threshold> threshold;
  // A sequence rule has no `on`/`when`: `events` is the union of its steps'
  // events, `when` is True, and `excepts` apply to every step's event.
  std::optional<Sequence> sequence;
  uint64_t dedup_ns = 0;     // `dedup DURATION`: identical alerts within it collapse (0: off)
  SourceRange action_range;  // the `action` clause, for diagnostics about enforcement
  bool enabled = true;
  std::string description;
};

struct PolicySet {
  std::vector<Rule> rules;  // sorted by name
  const Rule* find(std::string_view name) const;
};

}  // namespace vigil::ir
