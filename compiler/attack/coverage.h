// Which MITRE ATT&CK techniques a policy set covers: every enabled rule's
// tags that are Linux techniques of the catalog (catalog.h), grouped tactic ->
// technique -> sub-technique -> rules. `vigil coverage` renders it
// (coverage_render.h); docs/coverage.md describes the output.
#pragma once

#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/attack/catalog.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"

namespace vigil::attack {

// A rule as the coverage report names it.
struct CoveringRule {
  std::string name;
  Severity severity = Severity::Medium;
  Action action = Action::Alert;
  ir::Mode mode = ir::Mode::Enforce;
};

struct TechniqueCoverage {
  const AttackTechnique* technique = nullptr;
  // The enabled rules tagged with exactly this id, by name. Empty for a
  // technique listed only because some of its sub-techniques are covered.
  std::vector<CoveringRule> rules;
  std::vector<TechniqueCoverage> subtechniques;  // the covered ones, by id
};

struct TacticCoverage {
  const AttackTactic* tactic = nullptr;
  std::vector<TechniqueCoverage> techniques;  // by id
};

// A well-formed technique id that the catalog does not have (not in ATT&CK,
// revoked, deprecated, or not for Linux), where a rule or extension tags it.
struct UnknownTechniqueTag {
  std::string id;
  std::string rule;
  SourceRange range;
};

struct Coverage {
  std::vector<TacticCoverage> tactics;  // kill-chain order; only tactics with coverage
  size_t techniques_covered = 0;        // distinct ids tagged, sub-techniques included
  size_t subtechniques_covered = 0;     // how many of those are sub-techniques
  size_t rules_covering = 0;            // enabled rules with at least one catalog technique
  std::vector<std::string> rules_without_techniques;  // enabled rules covering none, by name
  std::vector<std::string> disabled_rules;            // cover nothing, whatever their tags; by name
  std::vector<UnknownTechniqueTag> unknown;           // in file order
};

// Builds the coverage of an analysed policy set. `files` are its syntax
// trees, where the tags are written (the IR keeps no tag positions).
Coverage build_coverage(const ir::PolicySet& policy, const std::vector<ast::File>& files);

// A warning (code unknown-attack-technique) for each unknown technique tag.
void report_unknown_techniques(const Coverage& coverage, Diagnostics& diagnostics);

}  // namespace vigil::attack
