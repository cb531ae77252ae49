// `vigil coverage`: building the ATT&CK coverage of a policy set
// (compiler/attack/coverage.h) and rendering it (coverage_render.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/attack/coverage.h"
#include "compiler/attack/coverage_render.h"
#include "compiler/frontend.h"

namespace vigil::attack {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Line 27, column 9: T9999, a well-formed id that is not in ATT&CK.
constexpr const char* kRules = R"(# rules
rule reverse_shell {
  on exec
  when process.exe == "/bin/sh"
  tags [T1059.004, webshell]
  severity critical
  action kill
}
rule cron_edit {
  on file.open
  when file.path startswith "/etc/cron"
  tags [T1053.003]
}
rule free_tags_only {
  on exec
  when process.exe == "/bin/true"
  tags [noise]
}
rule old_rule {
  on exec
  when process.exe == "/bin/false"
  tags [T1059, T1070.002]
}
rule sudo_use {
  on exec
  when process.exe == "/usr/bin/sudo"
  tags [T9999, T1548.003]
  severity low
}
rule untagged {
  on exec
  when process.exe == "/bin/ls"
}
)";

// Loaded after a.vigil (file-path order). Line 4, column 15: T1547.001, a
// Windows-only sub-technique.
constexpr const char* kModifiers = R"(disable rule old_rule

extend rule free_tags_only {
  tags [T1059, T1547.001]
}
)";

