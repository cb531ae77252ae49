// The output formats of `vigil coverage` (docs/coverage.md): a text table,
// JSON, Markdown tables, and an ATT&CK Navigator layer; and the embedded
// catalog as JSON, for scripts/render-coverage.
#pragma once

#include <string>

#include "compiler/attack/coverage.h"
#include "compiler/source.h"

namespace vigil::attack {

// Tactic by tactic, an aligned table of techniques, sub-techniques and the
// rules covering them; then a summary line and the rules covering nothing.
std::string render_coverage_text(const Coverage& coverage);

// The JSON document of docs/coverage.md; `sources` locate unknown tags.
std::string render_coverage_json(const Coverage& coverage, const SourceManager& sources);

// One table per tactic, and the summary, for documentation.
std::string render_coverage_markdown(const Coverage& coverage);

// An ATT&CK Navigator layer (layer format 4.5), Linux platform: one entry per
// covered technique and tactic, scored by its number of rules.
std::string render_coverage_navigator(const Coverage& coverage);

// The embedded catalog: {attack_version, tactics, techniques}.
std::string render_catalog_json();

}  // namespace vigil::attack
