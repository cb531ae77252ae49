#include "compiler/attack/coverage_render.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>

namespace vigil::attack {
namespace {

// Keys in the documented order (docs/coverage.md), not sorted.
using json = nlohmann::ordered_json;

std::string dump(const json& document) {
  // Replace rather than throw on a path that is not UTF-8.
  return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string action_text(const CoveringRule& rule) {
  std::string text(action_name(rule.action));
  if (rule.action != Action::Alert && rule.mode == ir::Mode::Audit) text += " (audit)";
  return text;
}

std::string plural(size_t count, const std::string& word) {
  return std::to_string(count) + " " + word + (count == 1 ? "" : "s");
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::vector<std::string> rule_names(const std::vector<CoveringRule>& rules) {
  std::vector<std::string> names;
  for (const CoveringRule& rule : rules) names.push_back(rule.name);
  return names;
}

std::string summary(const Coverage& coverage) {
  return plural(coverage.techniques_covered, "technique") + " (" +
         plural(coverage.subtechniques_covered, "sub-technique") + ") across " +
         plural(coverage.tactics.size(), "tactic") + " from " +
         plural(coverage.rules_covering, "rule");
}

// ---- text --------------------------------------------------------------------

using TextRow = std::array<std::string, 5>;  // technique, name, rule, severity, action

void add_text_rows(const TechniqueCoverage& technique, const std::string& indent,
                   std::vector<TextRow>& rows) {
  TextRow first{indent + std::string(technique.technique->id),
                std::string(technique.technique->name), "", "", ""};
  if (technique.rules.empty()) rows.push_back(first);
  for (size_t i = 0; i < technique.rules.size(); ++i) {
    const CoveringRule& rule = technique.rules[i];
    TextRow row = i == 0 ? first : TextRow{};
    row[2] = rule.name;
    row[3] = std::string(severity_name(rule.severity));
    row[4] = action_text(rule);
    rows.push_back(row);
  }
  for (const TechniqueCoverage& sub : technique.subtechniques)
    add_text_rows(sub, indent + "  ", rows);
}

std::string format_row(const TextRow& row, const std::array<size_t, 5>& widths) {
  std::string line = "  ";
  for (size_t column = 0; column < row.size(); ++column) {
    line += row[column];
    if (column + 1 < row.size()) line += std::string(widths[column] - row[column].size() + 2, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

// ---- markdown ----------------------------------------------------------------

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|' || c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']')
      out += '\\';
    out += c;
  }
  return out;
}

std::string technique_url(std::string_view id) {
  std::string path(id);
  std::replace(path.begin(), path.end(), '.', '/');
  return "https://attack.mitre.org/techniques/" + path + "/";
}

void add_markdown_rows(const TechniqueCoverage& technique, bool sub, std::string& out) {
  const std::string id(technique.technique->id);
  std::string rules;
  for (const CoveringRule& rule : technique.rules)
    rules += (rules.empty() ? "" : "<br>") +
             ("`" + rule.name + "` (" + std::string(severity_name(rule.severity)) + ", " +
              action_text(rule) + ")");
  out += "| [" + id + "](" + technique_url(id) + ") | " + (sub ? "↳ " : "") +
         markdown_cell(technique.technique->name) + " | " + rules + " |\n";
  for (const TechniqueCoverage& child : technique.subtechniques)
    add_markdown_rows(child, true, out);
}

std::string markdown_names(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const std::string& name : names) quoted.push_back("`" + name + "`");
  return join(quoted, ", ");
}

// ---- json --------------------------------------------------------------------

json rules_json(const std::vector<CoveringRule>& rules) {
  json out = json::array();
  for (const CoveringRule& rule : rules)
    out.push_back({{"name", rule.name},
                   {"severity", severity_name(rule.severity)},
                   {"action", action_name(rule.action)},
                   {"mode", rule.mode == ir::Mode::Audit ? "audit" : "enforce"}});
  return out;
}

json technique_json(const TechniqueCoverage& technique) {
  json out = {{"id", technique.technique->id},
              {"name", technique.technique->name},
              {"rules", rules_json(technique.rules)}};
  if (!technique.technique->is_subtechnique()) {
    json subs = json::array();
    for (const TechniqueCoverage& sub : technique.subtechniques)
      subs.push_back(technique_json(sub));
    out["subtechniques"] = subs;
  }
  return out;
}

// ---- navigator ---------------------------------------------------------------

constexpr std::string_view kNavigatorVersion = "5.1.0";  // the Navigator release format 4.5 is from
constexpr std::string_view kLayerVersion = "4.5";

json navigator_entry(const TechniqueCoverage& technique, const AttackTactic& tactic) {
  json entry = {{"techniqueID", technique.technique->id},
                {"tactic", tactic.shortname},
                {"enabled", true},
                {"showSubtechniques", !technique.subtechniques.empty()}};
  if (!technique.rules.empty()) {
    entry["score"] = technique.rules.size();
    entry["comment"] = join(rule_names(technique.rules), ", ");
    json metadata = json::array();
    for (const CoveringRule& rule : technique.rules)
      metadata.push_back({{"name", "rule"},
                          {"value", rule.name + " (" + std::string(severity_name(rule.severity)) +
                                        ", " + action_text(rule) + ")"}});
    entry["metadata"] = metadata;
  }
  return entry;
}

}  // namespace

std::string render_coverage_text(const Coverage& coverage) {
  std::string out = "MITRE ATT&CK v" + std::string(attack_version()) + " coverage (Linux)\n";
  std::vector<std::pair<std::string, std::vector<TextRow>>> sections;
  std::array<size_t, 5> widths{};
  for (const TacticCoverage& tactic : coverage.tactics) {
    std::vector<TextRow> rows;
    for (const TechniqueCoverage& technique : tactic.techniques) add_text_rows(technique, "", rows);
    for (const TextRow& row : rows)
      for (size_t column = 0; column < row.size(); ++column)
        widths[column] = std::max(widths[column], row[column].size());
    sections.emplace_back(
        std::string(tactic.tactic->name) + " (" + std::string(tactic.tactic->id) + ")", rows);
  }
  for (const auto& [title, rows] : sections) {
    out += "\n" + title + "\n";
    for (const TextRow& row : rows) out += format_row(row, widths);
  }
  out += "\n" + summary(coverage) + "\n";
  if (!coverage.rules_without_techniques.empty())
    out +=
        "Rules with no ATT&CK technique: " + join(coverage.rules_without_techniques, ", ") + "\n";
  if (!coverage.disabled_rules.empty())
    out += "Disabled rules (they cover nothing): " + join(coverage.disabled_rules, ", ") + "\n";
  if (!coverage.unknown.empty()) {
    std::vector<std::string> unknown;
    for (const UnknownTechniqueTag& tag : coverage.unknown)
      unknown.push_back(tag.id + " (rule " + tag.rule + ")");
    out += "Not Linux techniques of ATT&CK v" + std::string(attack_version()) + ": " +
           join(unknown, ", ") + "\n";
  }
  return out;
}

std::string render_coverage_json(const Coverage& coverage, const SourceManager& sources) {
  json tactics = json::array();
  for (const TacticCoverage& tactic : coverage.tactics) {
    json techniques = json::array();
    for (const TechniqueCoverage& technique : tactic.techniques)
      techniques.push_back(technique_json(technique));
    tactics.push_back({{"id", tactic.tactic->id},
                       {"shortname", tactic.tactic->shortname},
                       {"name", tactic.tactic->name},
                       {"techniques", techniques}});
  }
  json unknown = json::array();
  for (const UnknownTechniqueTag& tag : coverage.unknown) {
    const SourceFile& file = sources.file(tag.range.file);
    LineColumn position = file.line_column(tag.range.begin);
    unknown.push_back({{"id", tag.id},
                       {"rule", tag.rule},
                       {"file", file.path()},
                       {"line", position.line},
                       {"column", position.column}});
  }
  json document = {{"attack_version", attack_version()},
                   {"domain", "enterprise-attack"},
                   {"platform", "Linux"},
                   {"tactics", tactics},
                   {"techniques_covered", coverage.techniques_covered},
                   {"subtechniques_covered", coverage.subtechniques_covered},
                   {"tactics_covered", coverage.tactics.size()},
                   {"rules_covering", coverage.rules_covering},
                   {"rules_without_techniques", coverage.rules_without_techniques},
                   {"disabled_rules", coverage.disabled_rules},
                   {"unknown", unknown}};
  return dump(document);
}

std::string render_coverage_markdown(const Coverage& coverage) {
  std::string out;
  for (const TacticCoverage& tactic : coverage.tactics) {
    out += "### " + std::string(tactic.tactic->name) + " (" + std::string(tactic.tactic->id) +
           ")\n\n| Technique | Name | Rules |\n| --- | --- | --- |\n";
    for (const TechniqueCoverage& technique : tactic.techniques)
      add_markdown_rows(technique, false, out);
    out += "\n";
  }
  out += "MITRE ATT&CK v" + std::string(attack_version()) + ", Linux: " + summary(coverage) + ".\n";
  if (!coverage.rules_without_techniques.empty())
    out +=
        "\nRules with no ATT&CK technique: " + markdown_names(coverage.rules_without_techniques) +
        ".\n";
  if (!coverage.disabled_rules.empty())
    out +=
        "\nDisabled rules (they cover nothing): " + markdown_names(coverage.disabled_rules) + ".\n";
  return out;
}

std::string render_coverage_navigator(const Coverage& coverage) {
  json techniques = json::array();
  size_t max_score = 0;
  for (const TacticCoverage& tactic : coverage.tactics) {
    for (const TechniqueCoverage& technique : tactic.techniques) {
      techniques.push_back(navigator_entry(technique, *tactic.tactic));
      max_score = std::max(max_score, technique.rules.size());
      for (const TechniqueCoverage& sub : technique.subtechniques) {
        techniques.push_back(navigator_entry(sub, *tactic.tactic));
        max_score = std::max(max_score, sub.rules.size());
      }
    }
  }
  const std::string version(attack_version());
  json layer = {
      {"name", "vigil rule coverage"},
      {"versions",
       {{"attack", version.substr(0, version.find('.'))},
        {"navigator", kNavigatorVersion},
        {"layer", kLayerVersion}}},
      {"domain", "enterprise-attack"},
      {"description", "MITRE ATT&CK techniques covered by enabled vigil rules: " +
                          summary(coverage) + ". Score: the number of rules."},
      {"filters", {{"platforms", json::array({"Linux"})}}},
      {"sorting", 3},  // by score, descending
      {"layout",
       {{"layout", "side"},
        {"showID", true},
        {"showName", true},
        {"showAggregateScores", true},
        {"countUnscored", false},
        {"aggregateFunction", "max"},
        {"expandedSubtechniques", "annotated"}}},
      {"hideDisabled", false},
      {"techniques", techniques},
      // From one rule (light) to the most rules on one technique (dark).
      {"gradient",
       {{"colors", json::array({"#c7e9c0", "#74c476", "#006d2c"})},
        {"minValue", 1},
        {"maxValue", std::max<size_t>(max_score, 2)}}},
      {"legendItems",
       json::array(
           {{{"label", "covered by one rule"}, {"color", "#c7e9c0"}},
            {{"label", "covered by " + std::to_string(std::max<size_t>(max_score, 2)) + " rules"},
             {"color", "#006d2c"}},
            {{"label", "not covered"}, {"color", "#ffffff"}}})},
      {"showTacticRowBackground", true},
      {"tacticRowBackground", "#dddddd"},
      {"selectTechniquesAcrossTactics", true},
      {"selectSubtechniquesWithParent", false},
      {"selectVisibleTechniques", false},
      {"metadata", json::array({{{"name", "generated by"}, {"value", "vigil coverage"}},
                                {{"name", "ATT&CK version"}, {"value", version}}})}};
  return dump(layer);
}

std::string render_catalog_json() {
  json tactic_list = json::array();
  for (const AttackTactic& tactic : tactics())
    tactic_list.push_back(
        {{"id", tactic.id}, {"shortname", tactic.shortname}, {"name", tactic.name}});
  json technique_list = json::array();
  for (const AttackTechnique& technique : techniques()) {
    json technique_tactics = json::array();
    for (std::string_view shortname : technique.tactics)
      if (!shortname.empty()) technique_tactics.push_back(shortname);
    technique_list.push_back(
        {{"id", technique.id}, {"name", technique.name}, {"tactics", technique_tactics}});
  }
  return dump({{"attack_version", attack_version()},
               {"domain", "enterprise-attack"},
               {"platform", "Linux"},
               {"tactics", tactic_list},
               {"techniques", technique_list}});
}

}  // namespace vigil::attack