class PolicyDir {
 public:
  PolicyDir() {
    path_ = fs::temp_directory_path() / ("vigil-coverage-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~PolicyDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

class CoverageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("a.vigil", kRules);
    dir_.write("b.vigil", kModifiers);
    front_end_ = run_front_end({dir_.path()});
    ASSERT_TRUE(front_end_.io_errors.empty());
    ASSERT_TRUE(front_end_.policy.has_value()) << "the test policy has errors";
    coverage_ = build_coverage(*front_end_.policy, front_end_.files);
  }

  const TacticCoverage* tactic(std::string_view shortname) const {
    for (const TacticCoverage& entry : coverage_.tactics)
      if (entry.tactic->shortname == shortname) return &entry;
    return nullptr;
  }

  static std::vector<std::string> ids(const std::vector<TechniqueCoverage>& techniques) {
    std::vector<std::string> out;
    for (const TechniqueCoverage& technique : techniques) out.emplace_back(technique.technique->id);
    return out;
  }

  static std::vector<std::string> names(const std::vector<CoveringRule>& rules) {
    std::vector<std::string> out;
    for (const CoveringRule& rule : rules) out.push_back(rule.name);
    return out;
  }

  std::string position(const SourceRange& range) const {
    const SourceFile& file = front_end_.sources.file(range.file);
    LineColumn at = file.line_column(range.begin);
    return fs::path(file.path()).filename().string() + ":" + std::to_string(at.line) + ":" +
           std::to_string(at.column);
  }

  PolicyDir dir_;
  FrontEndResult front_end_;
  Coverage coverage_;
};

using Strings = std::vector<std::string>;

TEST_F(CoverageTest, GroupsTechniquesByTacticInKillChainOrder) {
  Strings tactics;
  for (const TacticCoverage& entry : coverage_.tactics) tactics.emplace_back(entry.tactic->id);
  // T1070.002 (defense evasion) is only on the disabled rule; T1548.003 is
  // also defense evasion, so the tactic stays.
  EXPECT_EQ(tactics, (Strings{"TA0002", "TA0003", "TA0004", "TA0005"}));

  const TacticCoverage* execution = tactic("execution");
  ASSERT_NE(execution, nullptr);
  ASSERT_EQ(ids(execution->techniques), (Strings{"T1053", "T1059"}));
  // T1053 is listed for its covered sub-technique only.
  const TechniqueCoverage& scheduled = execution->techniques[0];
  EXPECT_TRUE(scheduled.rules.empty());
  EXPECT_EQ(ids(scheduled.subtechniques), Strings{"T1053.003"});
  EXPECT_EQ(names(scheduled.subtechniques[0].rules), Strings{"cron_edit"});
  // T1059 directly (from the extension), T1059.004 under it.
  const TechniqueCoverage& interpreter = execution->techniques[1];
  EXPECT_EQ(names(interpreter.rules), Strings{"free_tags_only"});
  ASSERT_EQ(ids(interpreter.subtechniques), Strings{"T1059.004"});
  const CoveringRule& shell = interpreter.subtechniques[0].rules.at(0);
  EXPECT_EQ(shell.name, "reverse_shell");
  EXPECT_EQ(shell.severity, Severity::Critical);
  EXPECT_EQ(shell.action, Action::Kill);

  // A technique of several tactics is under each of them.
  for (std::string_view name : {"persistence", "privilege-escalation"}) {
    const TacticCoverage* entry = tactic(name);
    ASSERT_NE(entry, nullptr) << name;
    EXPECT_EQ(ids(entry->techniques).front(), "T1053") << name;
  }
  EXPECT_EQ(ids(tactic("privilege-escalation")->techniques), (Strings{"T1053", "T1548"}));
  EXPECT_EQ(ids(tactic("defense-evasion")->techniques), Strings{"T1548"});
}

TEST_F(CoverageTest, DisabledRulesCoverNothing) {
  EXPECT_EQ(coverage_.disabled_rules, Strings{"old_rule"});
  EXPECT_EQ(find_technique("T1070.002") != nullptr, true);
  for (const TacticCoverage& entry : coverage_.tactics)
    for (const TechniqueCoverage& technique : entry.techniques) {
      EXPECT_NE(technique.technique->id, "T1070");
      for (const CoveringRule& rule : technique.rules) EXPECT_NE(rule.name, "old_rule");
    }
}

TEST_F(CoverageTest, CountsAndRulesWithoutTechniques) {
  EXPECT_EQ(coverage_.techniques_covered, 4u);  // T1053.003, T1059, T1059.004, T1548.003
  EXPECT_EQ(coverage_.subtechniques_covered, 3u);
  EXPECT_EQ(coverage_.rules_covering, 4u);
  // free_tags_only covers T1059 through its extension; sudo_use's T9999
  // alone would not count, but it also has T1548.003.
  EXPECT_EQ(coverage_.rules_without_techniques, Strings{"untagged"});
}

TEST_F(CoverageTest, UnknownIdsAreWarnedWhereTheTagIsWritten) {
  ASSERT_EQ(coverage_.unknown.size(), 2u);
  EXPECT_EQ(coverage_.unknown[0].id, "T9999");
  EXPECT_EQ(coverage_.unknown[0].rule, "sudo_use");
  EXPECT_EQ(position(coverage_.unknown[0].range), "a.vigil:27:9");
  EXPECT_EQ(coverage_.unknown[1].id, "T1547.001");
  EXPECT_EQ(coverage_.unknown[1].rule, "free_tags_only");
  EXPECT_EQ(position(coverage_.unknown[1].range), "b.vigil:4:16");

  Diagnostics diagnostics;
  report_unknown_techniques(coverage_, diagnostics);
  ASSERT_EQ(diagnostics.all().size(), 2u);
  const Diagnostic& warning = diagnostics.all()[0];
  EXPECT_EQ(warning.severity, DiagnosticSeverity::Warning);
  EXPECT_EQ(warning.code, "unknown-attack-technique");
  EXPECT_EQ(position(warning.range), "a.vigil:27:9");
  EXPECT_EQ(warning.message,
            "rule `sudo_use` is tagged `T9999`, which is not a Linux technique "
            "of MITRE ATT&CK v" +
                std::string(attack_version()));
  // Free tags (`webshell`, `noise`) are no ATT&CK ids: no warning.
  for (const Diagnostic& d : diagnostics.all())
    EXPECT_EQ(d.message.find("noise"), std::string::npos);
}

TEST_F(CoverageTest, JsonFollowsTheDocumentedSchema) {
  json document = json::parse(render_coverage_json(coverage_, front_end_.sources));
  EXPECT_EQ(document["attack_version"], std::string(attack_version()));
  EXPECT_EQ(document["techniques_covered"], 4);
  EXPECT_EQ(document["subtechniques_covered"], 3);
  EXPECT_EQ(document["tactics_covered"], 4);
  EXPECT_EQ(document["rules_covering"], 4);
  EXPECT_EQ(document["rules_without_techniques"], json::array({"untagged"}));
  EXPECT_EQ(document["disabled_rules"], json::array({"old_rule"}));
  ASSERT_EQ(document["tactics"].size(), 4u);
  const json& execution = document["tactics"][0];
  EXPECT_EQ(execution["id"], "TA0002");
  EXPECT_EQ(execution["shortname"], "execution");
  EXPECT_EQ(execution["name"], "Execution");
  const json& interpreter = execution["techniques"][1];
  EXPECT_EQ(interpreter["id"], "T1059");
  EXPECT_EQ(interpreter["name"], "Command and Scripting Interpreter");
  EXPECT_EQ(interpreter["rules"][0]["name"], "free_tags_only");
  const json& shell = interpreter["subtechniques"][0];
  EXPECT_EQ(shell["id"], "T1059.004");
  EXPECT_EQ(shell["rules"][0], json({{"name", "reverse_shell"},
                                     {"severity", "critical"},
                                     {"action", "kill"},
                                     {"mode", "enforce"}}));
  ASSERT_EQ(document["unknown"].size(), 2u);
  const json& unknown = document["unknown"][0];
  EXPECT_EQ(unknown["id"], "T9999");
  EXPECT_EQ(unknown["rule"], "sudo_use");
  EXPECT_EQ(fs::path(unknown["file"].get<std::string>()).filename(), "a.vigil");
  EXPECT_EQ(unknown["line"], 27);
  EXPECT_EQ(unknown["column"], 9);
}

TEST_F(CoverageTest, NavigatorLayerHasOneScoredEntryPerTechniqueAndTactic) {
  json layer = json::parse(render_coverage_navigator(coverage_));
  EXPECT_EQ(layer["domain"], "enterprise-attack");
  EXPECT_EQ(layer["versions"]["layer"], "4.5");
  EXPECT_EQ(layer["versions"]["attack"],
            std::string(attack_version().substr(0, attack_version().find('.'))));
  EXPECT_TRUE(layer["versions"]["navigator"].is_string());
  EXPECT_EQ(layer["filters"]["platforms"], json::array({"Linux"}));
  EXPECT_EQ(layer["gradient"]["colors"].size(), 3u);
  EXPECT_LT(layer["gradient"]["minValue"].get<int>(), layer["gradient"]["maxValue"].get<int>());
  EXPECT_FALSE(layer["legendItems"].empty());
  EXPECT_TRUE(layer["layout"].is_object());
  EXPECT_TRUE(layer["sorting"].is_number());

  auto entries_for = [&](const std::string& id) {
    std::vector<json> out;
    for (const json& entry : layer["techniques"])
      if (entry["techniqueID"] == id) out.push_back(entry);
    return out;
  };
  // Cron: one entry per tactic of the technique.
  std::vector<json> cron = entries_for("T1053.003");
  ASSERT_EQ(cron.size(), 3u);
  EXPECT_EQ(cron[0]["tactic"], "execution");
  EXPECT_EQ(cron[0]["score"], 1);
  EXPECT_EQ(cron[0]["comment"], "cron_edit");
  EXPECT_EQ(cron[0]["enabled"], true);
  // The parent of a covered sub-technique: unscored, sub-techniques shown.
  std::vector<json> scheduled = entries_for("T1053");
  ASSERT_EQ(scheduled.size(), 3u);
  EXPECT_FALSE(scheduled[0].contains("score"));
  EXPECT_EQ(scheduled[0]["showSubtechniques"], true);
  std::vector<json> interpreter = entries_for("T1059");
  ASSERT_EQ(interpreter.size(), 1u);
  EXPECT_EQ(interpreter[0]["score"], 1);
  EXPECT_EQ(interpreter[0]["showSubtechniques"], true);
  EXPECT_TRUE(entries_for("T1070.002").empty());  // only on the disabled rule
  EXPECT_TRUE(entries_for("T9999").empty());
}

TEST_F(CoverageTest, TextIsATableByTacticWithASummary) {
  std::string text = render_coverage_text(coverage_);
  EXPECT_NE(text.find("\nExecution (TA0002)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nDefense Evasion (TA0005)\n"), std::string::npos) << text;
  EXPECT_LT(text.find("Execution (TA0002)"), text.find("Persistence (TA0003)"));
  // Columns are aligned across tactics: the technique id, padded, then the name.
  EXPECT_NE(text.find("\n    T1059.004  Unix Shell"), std::string::npos) << text;
  EXPECT_NE(text.find("reverse_shell   critical  kill"), std::string::npos) << text;
  EXPECT_NE(text.find("4 techniques (3 sub-techniques) across 4 tactics from 4 rules"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Rules with no ATT&CK technique: untagged\n"), std::string::npos);
  EXPECT_NE(text.find("Disabled rules (they cover nothing): old_rule\n"), std::string::npos);
}

TEST_F(CoverageTest, MarkdownHasATableRowPerTechnique) {
  std::string markdown = render_coverage_markdown(coverage_);
  EXPECT_NE(markdown.find("### Execution (TA0002)\n\n| Technique | Name | Rules |\n"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| [T1059.004](https://attack.mitre.org/techniques/T1059/004/) | ↳ "
                          "Unix Shell | `reverse_shell` (critical, kill) |\n"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| [T1053](https://attack.mitre.org/techniques/T1053/) | Scheduled "
                          "Task/Job |  |\n"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("4 techniques (3 sub-techniques) across 4 tactics from 4 rules"),
            std::string::npos);
  EXPECT_NE(markdown.find("Disabled rules (they cover nothing): `old_rule`"), std::string::npos);
}

TEST(CoverageCatalog, CatalogJsonListsEveryTechnique) {
  json catalog = json::parse(render_catalog_json());
  EXPECT_EQ(catalog["attack_version"], std::string(attack_version()));
  EXPECT_EQ(catalog["techniques"].size(), techniques().size());
  EXPECT_EQ(catalog["tactics"].size(), tactics().size());
  EXPECT_EQ(catalog["tactics"][0]["shortname"], "initial-access");
  bool found = false;
  for (const json& technique : catalog["techniques"])
    if (technique["id"] == "T1053.003") {
      found = true;
      EXPECT_EQ(technique["tactics"],
                json::array({"execution", "persistence", "privilege-escalation"}));
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace vigil::attack
