#include "compiler/extensions.h"

#include <string>

#include "compiler/suggest.h"

namespace vigil {
namespace {

std::string_view declaration_form(ast::DeclKind kind) {
  switch (kind) {
    case ast::DeclKind::ExtendRule: return "extend rule";
    case ast::DeclKind::DisableRule: return "disable rule";
    case ast::DeclKind::ExtendList: return "extend list";
    default: return "";
  }
}

}  // namespace

void attach_extensions(const std::vector<const ast::File*>& files, SymbolTable& symbols,
                       Diagnostics& diagnostics) {
  NameSuggester rule_names(symbols.names(SymbolKind::Rule));
  NameSuggester list_names(symbols.names(SymbolKind::List));
  for (const ast::File* file : files) {
    for (const ast::Decl& decl : file->decls) {
      const bool targets_rule =
          decl.kind == ast::DeclKind::ExtendRule || decl.kind == ast::DeclKind::DisableRule;
      if (!targets_rule && decl.kind != ast::DeclKind::ExtendList) continue;
      const SymbolKind wanted = targets_rule ? SymbolKind::Rule : SymbolKind::List;
      const std::string_view wanted_name = symbol_kind_name(wanted);
      const SymbolRef* target = symbols.find(decl.name.text);
      if (target == nullptr && symbols.unparsed.contains(decl.name.text)) {
        symbols.orphans.push_back(&decl);
        continue;
      }
      if (target == nullptr) {
        Diagnostic& error = diagnostics.error(
            targets_rule ? "unknown-rule" : "unknown-list", decl.name.range,
            "`" + std::string(declaration_form(decl.kind)) + "` names an unknown " +
                std::string(wanted_name) + " `" + decl.name.text + "`");
        NameSuggester& names = targets_rule ? rule_names : list_names;
        if (auto suggestion = names.suggest(decl.name.text)) error.hint = did_you_mean(*suggestion);
        symbols.orphans.push_back(&decl);
        continue;
      }
      if (target->kind != wanted) {
        if (target->kind == SymbolKind::List) symbols.lists[target->index].used = true;
        if (target->kind == SymbolKind::Macro) symbols.macros[target->index].used = true;
        symbols.orphans.push_back(&decl);
        Diagnostic& error = diagnostics.error("wrong-kind", decl.name.range,
                                              "`" + decl.name.text + "` is a " +
                                                  std::string(symbol_kind_name(target->kind)) +
                                                  ", not a " + std::string(wanted_name));
        error.related.push_back(
            {symbols.decl(*target).name.range, "`" + decl.name.text + "` is defined here"});
        continue;
      }
      if (targets_rule)
        symbols.rules[target->index].modifiers.push_back(&decl);
      else
        symbols.lists[target->index].extensions.push_back(&decl);
    }
  }
}

}  // namespace vigil
