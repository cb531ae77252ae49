// The embedded MITRE ATT&CK catalog (compiler/attack/catalog.h): lookups and
// the integrity of the generated table.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compiler/attack/catalog.h"

namespace vigil::attack {
namespace {

std::vector<std::string> tactics_of(const AttackTechnique& technique) {
  std::vector<std::string> out;
  for (std::string_view shortname : technique.tactics)
    if (!shortname.empty()) out.emplace_back(shortname);
  return out;
}

TEST(AttackCatalog, FindsAKnownTechnique) {
  const AttackTechnique* technique = find_technique("T1059");
  ASSERT_NE(technique, nullptr);
  EXPECT_EQ(technique->name, "Command and Scripting Interpreter");
  EXPECT_FALSE(technique->is_subtechnique());
  EXPECT_EQ(parent_technique(*technique), nullptr);
  EXPECT_EQ(tactics_of(*technique), std::vector<std::string>{"execution"});
}

TEST(AttackCatalog, SubTechniqueLeadsToItsParent) {
  const AttackTechnique* unix_shell = find_technique("T1059.004");
  ASSERT_NE(unix_shell, nullptr);
  EXPECT_EQ(unix_shell->name, "Unix Shell");
  EXPECT_TRUE(unix_shell->is_subtechnique());
  const AttackTechnique* parent = parent_technique(*unix_shell);
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->id, "T1059");
}

TEST(AttackCatalog, UnknownAndNonLinuxIdsAreAbsent) {
  EXPECT_EQ(find_technique("T9999"), nullptr);
  EXPECT_EQ(find_technique("T1059.999"), nullptr);
  // Registry Run Keys / Startup Folder: a Windows-only sub-technique.
  EXPECT_EQ(find_technique("T1547.001"), nullptr);
  EXPECT_EQ(find_technique(""), nullptr);
  EXPECT_EQ(find_technique("t1059"), nullptr);
}

TEST(AttackCatalog, MultiTacticTechniqueListsEveryTacticInKillChainOrder) {
  const AttackTechnique* cron = find_technique("T1053.003");
  ASSERT_NE(cron, nullptr);
  EXPECT_EQ(cron->name, "Cron");
  EXPECT_EQ(tactics_of(*cron),
            (std::vector<std::string>{"execution", "persistence", "privilege-escalation"}));
  const AttackTechnique* sudo = find_technique("T1548.003");
  ASSERT_NE(sudo, nullptr);
  EXPECT_EQ(tactics_of(*sudo),
            (std::vector<std::string>{"privilege-escalation", "defense-evasion"}));
}

TEST(AttackCatalog, TacticsAreTheLinuxOnesInKillChainOrder) {
  std::vector<std::string> ids;
  for (const AttackTactic& tactic : tactics()) ids.emplace_back(tactic.id);
  // Reconnaissance (TA0043) and Resource Development (TA0042) have no Linux
  // techniques: they are PRE-platform.
  EXPECT_EQ(ids,
            (std::vector<std::string>{"TA0001", "TA0002", "TA0003", "TA0004", "TA0005", "TA0006",
                                      "TA0007", "TA0008", "TA0009", "TA0011", "TA0010", "TA0040"}));
  const AttackTactic* escalation = find_tactic("privilege-escalation");
  ASSERT_NE(escalation, nullptr);
  EXPECT_EQ(escalation->id, "TA0004");
  EXPECT_EQ(escalation->name, "Privilege Escalation");
  EXPECT_EQ(tactic_order("execution"), 1u);
  EXPECT_EQ(find_tactic("reconnaissance"), nullptr);
  EXPECT_FALSE(tactic_order("nonsense").has_value());
}

TEST(AttackCatalog, TechniqueIdShape) {
  EXPECT_TRUE(is_technique_id("T1059"));
  EXPECT_TRUE(is_technique_id("T1059.004"));
  EXPECT_TRUE(is_technique_id("T9999"));  // well formed, even if unknown
  EXPECT_FALSE(is_technique_id("t1059"));
  EXPECT_FALSE(is_technique_id("T105"));
  EXPECT_FALSE(is_technique_id("T1059.4"));
  EXPECT_FALSE(is_technique_id("T1059."));
  EXPECT_FALSE(is_technique_id("TA0002"));
  EXPECT_FALSE(is_technique_id("T1059.0041"));
  EXPECT_FALSE(is_technique_id("webshell"));
}

// The generated table: sorted (lookups binary-search it), every
// sub-technique's parent present, every tactic in the tactic table.
TEST(AttackCatalog, GeneratedTableIsConsistent) {
  EXPECT_FALSE(attack_version().empty());
  std::span<const AttackTechnique> all = techniques();
  ASSERT_GT(all.size(), 100u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const auto& a, const auto& b) { return a.id < b.id; }));
  std::set<std::string_view> ids;
  for (const AttackTechnique& technique : all) {
    EXPECT_TRUE(is_technique_id(technique.id)) << technique.id;
    EXPECT_TRUE(ids.insert(technique.id).second) << "duplicate " << technique.id;
    EXPECT_FALSE(technique.name.empty()) << technique.id;
    EXPECT_FALSE(technique.tactics[0].empty()) << technique.id << " has no tactic";
    for (std::string_view shortname : technique.tactics) {
      if (!shortname.empty()) {
        EXPECT_NE(find_tactic(shortname), nullptr) << technique.id;
      }
    }
    if (technique.is_subtechnique()) {
      EXPECT_NE(parent_technique(technique), nullptr) << technique.id;
    }
    EXPECT_EQ(find_technique(technique.id), &technique);
  }
}

}  // namespace
}  // namespace vigil::attack
