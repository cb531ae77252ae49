#include "compiler/lint.h"

#include "compiler/message_text.h"
#include "compiler/suggest.h"

namespace vigil {
namespace {

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

void lint_unused(const SymbolTable& symbols, Diagnostics& diagnostics) {
  for (const ListSymbol& list : symbols.lists)
    if (!list.used)
      diagnostics.warning("unused-list", list.decl->name.range,
                          "list " + quoted(list.decl->name.text) + " is never used");
  for (const MacroSymbol& macro : symbols.macros)
    if (!macro.used)
      diagnostics.warning("unused-macro", macro.decl->name.range,
                          "macro " + quoted(macro.decl->name.text) + " is never used");
}

void lint_constant(const RuleOutline& outline, const CheckedConditions& conditions,
                   Diagnostics& diagnostics) {
  const std::string rule = quoted(outline.rule.name);
  auto constant_of = [&](const ast::Expr* expr) -> std::optional<bool> {
    auto it = conditions.conditions.find(expr);
    if (it == conditions.conditions.end() || !it->second.valid) return std::nullopt;
    return it->second.constant;
  };
  if (outline.when) {
    if (auto constant = constant_of(outline.when)) {
      Diagnostic& warning = diagnostics.warning(
          "constant-condition", outline.when->range,
          *constant
              ? "the `when` condition of rule " + rule + " is always true"
              : "the `when` condition of rule " + rule + " is always false: it never matches");
      if (*constant) warning.hint = "without `when`, a rule matches every event it is `on`";
    }
  }
  for (size_t i = 0; i < outline.step_whens.size(); ++i) {
    const ast::Expr* when = outline.step_whens[i];
    if (when == nullptr) continue;
    if (auto constant = constant_of(when)) {
      const std::string step = "the `when` of step " + std::to_string(i + 1) + " of rule " + rule;
      Diagnostic& warning =
          diagnostics.warning("constant-condition", when->range,
                              *constant ? step + " is always true"
                                        : step + " is always false: the sequence never completes");
      if (*constant) warning.hint = "without `when`, a step matches every event it names";
    }
  }
  for (const ast::Expr* except : outline.excepts) {
    if (auto constant = constant_of(except)) {
      diagnostics.warning(
          "constant-condition", except->range,
          *constant
              ? "this `except` of rule " + rule + " is always true: the rule never matches"
              : "this `except` of rule " + rule + " is always false: it never suppresses anything");
    }
  }
}

void lint_user_space(const RuleOutline& outline, const CheckedConditions& conditions,
                     Diagnostics& diagnostics) {
  std::vector<const ast::Expr*> exprs;
  if (outline.when) exprs.push_back(outline.when);
  for (const ast::Expr* when : outline.step_whens)
    if (when) exprs.push_back(when);
  exprs.insert(exprs.end(), outline.excepts.begin(), outline.excepts.end());
  for (const ast::Expr* expr : exprs) {
    auto it = conditions.conditions.find(expr);
    if (it == conditions.conditions.end() || !it->second.valid || !it->second.user_space) continue;
    const UserSpaceUse& use = *it->second.user_space;
    const SourceRange where = use.site.via ? *use.site.via : use.site.range;
    std::string message =
        "rule " + quoted(outline.rule.name) + " is evaluated in user space because of " + use.what;
    if (use.site.via) message += " in macro " + quoted(use.site.via_macro);
    if (outline.rule.threshold) {
      // The kernel counts the events of a threshold rule; it can only count
      // the events it can decide.
      Diagnostic& error = diagnostics.error(
          "threshold-needs-kernel", where,
          "rule " + quoted(outline.rule.name) +
              " has a `threshold`, whose events are counted in the kernel, but it depends on " +
              use.what +
              (use.site.via ? " in macro " + quoted(use.site.via_macro) : std::string()) +
              ", which only user space can evaluate");
      error.hint =
          "test only fields computed in the kernel (see docs/fields.md), or remove the "
          "threshold";
      if (use.site.via) error.related.push_back({use.site.range, use.what + " is used here"});
      return;
    }
    if (outline.rule.action != Action::Alert) {
      // kill and deny act synchronously in the kernel; a rule the kernel
      // cannot decide would silently degrade to a late alert.
      std::string action(action_name(outline.rule.action));
      Diagnostic& error = diagnostics.error(
          "action-needs-kernel", where,
          "rule " + quoted(outline.rule.name) + " has action " + quoted(action) +
              ", which must be decided in the kernel, but it depends on " + use.what +
              (use.site.via ? " in macro " + quoted(use.site.via_macro) : std::string()) +
              ", which only user space can evaluate");
      error.hint =
          "use `action alert`, or test only fields computed in the kernel (see "
          "docs/fields.md)";
      if (use.site.via) error.related.push_back({use.site.range, use.what + " is used here"});
      return;
    }
    Diagnostic& warning = diagnostics.warning("user-space-evaluation", where, message);
    warning.hint =
        "the kernel cannot decide this test, so candidate events are copied to user space";
    if (use.site.via) warning.related.push_back({use.site.range, use.what + " is used here"});
    return;  // once per rule
  }
}

void lint_tags(const ast::Decl& decl, Diagnostics& diagnostics) {
  for (const ast::Clause& clause : decl.clauses) {
    if (clause.kind != ast::ClauseKind::Tags) continue;
    for (const ast::Identifier& tag : clause.words) {
      auto problem = attack_tag_problem(tag.text);
      if (!problem) continue;
      Diagnostic& warning = diagnostics.warning("malformed-attack-tag", tag.range,
                                                "tag " + quoted(tag.text) + " " + problem->message);
      warning.hint = problem->fix ? did_you_mean(*problem->fix)
                                  : "ATT&CK ids look like `T1059` or `T1059.004`";
    }
  }
}

}  // namespace

std::optional<AttackTagProblem> attack_tag_problem(std::string_view tag) {
  if (tag.size() < 2 || (tag[0] != 'T' && tag[0] != 't')) return std::nullopt;
  std::string_view rest = tag.substr(1);
  const size_t dot = rest.find('.');
  std::string_view technique = rest.substr(0, dot);
  std::optional<std::string_view> sub;
  if (dot != std::string_view::npos) sub = rest.substr(dot + 1);
  // Only tags shaped like T<digits>[.<digits>] are taken for ATT&CK ids.
  if (!all_digits(technique) || (sub && !sub->empty() && !all_digits(*sub))) return std::nullopt;
  const bool upper = tag[0] == 'T';
  const bool technique_ok = technique.size() == 4;
  const bool sub_ok = !sub || sub->size() == 3;
  if (upper && technique_ok && sub_ok) return std::nullopt;

  AttackTagProblem problem;
  if (!technique_ok) {
    problem.message = "looks like an ATT&CK technique id, but technique ids have four digits";
    return problem;
  }
  std::string fix = "T" + std::string(technique);
  if (sub && !sub->empty()) {
    if (sub->size() > 3) {
      problem.message = "looks like an ATT&CK id, but sub-technique ids have three digits";
      return problem;
    }
    fix += "." + std::string(3 - sub->size(), '0') + std::string(*sub);
  }
  if (!upper)
    problem.message = "looks like an ATT&CK id, but ATT&CK ids start with an upper-case `T`";
  else if (sub && sub->empty())
    problem.message = "looks like an ATT&CK id, but ends with a `.`";
  else
    problem.message = "looks like an ATT&CK id, but sub-technique ids have three digits";
  problem.fix = fix;
  return problem;
}

// A deny is decided again in the deny hook (cgroup or LSM), which sees each
// call a second time: a threshold or sequence there would count it twice.
void lint_stateful_deny(const RuleOutline& outline, Diagnostics& diagnostics) {
  const ir::Rule& rule = outline.rule;
  if (rule.action != Action::Deny || !(rule.threshold || rule.sequence)) return;
  Diagnostic& error = diagnostics.error(
      "stateful-deny", rule.action_range,
      "rule " + quoted(rule.name) + " has `action deny` and a " +
          (rule.threshold ? "`threshold`" : "`sequence`") +
          ", which vigil cannot enforce: the deny hook sees each call a second time");
  error.hint = "use `action kill` to stop the process at the event that fires the rule";
}

void lint(const SymbolTable& symbols, const std::vector<RuleOutline>& rules,
          const CheckedConditions& conditions, Diagnostics& diagnostics) {
  lint_unused(symbols, diagnostics);
  for (const RuleOutline& outline : rules) {
    lint_constant(outline, conditions, diagnostics);
    lint_user_space(outline, conditions, diagnostics);
    lint_stateful_deny(outline, diagnostics);
  }
  for (const RuleSymbol& rule : symbols.rules) {
    lint_tags(*rule.decl, diagnostics);
    for (const ast::Decl* modifier : rule.modifiers) lint_tags(*modifier, diagnostics);
  }
}

}  // namespace vigil
