#include "compiler/expand.h"

#include <string>
#include <unordered_set>

#include "compiler/cycles.h"
#include "compiler/message_text.h"
#include "compiler/suggest.h"

namespace vigil {

ast::LiteralKind item_family(ast::LiteralKind kind) {
  return kind == ast::LiteralKind::Network ? ast::LiteralKind::Ip : kind;
}

std::string_view literal_kind_name(ast::LiteralKind kind) {
  switch (kind) {
    case ast::LiteralKind::String: return "string";
    case ast::LiteralKind::Int: return "int";
    case ast::LiteralKind::Bool: return "bool";
    case ast::LiteralKind::Duration: return "duration";
    case ast::LiteralKind::Ip: return "ip";
    case ast::LiteralKind::Network: return "network";
  }
  return "value";
}

namespace {

// The cycle as "a -> b -> a", with a note at each reference.
void report_cycle(std::string_view what, const Cycle& cycle,
                  const std::vector<const ast::Decl*>& decls, Diagnostics& diagnostics) {
  auto name_of = [&](uint32_t node) -> const std::string& { return decls[node]->name.text; };
  if (cycle.abbreviated) {
    const CycleStep& closing = cycle.steps.front();
    const std::string& from = name_of(closing.node);
    const std::string& to = name_of(closing.edge->target);
    diagnostics.error("cycle", closing.edge->range,
                      std::string(what) + " cycle: " + quoted(from) + " uses " + quoted(to) +
                          ", which leads back to " + quoted(from) +
                          " (the cycle is too long to print)");
    return;
  }
  std::string path;
  for (const CycleStep& step : cycle.steps) path += name_of(step.node) + " -> ";
  path += name_of(cycle.steps.front().node);
  Diagnostic& error = diagnostics.error("cycle", decls[cycle.steps.front().node]->name.range,
                                        std::string(what) + " cycle: " + path);
  error.hint =
      std::string("a ") + std::string(what) + " cannot use itself, directly or through others";
  for (const CycleStep& step : cycle.steps)
    error.related.push_back({step.edge->range, quoted(name_of(step.node)) + " uses " +
                                                   quoted(name_of(step.edge->target)) + " here"});
}

class ListExpander {
 public:
  ListExpander(SymbolTable& symbols, Diagnostics& diagnostics)
      : symbols_(symbols),
        diagnostics_(diagnostics),
        list_names_(symbols.names(SymbolKind::List)) {}

  std::vector<FlatList> run() {
    std::vector<const ast::Decl*> decls;
    ReferenceGraph graph;
    graph.edges.resize(symbols_.lists.size());
    lists_.resize(symbols_.lists.size());
    for (uint32_t i = 0; i < symbols_.lists.size(); ++i) {
      const ListSymbol& list = symbols_.lists[i];
      decls.push_back(list.decl);
      for (const ast::Expr* body : bodies(list)) collect_references(i, *body, graph);
    }
    CycleAnalysis cycles = find_cycles(graph);
    for (const Cycle& cycle : cycles.cycles) report_cycle("list", cycle, decls, diagnostics_);
    done_.assign(lists_.size(), false);
    for (uint32_t i : cycles.order) {
      if (cycles.in_cycle[i]) lists_[i].broken = true;
      flatten(i);
      done_[i] = true;
    }
    return std::move(lists_);
  }

 private:
  static std::vector<const ast::Expr*> bodies(const ListSymbol& list) {
    std::vector<const ast::Expr*> out;
    if (list.decl->body) out.push_back(list.decl->body.get());
    for (const ast::Decl* extension : list.extensions)
      if (extension->body) out.push_back(extension->body.get());
    return out;
  }

  // Edges to the lists this list includes; bad references are reported
  // here, once, and break the list.
  void collect_references(uint32_t from, const ast::Expr& body, ReferenceGraph& graph) {
    if (body.kind != ast::ExprKind::List) {
      lists_[from].broken = true;  // the parser only builds List bodies
      return;
    }
    for (const auto& item : body.children) {
      if (item->kind != ast::ExprKind::Name) continue;
      const SymbolRef* target = symbols_.find(item->text);
      if (target != nullptr && target->kind == SymbolKind::List) {
        symbols_.lists[target->index].used = true;
        graph.edges[from].push_back({target->index, item->range});
        continue;
      }
      lists_[from].broken = true;
      // A misused macro still counts as used: no "unused" warning on top.
      if (target != nullptr && target->kind == SymbolKind::Macro)
        symbols_.macros[target->index].used = true;
      if (target == nullptr) {
        if (symbols_.unparsed.contains(item->text)) continue;  // its syntax error explains it
        Diagnostic& error =
            diagnostics_.error("unknown-list", item->range, "unknown list " + quoted(item->text));
        if (auto suggestion = list_names_.suggest(item->text))
          error.hint = did_you_mean(*suggestion);
      } else {
        Diagnostic& error =
            diagnostics_.error("wrong-kind", item->range,
                               quoted(item->text) + " is a " +
                                   std::string(symbol_kind_name(target->kind)) + ", not a list");
        error.hint = "a list can only include literals and other lists";
        error.related.push_back(
            {symbols_.decl(*target).name.range, quoted(item->text) + " is defined here"});
      }
    }
  }

