// The syntax tree of one policy file, as written. Produced by the parser,
// consumed by the analyser (analyze.h) and the formatter (format.h).
// Nothing here is resolved or type-checked.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/schema.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace vigil::ast {

struct Identifier {
  std::string text;
  SourceRange range;
  bool quoted = false;  // tags may be written as "strings"
};

enum class ExprKind : uint8_t {
  Or,       // children: >= 2 operands, flattened
  And,      // children: >= 2 operands, flattened
  Not,      // children: 1
  Paren,    // children: 1; kept so the formatter can preserve grouping
  Compare,  // children: lhs, rhs; `op`, `op_range`
  Field,    // a dotted name (process.exe); `text`
  Name,     // an undotted name: a macro (expression) or a list; `text`
  Literal,  // `literal_kind`, `value`, `spelling`
  List,     // [a, "b", other_list]; children: items (Literal or Name)
};

enum class LiteralKind : uint8_t { String, Int, Bool, Duration, Ip, Network };

struct Expr {
  ExprKind kind = ExprKind::Literal;
  SourceRange range;
  std::vector<std::unique_ptr<Expr>> children;

  CompareOp op = CompareOp::Eq;  // Compare
  SourceRange op_range;          // Compare: the operator token(s)

  std::string text;  // Field, Name

  LiteralKind literal_kind = LiteralKind::String;  // Literal
  Value value;               // Literal: decoded value (String: bytes after escapes)
  std::string spelling;      // Literal: exact source text (with quotes for strings)
  bool has_escapes = false;  // String literal: spelling contains a backslash escape
};
using ExprPtr = std::unique_ptr<Expr>;

enum class ClauseKind : uint8_t {
  On,           // on EVENT, EVENT...        -> words
  When,         // when EXPR                 -> expr
  Except,       // except EXPR               -> expr
  Severity,     // severity WORD             -> words[0]
  Tags,         // tags [WORD|"str", ...]    -> words
  Output,       // output "template"         -> text
  Action,       // action WORD               -> words[0]
  Enabled,      // enabled true|false        -> words[0]
  Description,  // description "text"        -> text
  Mode,         // mode WORD                 -> words[0]
  Fallback,     // fallback WORD             -> words[0]
  Threshold,    // threshold N within D by FIELD, ... [rearm D] -> count, window, by, rearm
  Dedup,        // dedup DURATION            -> window
  Sequence,     // sequence by FIELD, ... within D: [STEP] then [STEP] ... -> by, window, steps
};

// The keyword that starts a clause, e.g. "when".
std::string_view clause_keyword(ClauseKind kind);

// One step of a `sequence`: `[EVENT, EVENT... when EXPR]`.
struct SequenceStep {
  SourceRange range;  // from `[` to `]`
  std::vector<Identifier> events;
  ExprPtr when;  // null without `when`
};

struct Clause {
  ClauseKind kind = ClauseKind::When;
  SourceRange range;  // from the keyword to the end of the clause
  SourceRange keyword_range;
  std::vector<Identifier> words;
  ExprPtr expr;
  ExprPtr text;  // a String Literal expression (Output, Description)
  // Threshold, Dedup, Sequence: number and duration literals as written
  // (any numeric literal kind; the analyser checks kinds and ranges).
  ExprPtr count;                    // Threshold: N
  ExprPtr window;                   // Threshold, Sequence: after `within`; Dedup: the duration
  ExprPtr rearm;                    // Threshold: after `rearm`, if given
  std::vector<Identifier> by;       // Threshold, Sequence: the key fields, as written
  std::vector<SequenceStep> steps;  // Sequence
};

enum class DeclKind : uint8_t {
  Rule,         // rule NAME { clauses }
  List,         // list NAME = [ ... ]                  -> body is a List expr
  Macro,        // macro NAME = EXPR                    -> body
  ExtendRule,   // extend rule NAME { clauses }
  ExtendList,   // extend list NAME [ ... ]             -> body is a List expr
  DisableRule,  // disable rule NAME
};

struct Decl {
  DeclKind kind = DeclKind::Rule;
  SourceRange range;  // the whole declaration
  Identifier name;
  std::vector<Clause> clauses;  // Rule, ExtendRule
  ExprPtr body;                 // List, Macro, ExtendList
};

struct Comment {
  SourceRange range;  // from '#' to the end of the line (exclusive)
  std::string text;   // including the leading '#'
};

struct File;

// The tree without source positions: declarations, clauses, words and
// expressions (kinds, operators, names, literal kinds and spellings). Two
// files have the same structure iff these strings are equal; used to check
// that formatting never changes meaning.
std::string structure_string(const File& file);

struct File {
  FileId file = 0;
  std::vector<Decl> decls;
  std::vector<Comment> comments;  // in source order
  // Names of declarations dropped because of a syntax error. The analyser
  // stays quiet about uses of these names: the syntax error already explains them.
  std::vector<std::string> unparsed_names;
};

}  // namespace vigil::ast
