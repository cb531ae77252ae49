// Diagnostics: errors and warnings with a location, a stable code, an
// optional hint and related locations. Every pass reports into one
// Diagnostics object; renderers (text, JSON, SARIF) live in diagnostic_render.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/source.h"

namespace vigil {

enum class DiagnosticSeverity { Error, Warning };

// A secondary location ("previous definition here", a step of a cycle).
struct RelatedLocation {
  SourceRange range;
  std::string message;
};

struct Diagnostic {
  DiagnosticSeverity severity = DiagnosticSeverity::Error;
  // Stable kebab-case identifier, e.g. "unknown-field"; used as the SARIF ruleId.
  std::string code;
  SourceRange range;
  std::string message;
  std::optional<std::string> hint;  // e.g. "did you mean `process.exe`?"
  std::vector<RelatedLocation> related;
};

class Diagnostics {
 public:
  Diagnostic& error(std::string code, SourceRange range, std::string message);
  Diagnostic& warning(std::string code, SourceRange range, std::string message);

  const std::vector<Diagnostic>& all() const { return diagnostics_; }
  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  size_t warning_count() const { return diagnostics_.size() - error_count_; }

  // Deterministic order: by file path, then offset, then code and message.
  std::vector<Diagnostic> sorted(const SourceManager& sources) const;

 private:
  std::vector<Diagnostic> diagnostics_;
  size_t error_count_ = 0;
};

}  // namespace vigil
