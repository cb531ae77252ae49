#include "compiler/attack/coverage.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <tuple>

#include "compiler/message_text.h"

namespace vigil::attack {
namespace {

// Rules per covered technique id, sub-techniques included.
using RulesById = std::map<std::string_view, std::vector<CoveringRule>>;

bool has_tactic(const AttackTechnique& technique, std::string_view shortname) {
  return std::find(technique.tactics.begin(), technique.tactics.end(), shortname) !=
         technique.tactics.end();
}

std::vector<CoveringRule> rules_of(const RulesById& covered, std::string_view id) {
  auto found = covered.find(id);
  return found == covered.end() ? std::vector<CoveringRule>{} : found->second;
}

// The techniques of one tactic: each covered technique, and each technique
// with a covered sub-technique of this tactic, its sub-techniques under it.
TacticCoverage tactic_coverage(const AttackTactic& tactic, const RulesById& covered) {
  std::map<std::string_view, TechniqueCoverage> techniques;
  for (const auto& [id, rules] : covered) {
    const AttackTechnique* technique = find_technique(id);
    if (!has_tactic(*technique, tactic.shortname)) continue;
    const AttackTechnique* parent = parent_technique(*technique);
    const AttackTechnique& top = parent ? *parent : *technique;
    TechniqueCoverage& entry = techniques[top.id];
    if (entry.technique == nullptr) {
      entry.technique = &top;
      if (has_tactic(top, tactic.shortname)) entry.rules = rules_of(covered, top.id);
    }
    if (parent) entry.subtechniques.push_back({technique, rules, {}});
  }
  TacticCoverage out{&tactic, {}};
  for (auto& [id, technique] : techniques) out.techniques.push_back(std::move(technique));
  return out;
}

void collect_unknown(const ast::File& file, std::vector<UnknownTechniqueTag>& unknown) {
  for (const ast::Decl& decl : file.decls) {
    if (decl.kind != ast::DeclKind::Rule && decl.kind != ast::DeclKind::ExtendRule) continue;
    for (const ast::Clause& clause : decl.clauses) {
      if (clause.kind != ast::ClauseKind::Tags) continue;
      for (const ast::Identifier& tag : clause.words)
        if (is_technique_id(tag.text) && find_technique(tag.text) == nullptr)
          unknown.push_back({tag.text, decl.name.text, tag.range});
    }
  }
}

}  // namespace

Coverage build_coverage(const ir::PolicySet& policy, const std::vector<ast::File>& files) {
  Coverage coverage;
  RulesById covered;
  for (const ir::Rule& rule : policy.rules) {
    if (!rule.enabled) {
      coverage.disabled_rules.push_back(rule.name);
      continue;
    }
    bool covers = false;
    for (const std::string& tag : rule.tags) {
      const AttackTechnique* technique = is_technique_id(tag) ? find_technique(tag) : nullptr;
      if (technique == nullptr) continue;
      covered[technique->id].push_back({rule.name, rule.severity, rule.action, rule.mode});
      covers = true;
    }
    if (covers)
      ++coverage.rules_covering;
    else
      coverage.rules_without_techniques.push_back(rule.name);
  }
  for (const auto& [id, rules] : covered) {
    ++coverage.techniques_covered;
    if (find_technique(id)->is_subtechnique()) ++coverage.subtechniques_covered;
  }
  for (const AttackTactic& tactic : tactics()) {
    TacticCoverage entry = tactic_coverage(tactic, covered);
    if (!entry.techniques.empty()) coverage.tactics.push_back(std::move(entry));
  }
  for (const ast::File& file : files) collect_unknown(file, coverage.unknown);
  std::stable_sort(coverage.unknown.begin(), coverage.unknown.end(),
                   [](const UnknownTechniqueTag& a, const UnknownTechniqueTag& b) {
                     return std::tie(a.range.file, a.range.begin) <
                            std::tie(b.range.file, b.range.begin);
                   });
  return coverage;
}

void report_unknown_techniques(const Coverage& coverage, Diagnostics& diagnostics) {
  for (const UnknownTechniqueTag& tag : coverage.unknown) {
    Diagnostic& warning = diagnostics.warning(
        "unknown-attack-technique", tag.range,
        "rule " + quoted(tag.rule) + " is tagged " + quoted(tag.id) +
            ", which is not a Linux technique of MITRE ATT&CK v" + std::string(attack_version()));
    warning.hint =
        "the id may be mistyped, revoked, deprecated or for other platforms; it counts for no "
        "technique in `vigil coverage`";
  }
}

}  // namespace vigil::attack
