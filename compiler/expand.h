// Pass 3 of analysis: expansion of named lists and ordering of macros.
//
// Lists: every list (with its `extend list` items) is flattened into the
// literals it holds, following references to other lists; a list's items
// must all have one type (addresses and networks mix). Macros: the macros
// each macro uses are found, so later passes can process macros once each,
// dependencies first, and reuse the result wherever a macro is used.
// A cycle among lists or among macros is an error that prints the cycle.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/symbols.h"

namespace vigil {

struct FlatList {
  // The Literal expressions of the list, each node once, in first-seen order.
  std::vector<const ast::Expr*> items;
  // The kind of every item (Ip stands for addresses and networks alike);
  // empty for an empty list.
  std::optional<ast::LiteralKind> kind;
  // The list could not be expanded (a cycle, a bad item); uses of it are
  // not checked further, the error has been reported.
  bool broken = false;
};

struct Expansion {
  std::vector<FlatList> lists;        // indexed like SymbolTable::lists
  std::vector<uint32_t> macro_order;  // every macro, after the macros it uses
  std::vector<bool> macro_in_cycle;   // indexed like SymbolTable::macros
};

// The kind used for list homogeneity: networks count as addresses.
ast::LiteralKind item_family(ast::LiteralKind kind);
// "string", "int", "bool", "duration", "ip", "network".
std::string_view literal_kind_name(ast::LiteralKind kind);

// Upper bound on the items of all flattened lists together, so that lists
// nesting each other many times over cannot exhaust memory.
inline constexpr size_t kMaxExpandedListItems = 4'000'000;

Expansion expand_lists_and_order_macros(SymbolTable& symbols, Diagnostics& diagnostics);

}  // namespace vigil
