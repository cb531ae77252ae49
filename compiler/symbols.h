// Pass 1 of analysis: collect the global declarations of a policy set.
// Rules, lists and macros share one namespace across every file, so a name
// means one thing everywhere; defining a name twice is an error that points
// at both definitions.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/source.h"

namespace vigil {

enum class SymbolKind : uint8_t { Rule, List, Macro };

// "rule", "list", "macro".
std::string_view symbol_kind_name(SymbolKind kind);

struct RuleSymbol {
  const ast::Decl* decl = nullptr;
  // `extend rule` and `disable rule` declarations naming this rule, in
  // file-path order; they apply in this order (see extensions.h).
  std::vector<const ast::Decl*> modifiers;
};

struct ListSymbol {
  const ast::Decl* decl = nullptr;
  std::vector<const ast::Decl*> extensions;  // `extend list`, in file-path order
  bool used = false;                         // referenced from a list or an expression
};

struct MacroSymbol {
  const ast::Decl* decl = nullptr;
  bool used = false;  // referenced from an expression
};

struct SymbolRef {
  SymbolKind kind = SymbolKind::Rule;
  uint32_t index = 0;  // into SymbolTable::rules, lists or macros
};

struct SymbolTable {
  std::vector<RuleSymbol> rules;  // in file-path then source order
  std::vector<ListSymbol> lists;
  std::vector<MacroSymbol> macros;
  // Keys point into the AST, which outlives the table.
  std::unordered_map<std::string_view, SymbolRef> by_name;
  // Definitions and extensions that are in error themselves (a name defined
  // twice; an extension of an unknown rule or list). They take no part in
  // the policy, but their conditions are still checked and the names they
  // use count as used, so one mistake does not hide others or cause more.
  std::vector<const ast::Decl*> orphans;
  // Names whose declarations the parser dropped after a syntax error: an
  // "unknown" error for them would only repeat that error.
  std::unordered_set<std::string_view> unparsed;

  const SymbolRef* find(std::string_view name) const;
  // The names of one kind, in definition order (candidates for "did you mean").
  std::vector<std::string_view> names(SymbolKind kind) const;
  const ast::Decl& decl(SymbolRef ref) const;
};

// The files of a policy set in file-path order: the order in which
// extensions apply and definitions count as "first".
std::vector<const ast::File*> files_in_path_order(const SourceManager& sources,
                                                  const std::vector<ast::File>& files);

SymbolTable collect_symbols(const std::vector<const ast::File*>& files, Diagnostics& diagnostics);

}  // namespace vigil
