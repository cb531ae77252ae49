// Parsing and formatting of the enforcement and stateful clauses: `mode`,
// `fallback`, `threshold`, `dedup` and `sequence`. Every form round-trips
// through `vigil fmt` (same structure, idempotent), and every malformed form
// gets a precise syntax error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compiler/format.h"
#include "compiler/parse_scan.h"
#include "compiler/parser.h"
#include "tests/unit/parsed_text.h"

namespace vigil {
namespace {

using Errors = std::vector<std::string>;

// Formats `text`, checks that the result parses to the same structure and
// is a fixed point, and returns it.
std::string round_trip(const std::string& text) {
  Parsed original(text);
  EXPECT_EQ(original.errors(), Errors{}) << text;
  std::string formatted = original.format();
  Parsed reparsed(formatted);
  EXPECT_EQ(reparsed.errors(), Errors{}) << formatted;
  EXPECT_EQ(ast::structure_string(reparsed.file), ast::structure_string(original.file))
      << formatted;
  EXPECT_EQ(reparsed.format(), formatted);
  return formatted;
}

const ast::Clause& only_clause(const Parsed& parsed, ast::ClauseKind kind) {
  static const ast::Clause kMissing{};
  for (const ast::Decl& decl : parsed.file.decls)
    for (const ast::Clause& clause : decl.clauses)
      if (clause.kind == kind) return clause;
  ADD_FAILURE() << "no clause of kind " << ast::clause_keyword(kind);
  return kMissing;
}

// ---- The AST -----------------------------------------------------------------------

TEST(StatefulClausesParse, ThresholdKeepsCountWindowKeyAndRearm) {
  Parsed parsed(
      "rule r { on exec threshold 5 within 1m by process.uid, parent.pid rearm 10m dedup 30s }");
  ASSERT_EQ(parsed.errors(), Errors{});
  const ast::Clause& threshold = only_clause(parsed, ast::ClauseKind::Threshold);
  ASSERT_TRUE(threshold.count && threshold.window && threshold.rearm);
  EXPECT_EQ(threshold.count->spelling, "5");
  EXPECT_EQ(std::get<int64_t>(threshold.count->value), 5);
  EXPECT_EQ(threshold.window->literal_kind, ast::LiteralKind::Duration);
  EXPECT_EQ(threshold.window->spelling, "1m");
  EXPECT_EQ(threshold.rearm->spelling, "10m");
  ASSERT_EQ(threshold.by.size(), 2u);
  EXPECT_EQ(threshold.by[0].text, "process.uid");
  EXPECT_EQ(parsed.slice(threshold.by[1].range), "parent.pid");
  EXPECT_EQ(parsed.slice(threshold.range),
            "threshold 5 within 1m by process.uid, parent.pid rearm 10m");
  const ast::Clause& dedup = only_clause(parsed, ast::ClauseKind::Dedup);
  ASSERT_TRUE(dedup.window);
  EXPECT_EQ(dedup.window->spelling, "30s");
}

TEST(StatefulClausesParse, SequenceKeepsKeyWindowAndSteps) {
  Parsed parsed(
      "rule r {\n"
      "  sequence by process.pid within 5m: [exec when process.exe == \"/bin/curl\"]\n"
      "    then [file.open, file.chmod when file.path startswith \"/tmp/\"] then [exec]\n"
      "}\n");
  ASSERT_EQ(parsed.errors(), Errors{});
  const ast::Clause& sequence = only_clause(parsed, ast::ClauseKind::Sequence);
  ASSERT_EQ(sequence.by.size(), 1u);
  EXPECT_EQ(sequence.by[0].text, "process.pid");
  ASSERT_TRUE(sequence.window);
  EXPECT_EQ(sequence.window->spelling, "5m");  // the `:` is not part of the duration
  ASSERT_EQ(sequence.steps.size(), 3u);
  EXPECT_EQ(parsed.slice(sequence.steps[0].range), "[exec when process.exe == \"/bin/curl\"]");
  ASSERT_EQ(sequence.steps[1].events.size(), 2u);
  EXPECT_EQ(sequence.steps[1].events[0].text, "file.open");
  EXPECT_EQ(sequence.steps[1].events[1].text, "file.chmod");
  ASSERT_TRUE(sequence.steps[1].when);
  EXPECT_EQ(parsed.slice(sequence.steps[1].when->range), "file.path startswith \"/tmp/\"");
  EXPECT_FALSE(sequence.steps[2].when);
  EXPECT_EQ(parsed.slice(sequence.steps[2].range), "[exec]");
}

TEST(StatefulClausesParse, ModeAndFallbackAreWords) {
  Parsed parsed("rule r { on exec action deny mode audit fallback kill }");
  ASSERT_EQ(parsed.errors(), Errors{});
  EXPECT_EQ(only_clause(parsed, ast::ClauseKind::Mode).words.at(0).text, "audit");
  EXPECT_EQ(only_clause(parsed, ast::ClauseKind::Fallback).words.at(0).text, "kill");
}

TEST(StatefulClausesParse, NewKeywordsAreReserved) {
  for (std::string_view word :
       {"mode", "fallback", "threshold", "within", "by", "rearm", "dedup", "sequence", "then"}) {
    EXPECT_TRUE(is_reserved_word(word)) << word;
    Parsed parsed("macro " + std::string(word) + " = process.pid == 1");
    EXPECT_EQ(parsed.errors(), Errors{"1:7: reserved-word: `" + std::string(word) +
                                      "` is a reserved word and cannot be a macro name"});
  }
  // `audit`, `enforce` and `kill` are values, like `high`: not reserved.
  EXPECT_FALSE(is_reserved_word("audit"));
  EXPECT_FALSE(is_reserved_word("enforce"));
}

// ---- Formatting --------------------------------------------------------------------

TEST(StatefulClausesFormat, CanonicalLayout) {
  std::string formatted = round_trip(
      "rule r {on exec threshold   5 within 1m by process.uid,parent.pid   rearm 10m\n"
      "dedup 30s   mode  audit action deny fallback   kill}\n"
      "rule s { sequence by process.pid,process.uid within 5m:[exec when process.uid==0]then"
      "[file.open,file.chmod when file.path startswith\"/tmp/\"]   then [exec] except "
      "process.comm == \"apt\" }\n");
  EXPECT_EQ(formatted,
            "rule r {\n"
            "  on exec\n"
            "  threshold 5 within 1m by process.uid, parent.pid rearm 10m\n"
            "  dedup 30s\n"
            "  mode audit\n"
            "  action deny\n"
            "  fallback kill\n"
            "}\n"
            "\n"
            "rule s {\n"
            "  sequence by process.pid, process.uid within 5m:\n"
            "    [exec when process.uid == 0]\n"
            "    then [file.open, file.chmod when file.path startswith \"/tmp/\"]\n"
            "    then [exec]\n"
            "  except process.comm == \"apt\"\n"
            "}\n");
}

TEST(StatefulClausesFormat, CommentsInsideASequenceStay) {
  std::string formatted = round_trip(
      "rule s {\n"
      "  sequence by process.pid within 5m:  # the key\n"
      "    # first the download\n"
      "    [exec when process.comm == \"curl\"]  # curl\n"
      "    then [exec]  # then anything\n"
      "}\n");
  EXPECT_EQ(formatted,
            "rule s {\n"
            "  sequence by process.pid within 5m:  # the key\n"
            "    # first the download\n"
            "    [exec when process.comm == \"curl\"]  # curl\n"
            "    then [exec]  # then anything\n"
            "}\n");
}

TEST(StatefulClausesFormat, LongStepConditionsBreakInsideTheStep) {
  std::string formatted = round_trip(
      "rule s { sequence by process.pid within 5m: [exec when process.exe == "
      "\"/usr/bin/a-rather-long-name\" and parent.exe == \"/usr/bin/another-rather-long-name\" "
      "and process.uid == 0] then [exec] }\n");
  EXPECT_EQ(formatted,
            "rule s {\n"
            "  sequence by process.pid within 5m:\n"
            "    [exec when process.exe == \"/usr/bin/a-rather-long-name\"\n"
            "        and parent.exe == \"/usr/bin/another-rather-long-name\"\n"
            "        and process.uid == 0]\n"
            "    then [exec]\n"
            "}\n");
}

// A comment anywhere between two tokens survives formatting, and the result
// is a fixed point with the same structure.
TEST(StatefulClausesFormat, ACommentBetweenAnyTwoTokensIsKept) {
  const std::string rule =
      "rule s { sequence by process.pid , process.uid within 5m : [ exec , fork when "
      "process.uid == 0 and process.comm != \"x\" ] then [ exec ] except process.pid == 1 "
      "threshold 3 within 1m by process.pid rearm 1m dedup 1s mode audit fallback kill }\n";
  for (size_t i = 0; i < rule.size(); ++i) {
    if (rule[i] != ' ') continue;
    const std::string text = rule.substr(0, i) + " # note\n" + rule.substr(i + 1);
    SCOPED_TRACE(text);
    Parsed original(text);
    ASSERT_EQ(original.errors(), Errors{});
    const std::string formatted = original.format();
    Parsed reparsed(formatted);
    ASSERT_EQ(reparsed.errors(), Errors{}) << formatted;
    EXPECT_EQ(ast::structure_string(reparsed.file), ast::structure_string(original.file))
        << formatted;
    ASSERT_EQ(reparsed.file.comments.size(), 1u) << formatted;
    EXPECT_EQ(reparsed.file.comments[0].text, "# note");
    EXPECT_EQ(reparsed.format(), formatted);
  }
}

TEST(StatefulClausesFormat, ExtensionsRoundTrip) {
  EXPECT_EQ(round_trip("extend rule r { mode enforce fallback kill dedup 1h }"),
            "extend rule r {\n"
            "  mode enforce\n"
            "  fallback kill\n"
            "  dedup 1h\n"
            "}\n");
}

TEST(StatefulClausesFormat, StructureStringSeesEveryPart) {
  auto structure = [](const std::string& text) {
    Parsed parsed(text);
    EXPECT_EQ(parsed.errors(), Errors{}) << text;
    return ast::structure_string(parsed.file);
  };
  const std::string base = structure("rule r { on exec threshold 5 within 1m by process.uid }");
  EXPECT_NE(base, structure("rule r { on exec threshold 6 within 1m by process.uid }"));
  EXPECT_NE(base, structure("rule r { on exec threshold 5 within 2m by process.uid }"));
  EXPECT_NE(base, structure("rule r { on exec threshold 5 within 1m by process.gid }"));
  EXPECT_NE(base, structure("rule r { on exec threshold 5 within 1m by process.uid rearm 1m }"));
  const std::string sequence =
      structure("rule r { sequence by a.b within 1m: [exec] then [fork] }");
  EXPECT_NE(sequence, structure("rule r { sequence by a.b within 1m: [fork] then [exec] }"));
  EXPECT_NE(sequence,
            structure("rule r { sequence by a.b within 1m: [exec when x.y == 1] then [fork] }"));
  EXPECT_NE(sequence, structure("rule r { sequence by a.b within 1m: [exec, fork] then [fork] }"));
}

// ---- Syntax errors -----------------------------------------------------------------

TEST(StatefulClausesParse, MalformedFormsGetPreciseErrors) {
  struct Case {
    std::string source;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"rule r { on exec mode }",
       "1:23: syntax-error: expected `audit` or `enforce` after `mode`, found `}`"},
      {"rule r { on exec fallback }",
       "1:27: syntax-error: expected `kill` after `fallback`, found `}`"},
      {"rule r { on exec dedup }",
       "1:24: syntax-error: expected a duration (e.g. `30s`) after `dedup`, found `}`"},
      {"rule r { on exec threshold within 1m by process.pid }",
       "1:28: syntax-error: expected the number of events (e.g. `5`) after `threshold`, found "
       "`within`"},
      {"rule r { on exec threshold 5 in 1m by process.pid }",
       "1:30: syntax-error: expected `within` after the count of `threshold`, found `in`"},
      {"rule r { on exec threshold 5 within by process.pid }",
       "1:37: syntax-error: expected a duration (e.g. `1m`) after `within`, found `by`"},
      {"rule r { on exec threshold 5 within 1m process.pid }",
       "1:40: syntax-error: expected `by` and the fields that form the key after the window, "
       "found `process.pid`"},
      {"rule r { on exec threshold 5 within 1m by }",
       "1:43: syntax-error: expected a field after `by`, found `}`"},
      {"rule r { on exec threshold 5 within 1m by process.pid, }",
       "1:56: syntax-error: expected a field after `,`, found `}`"},
      {"rule r { on exec threshold 5 within 1m by process. }",
       "1:52: syntax-error: expected a field name after `.`, found `}`"},
      {"rule r { on exec threshold 5 within 1m by process.pid rearm }",
       "1:61: syntax-error: expected a duration (e.g. `10m`) after `rearm`, found `}`"},
      {"rule r { on exec threshold 5 within 1.5m by process.pid }",
       "1:37: invalid-number: `1.5m` is not a valid number (only whole numbers are supported)"},
      {"rule r { on exec threshold 5 within 5d by process.pid }",
       "1:37: invalid-duration: unknown duration unit `d` in `5d` (use ms, s, m or h)"},
      {"rule r { sequence within 1m: [exec] then [exec] }",
       "1:19: syntax-error: expected `by` after `sequence`, found `within`"},
      {"rule r { sequence by within 1m: [exec] then [exec] }",
       "1:22: syntax-error: expected a field after `by`, found `within`"},
      {"rule r { sequence by process.pid process.uid within 1m: [exec] then [exec] }",
       "1:34: syntax-error: expected `,` or `within` after a field of `sequence by`, found "
       "`process.uid`"},
      {"rule r { sequence by process.pid within : [exec] then [exec] }",
       "1:41: syntax-error: expected a duration (e.g. `5m`) after `within`, found `:`"},
      {"rule r { sequence by process.pid within 1m [exec] then [exec] }",
       "1:44: syntax-error: expected `:` after the window of `sequence`, found `[`"},
      {"rule r { sequence by process.pid within 1m: exec then [exec] }",
       "1:45: syntax-error: expected a step `[EVENT, ... when CONDITION]` after `:`, found "
       "`exec`"},
      {"rule r { sequence by process.pid within 1m: [exec] [exec] }",
       "1:52: syntax-error: expected a clause or `}` to close rule `r` (opened at line 1), found "
       "`[`"},
      {"rule r { sequence by process.pid within 1m: [exec] then }",
       "1:57: syntax-error: expected a step `[EVENT, ... when CONDITION]` after `then`, found "
       "`}`"},
      {"rule r { sequence by process.pid within 1m: [] then [exec] }",
       "1:46: syntax-error: expected an event name after `[`, found `]`"},
      {"rule r { sequence by process.pid within 1m: [exec,] then [exec] }",
       "1:51: syntax-error: expected an event name after `,`, found `]`"},
      {"rule r { sequence by process.pid within 1m: [exec process.pid == 1] then [exec] }",
       "1:51: syntax-error: expected `,`, `when` or `]` after an event of the step (opened at "
       "line 1, column 45), found `process.pid`"},
      {"rule r { sequence by process.pid within 1m:\n  [exec when process.pid == 1 and] then "
       "[exec] }",
       "2:34: syntax-error: expected an expression after `and`, found `]`"},
      {"rule r { sequence by process.pid within 1m:\n  [exec when process.pid == 1 then [exec] }",
       "2:31: syntax-error: expected `]` to close the step (opened at line 2, column 3), found "
       "`then`"},
      {"rule r { sequence by process.pid within 1m: [exec when] then [exec] }",
       "1:55: syntax-error: expected an expression after `when`, found `]`"},
  };
  for (const Case& c : cases) EXPECT_EQ(Parsed(c.source).errors(), Errors{c.error}) << c.source;
}

TEST(StatefulClausesParse, HintsForMalformedForms) {
  auto hint_of = [](const std::string& source) {
    Parsed parsed(source);
    EXPECT_EQ(parsed.diagnostics.all().size(), 1u) << source;
    return parsed.diagnostics.all().empty() ? std::string()
                                            : parsed.diagnostics.all()[0].hint.value_or("");
  };
  EXPECT_EQ(hint_of("rule r { on exec threshold 5 in 1m by process.pid }"),
            "a threshold is written `threshold 5 within 1m by process.pid`, optionally followed "
            "by `rearm 10m`");
  EXPECT_EQ(hint_of("rule r { sequence process.pid within 1m: [exec] then [exec] }"),
            "a sequence is written `sequence by process.pid within 5m: [exec when CONDITION] then "
            "[file.open when CONDITION]`");
  EXPECT_EQ(hint_of("rule r { sequence by process.pid within 1m [exec] then [exec] }"),
            "the steps follow a colon: `within 5m: [exec] then [file.open]`");
  EXPECT_EQ(hint_of("rule r { sequence by process.pid within 1m: [exec] [exec] }"),
            "separate the steps of a sequence with `then`: `[exec] then [file.open]`");
  EXPECT_EQ(hint_of("rule r { sequence by process.pid within 1m: [when process.pid == 1] }"),
            "a step names its events first, e.g. `[exec when process.uid == 0]`");
  EXPECT_EQ(hint_of("rule r { sequence by process.pid within 1m: [exec when process.pid == 1 "
                    "process.uid == 0] then [exec] }"),
            "to continue the condition, join it with `and` or `or`");
  EXPECT_EQ(hint_of("rule r { on exec treshold 5 within 1m by process.pid }"),
            "did you mean `threshold`?");
  EXPECT_EQ(hint_of("rule r { on exec sequense by process.pid }"), "did you mean `sequence`?");
  EXPECT_EQ(hint_of("rule r { on exec dedupe 5s }"), "did you mean `dedup`?");
}

TEST(StatefulClausesParse, ABrokenClauseLosesOnlyItsDeclaration) {
  Parsed parsed(
      "rule broken { sequence by process.pid within 1m: [exec when] then [exec] }\n"
      "rule fine { on exec threshold 2 within 1m by process.pid }\n");
  EXPECT_EQ(parsed.errors(),
            Errors{"1:60: syntax-error: expected an expression after `when`, found `]`"});
  ASSERT_EQ(parsed.file.decls.size(), 1u);
  EXPECT_EQ(parsed.file.decls[0].name.text, "fine");
  EXPECT_EQ(parsed.file.unparsed_names, std::vector<std::string>{"broken"});
}

}  // namespace
}  // namespace vigil
