#include "compiler/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace vigil {

Diagnostic& Diagnostics::error(std::string code, SourceRange range, std::string message) {
  ++error_count_;
  return diagnostics_.emplace_back(Diagnostic{
      DiagnosticSeverity::Error, std::move(code), range, std::move(message), std::nullopt, {}});
}

Diagnostic& Diagnostics::warning(std::string code, SourceRange range, std::string message) {
  return diagnostics_.emplace_back(Diagnostic{
      DiagnosticSeverity::Warning, std::move(code), range, std::move(message), std::nullopt, {}});
}

std::vector<Diagnostic> Diagnostics::sorted(const SourceManager& sources) const {
  std::vector<Diagnostic> out = diagnostics_;
  auto key = [&](const Diagnostic& d) {
    const std::string& path =
        d.range.file < sources.size() ? sources.file(d.range.file).path() : d.message;
    return std::tie(path, d.range.begin, d.code, d.message);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  return out;
}

}  // namespace vigil
