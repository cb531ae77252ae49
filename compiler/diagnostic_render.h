// Renders diagnostics for humans (text with source line and caret), for
// tools (JSON) and for code-scanning UIs (SARIF 2.1.0).
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/source.h"

namespace vigil {

struct RenderOptions {
  bool color = false;
};

// file:line:col: error: message
//   <source line>
//   ^~~~
//   hint: ...
//   file:line:col: note: related message
std::string render_text(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources,
                        const RenderOptions& options = {});
std::string render_json(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources);
std::string render_sarif(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources,
                         const std::string& tool_version);

}  // namespace vigil