  void flatten(uint32_t index) {
    FlatList& list = lists_[index];
    const ast::Decl& decl = *symbols_.lists[index].decl;
    std::unordered_set<const ast::Expr*> seen;
    const ast::Expr* first_item = nullptr;
    auto add_kind = [&](ast::LiteralKind kind, const ast::Expr& where, const ast::Expr& example) {
      if (!list.kind) {
        list.kind = item_family(kind);
        first_item = &example;
        return true;
      }
      if (*list.kind == item_family(kind)) return true;
      Diagnostic& error =
          diagnostics_.error("type-mismatch", where.range,
                             "list " + quoted(decl.name.text) + " mixes " +
                                 std::string(literal_kind_name(first_item->literal_kind)) +
                                 " and " + std::string(literal_kind_name(kind)) + " items");
      error.hint = "all items of a list must have one type";
      error.related.push_back(
          {first_item->range,
           "the first item is " + with_article(literal_kind_name(first_item->literal_kind))});
      list.broken = true;
      return false;
    };
    auto add_item = [&](const ast::Expr* item) {
      if (!seen.insert(item).second) return true;
      if (expanded_items_ >= kMaxExpandedListItems) {
        if (!reported_too_large_) {
          diagnostics_.error("expansion-too-large", decl.name.range,
                             "lists are too large after expansion (more than " +
                                 std::to_string(kMaxExpandedListItems) + " items in all)");
          reported_too_large_ = true;
        }
        list.broken = true;
        return false;
      }
      ++expanded_items_;
      list.items.push_back(item);
      return true;
    };
    for (const ast::Expr* body : bodies(symbols_.lists[index])) {
      if (body->kind != ast::ExprKind::List) continue;
      for (const auto& item : body->children) {
        if (item->kind == ast::ExprKind::Literal) {
          if (!add_kind(item->literal_kind, *item, *item) || !add_item(item.get())) return;
          continue;
        }
        if (item->kind != ast::ExprKind::Name) {
          diagnostics_.error("invalid-list-item", item->range,
                             "a list item must be a literal or the name of a list");
          list.broken = true;
          return;
        }
        const SymbolRef* target = symbols_.find(item->text);
        if (target == nullptr || target->kind != SymbolKind::List) continue;  // reported
        const FlatList& included = lists_[target->index];
        // A list not yet flattened is part of a cycle, already reported.
        if (!done_[target->index] || included.broken) {
          list.broken = true;
          continue;
        }
        if (included.items.empty()) continue;
        if (!add_kind(included.items.front()->literal_kind, *item, *included.items.front())) return;
        for (const ast::Expr* literal : included.items)
          if (!add_item(literal)) return;
      }
    }
  }

  SymbolTable& symbols_;
  Diagnostics& diagnostics_;
  NameSuggester list_names_;
  std::vector<FlatList> lists_;
  std::vector<bool> done_;
  size_t expanded_items_ = 0;
  bool reported_too_large_ = false;
};

// The macros a macro body uses: Names in condition position (not the
// operands of a comparison, which name lists).
void collect_macro_references(uint32_t from, const ast::Expr& body, const SymbolTable& symbols,
                              ReferenceGraph& graph) {
  std::vector<const ast::Expr*> pending{&body};
  while (!pending.empty()) {
    const ast::Expr* expr = pending.back();
    pending.pop_back();
    switch (expr->kind) {
      case ast::ExprKind::Or:
      case ast::ExprKind::And:
      case ast::ExprKind::Not:
      case ast::ExprKind::Paren:
        // Reversed so that references come out in source order.
        for (auto it = expr->children.rbegin(); it != expr->children.rend(); ++it)
          pending.push_back(it->get());
        break;
      case ast::ExprKind::Name:
        if (const SymbolRef* target = symbols.find(expr->text);
            target != nullptr && target->kind == SymbolKind::Macro)
          graph.edges[from].push_back({target->index, expr->range});
        break;
      default: break;
    }
  }
}

}  // namespace

Expansion expand_lists_and_order_macros(SymbolTable& symbols, Diagnostics& diagnostics) {
  Expansion expansion;
  expansion.lists = ListExpander(symbols, diagnostics).run();

  ReferenceGraph graph;
  graph.edges.resize(symbols.macros.size());
  std::vector<const ast::Decl*> decls;
  for (uint32_t i = 0; i < symbols.macros.size(); ++i) {
    decls.push_back(symbols.macros[i].decl);
    if (symbols.macros[i].decl->body)
      collect_macro_references(i, *symbols.macros[i].decl->body, symbols, graph);
  }
  CycleAnalysis cycles = find_cycles(graph);
  for (const Cycle& cycle : cycles.cycles) report_cycle("macro", cycle, decls, diagnostics);
  expansion.macro_order = std::move(cycles.order);
  expansion.macro_in_cycle = std::move(cycles.in_cycle);
  return expansion;
}

}  // namespace vigil
