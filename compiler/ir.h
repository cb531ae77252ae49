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
  bool enabled = true;
  std::string description;
};

struct PolicySet {
  std::vector<Rule> rules;  // sorted by name
  const Rule* find(std::string_view name) const;
};

}  // namespace vigil::ir
