#include "compiler/diagnostic_render.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace vigil {
namespace {

std::string_view severity_word(DiagnosticSeverity severity) {
  return severity == DiagnosticSeverity::Error ? "error" : "warning";
}

// Source files may hold arbitrary bytes; JSON output must be valid UTF-8.
std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80           ? 1
                    : (byte >> 5) == 0x6  ? 2
                    : (byte >> 4) == 0xE  ? 3
                    : (byte >> 3) == 0x1E ? 4
                                          : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (valid && byte == 0) valid = false;
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

// A printable copy of a source line for a terminal: tabs become one space so
// the caret lines up with the column count; control bytes become '?'.
std::string printable_line(std::string_view line) {
  std::string out = sanitize_utf8(line);
  for (char& c : out) {
    if (c == '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  }
  return out;
}

struct Position {
  std::string path;
  LineColumn begin;
  LineColumn end;
};

Position position_of(const SourceRange& range, const SourceManager& sources) {
  if (range.file >= sources.size()) return {"<unknown>", {}, {}};
  const SourceFile& file = sources.file(range.file);
  return {file.path(), file.line_column(range.begin), file.line_column(range.end)};
}

std::string location_prefix(const Position& p) {
  return p.path + ":" + std::to_string(p.begin.line) + ":" + std::to_string(p.begin.column);
}

}  // namespace

std::string render_text(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources,
                        const RenderOptions& options) {
  std::ostringstream out;
  const char* bold = options.color ? "\033[1m" : "";
  const char* reset = options.color ? "\033[0m" : "";
  for (const Diagnostic& d : diagnostics) {
    Position p = position_of(d.range, sources);
    const char* color = !options.color                            ? ""
                        : d.severity == DiagnosticSeverity::Error ? "\033[1;31m"
                                                                  : "\033[1;35m";
    out << bold << location_prefix(p) << ": " << reset << color << severity_word(d.severity) << ": "
        << reset << bold << sanitize_utf8(d.message) << reset << "\n";
    if (d.range.file < sources.size()) {
      const SourceFile& file = sources.file(d.range.file);
      std::string line = printable_line(file.line_text(p.begin.line));
      out << "  " << line << "\n  " << std::string(p.begin.column - 1, ' ') << "^";
      // Underline to the end of the range when it stays on this line.
      if (p.end.line == p.begin.line && p.end.column > p.begin.column + 1)
        out << std::string(p.end.column - p.begin.column - 1, '~');
      out << "\n";
    }
    if (d.hint) out << "  hint: " << sanitize_utf8(*d.hint) << "\n";
    for (const RelatedLocation& related : d.related) {
      out << "  " << location_prefix(position_of(related.range, sources))
          << ": note: " << sanitize_utf8(related.message) << "\n";
    }
  }
  return out.str();
}

namespace {

nlohmann::json location_json(const SourceRange& range, const SourceManager& sources) {
  Position p = position_of(range, sources);
  return {{"file", sanitize_utf8(p.path)},
          {"line", p.begin.line},
          {"column", p.begin.column},
          {"end_line", p.end.line},
          {"end_column", p.end.column}};
}

}  // namespace

std::string render_json(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources) {
  nlohmann::json list = nlohmann::json::array();
  for (const Diagnostic& d : diagnostics) {
    nlohmann::json entry = {{"severity", severity_word(d.severity)},
                            {"code", d.code},
                            {"message", sanitize_utf8(d.message)},
                            {"location", location_json(d.range, sources)}};
    if (d.hint) entry["hint"] = sanitize_utf8(*d.hint);
    if (!d.related.empty()) {
      nlohmann::json related = nlohmann::json::array();
      for (const RelatedLocation& r : d.related)
        related.push_back(
            {{"message", sanitize_utf8(r.message)}, {"location", location_json(r.range, sources)}});
      entry["related"] = related;
    }
    list.push_back(entry);
  }
  size_t errors = 0;
  for (const Diagnostic& d : diagnostics) errors += d.severity == DiagnosticSeverity::Error;
  nlohmann::json root = {
      {"diagnostics", list}, {"errors", errors}, {"warnings", diagnostics.size() - errors}};
  return root.dump(2) + "\n";
}

namespace {

// SARIF artifact locations are URIs; policy paths are usually relative to the
// repository root, which is what code-scanning UIs expect.
std::string path_to_uri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : sanitize_utf8(path)) {
    bool unreserved = std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

nlohmann::json sarif_region(const SourceRange& range, const SourceManager& sources) {
  Position p = position_of(range, sources);
  nlohmann::json region = {{"startLine", p.begin.line}, {"startColumn", p.begin.column}};
  if (p.end.line > p.begin.line || p.end.column > p.begin.column) {
    region["endLine"] = p.end.line;
    region["endColumn"] = p.end.column;
  }
  return {{"artifactLocation", {{"uri", path_to_uri(p.path)}}}, {"region", region}};
}

}  // namespace

std::string render_sarif(const std::vector<Diagnostic>& diagnostics, const SourceManager& sources,
                         const std::string& tool_version) {
  std::set<std::string> rule_ids;
  for (const Diagnostic& d : diagnostics) rule_ids.insert(d.code);
  nlohmann::json rules = nlohmann::json::array();
  for (const std::string& id : rule_ids) rules.push_back({{"id", id}});

  nlohmann::json results = nlohmann::json::array();
  for (const Diagnostic& d : diagnostics) {
    std::string text = sanitize_utf8(d.message);
    if (d.hint) text += " (hint: " + sanitize_utf8(*d.hint) + ")";
    nlohmann::json result = {
        {"ruleId", d.code},
        {"level", severity_word(d.severity)},
        {"message", {{"text", text}}},
        {"locations",
         nlohmann::json::array({{{"physicalLocation", sarif_region(d.range, sources)}}})}};
    if (!d.related.empty()) {
      nlohmann::json related = nlohmann::json::array();
      int id = 0;
      for (const RelatedLocation& r : d.related)
        related.push_back({{"id", id++},
                           {"message", {{"text", sanitize_utf8(r.message)}}},
                           {"physicalLocation", sarif_region(r.range, sources)}});
      result["relatedLocations"] = related;
    }
    results.push_back(result);
  }
  nlohmann::json root = {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       nlohmann::json::array({{
           {"tool", {{"driver", {{"name", "vigil"}, {"version", tool_version}, {"rules", rules}}}}},
           {"columnKind", "unicodeCodePoints"},
           {"results", results},
       }})}};
  return root.dump(2) + "\n";
}

}  // namespace vigil
