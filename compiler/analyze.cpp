// The analysis pipeline, pass by pass. Each pass reports what it finds and
// keeps going, so one run shows every problem; later passes skip what an
// earlier pass already reported, so one mistake gives one error.
#include "compiler/analyze.h"

#include <exception>

#include "compiler/event_fields.h"
#include "compiler/expand.h"
#include "compiler/extensions.h"
#include "compiler/lint.h"
#include "compiler/lower.h"
#include "compiler/rule_clauses.h"
#include "compiler/symbols.h"
#include "compiler/typecheck.h"

namespace vigil {

std::optional<ir::PolicySet> analyze(const SourceManager& sources,
                                     const std::vector<ast::File>& files,
                                     Diagnostics& diagnostics) {
  try {
    const std::vector<const ast::File*> ordered = files_in_path_order(sources, files);
    SymbolTable symbols = collect_symbols(ordered, diagnostics);
    attach_extensions(ordered, symbols, diagnostics);
    const Expansion expansion = expand_lists_and_order_macros(symbols, diagnostics);
    const CheckedConditions conditions = typecheck(symbols, expansion, diagnostics);
    std::vector<RuleOutline> rules = check_rule_clauses(symbols, diagnostics);
    check_event_fields(rules, conditions, diagnostics);
    lint(symbols, rules, conditions, diagnostics);
    if (diagnostics.has_errors()) return std::nullopt;
    return lower(symbols, expansion, conditions, std::move(rules));
  } catch (const std::exception& exception) {
    // Only resource exhaustion can get here; report it rather than crash.
    const SourceRange where{files.empty() ? FileId{0} : files.front().file, 0, 0};
    diagnostics.error("internal-error", where, std::string("analysis failed: ") + exception.what());
    return std::nullopt;
  }
}

}  // namespace vigil
