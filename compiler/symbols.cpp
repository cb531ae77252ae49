#include "compiler/symbols.h"

#include <algorithm>
#include <optional>
#include <string>

namespace vigil {

std::string_view symbol_kind_name(SymbolKind kind) {
  switch (kind) {
    case SymbolKind::Rule: return "rule";
    case SymbolKind::List: return "list";
    case SymbolKind::Macro: return "macro";
  }
  return "name";
}

const SymbolRef* SymbolTable::find(std::string_view name) const {
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &it->second;
}

std::vector<std::string_view> SymbolTable::names(SymbolKind kind) const {
  std::vector<std::string_view> out;
  auto add = [&](const auto& symbols) {
    out.reserve(symbols.size());
    for (const auto& symbol : symbols) out.push_back(symbol.decl->name.text);
  };
  switch (kind) {
    case SymbolKind::Rule: add(rules); break;
    case SymbolKind::List: add(lists); break;
    case SymbolKind::Macro: add(macros); break;
  }
  return out;
}

const ast::Decl& SymbolTable::decl(SymbolRef ref) const {
  switch (ref.kind) {
    case SymbolKind::Rule: return *rules[ref.index].decl;
    case SymbolKind::List: return *lists[ref.index].decl;
    case SymbolKind::Macro: return *macros[ref.index].decl;
  }
  return *rules[ref.index].decl;
}

std::vector<const ast::File*> files_in_path_order(const SourceManager& sources,
                                                  const std::vector<ast::File>& files) {
  std::vector<const ast::File*> ordered;
  ordered.reserve(files.size());
  for (const ast::File& file : files) ordered.push_back(&file);
  auto path_of = [&](const ast::File* file) -> std::string_view {
    return file->file < sources.size() ? std::string_view(sources.file(file->file).path())
                                       : std::string_view();
  };
  std::stable_sort(ordered.begin(), ordered.end(),
                   [&](const ast::File* a, const ast::File* b) { return path_of(a) < path_of(b); });
  return ordered;
}

namespace {

std::optional<SymbolKind> defined_kind(ast::DeclKind kind) {
  switch (kind) {
    case ast::DeclKind::Rule: return SymbolKind::Rule;
    case ast::DeclKind::List: return SymbolKind::List;
    case ast::DeclKind::Macro: return SymbolKind::Macro;
    default: return std::nullopt;
  }
}

std::string duplicate_hint(SymbolKind previous, SymbolKind current) {
  if (previous == SymbolKind::Rule && current == SymbolKind::Rule)
    return "to change a rule defined elsewhere, use `extend rule NAME { ... }` or "
           "`disable rule NAME`";
  if (previous == SymbolKind::List && current == SymbolKind::List)
    return "to add items to a list defined elsewhere, use `extend list NAME [ ... ]`";
  return "rules, lists and macros share one namespace across all policy files; rename one";
}

}  // namespace

SymbolTable collect_symbols(const std::vector<const ast::File*>& files, Diagnostics& diagnostics) {
  SymbolTable table;
  for (const ast::File* file : files)
    table.unparsed.insert(file->unparsed_names.begin(), file->unparsed_names.end());
  for (const ast::File* file : files) {
    for (const ast::Decl& decl : file->decls) {
      std::optional<SymbolKind> kind = defined_kind(decl.kind);
      if (!kind || decl.name.text.empty()) continue;
      if (const SymbolRef* previous = table.find(decl.name.text)) {
        const ast::Decl& first = table.decl(*previous);
        std::string message = "`" + decl.name.text + "` is already defined";
        if (previous->kind != *kind)
          message += " as a " + std::string(symbol_kind_name(previous->kind));
        Diagnostic& error = diagnostics.error("duplicate-definition", decl.name.range, message);
        error.hint = duplicate_hint(previous->kind, *kind);
        error.related.push_back({first.name.range, "previous definition here"});
        table.orphans.push_back(&decl);
        continue;
      }
      SymbolRef ref{*kind, 0};
      switch (*kind) {
        case SymbolKind::Rule:
          ref.index = static_cast<uint32_t>(table.rules.size());
          table.rules.push_back(RuleSymbol{&decl, {}});
          break;
        case SymbolKind::List:
          ref.index = static_cast<uint32_t>(table.lists.size());
          table.lists.push_back(ListSymbol{&decl, {}, false});
          break;
        case SymbolKind::Macro:
          ref.index = static_cast<uint32_t>(table.macros.size());
          table.macros.push_back(MacroSymbol{&decl, false});
          break;
      }
      table.by_name.emplace(decl.name.text, ref);
    }
  }
  return table;
}

}  // namespace vigil
