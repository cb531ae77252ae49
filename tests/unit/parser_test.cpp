// Tests for the parser (compiler/parser.h): the AST shape of every construct,
// precedence, literals, ranges, error messages and locations, recovery, and
// hostile input.
#include "compiler/parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/parse_state.h"
#include "tests/unit/parsed_text.h"

namespace vigil {
namespace {

// A compact S-expression of an expression tree.
std::string dump(const ast::Expr& expr) {
  std::string head;
  switch (expr.kind) {
    case ast::ExprKind::Or: head = "or"; break;
    case ast::ExprKind::And: head = "and"; break;
    case ast::ExprKind::Not: head = "not"; break;
    case ast::ExprKind::Paren: head = "paren"; break;
    case ast::ExprKind::Compare: head = std::string(operator_info(expr.op).spelling); break;
    case ast::ExprKind::Field: return "field:" + expr.text;
    case ast::ExprKind::Name: return "name:" + expr.text;
    case ast::ExprKind::Literal: return expr.spelling;
    case ast::ExprKind::List: head = "list"; break;
  }
  std::string out = "(" + head;
  for (const ast::ExprPtr& child : expr.children) out += " " + dump(*child);
  return out + ")";
}

// Parses `macro m = EXPR` and returns the body, failing the test on errors.
std::string dump_macro(const std::string& expression) {
  Parsed parsed("macro m = " + expression);
  EXPECT_TRUE(parsed.errors().empty()) << expression << ": " << parsed.errors()[0];
  if (parsed.file.decls.size() != 1 || !parsed.file.decls[0].body) return "<no macro>";
  return dump(*parsed.file.decls[0].body);
}

// The single literal of `list l = [LITERAL]`.
struct LiteralResult {
  std::vector<std::string> errors;
  ast::LiteralKind kind = ast::LiteralKind::String;
  Value value;
  std::string spelling;
  bool has_escapes = false;
};
LiteralResult parse_literal(const std::string& literal) {
  Parsed parsed("list l = [" + literal + "]");
  LiteralResult result;
  result.errors = parsed.errors();
  if (parsed.file.decls.size() == 1 && parsed.file.decls[0].body->children.size() == 1) {
    const ast::Expr& item = *parsed.file.decls[0].body->children[0];
    result.kind = item.literal_kind;
    result.value = item.value;
    result.spelling = item.spelling;
    result.has_escapes = item.has_escapes;
  }
  return result;
}

using Errors = std::vector<std::string>;

// ---- Declarations and clauses ---------------------------------------------------

TEST(ParserDeclarations, FullRuleHasEveryClauseInSourceOrder) {
  Parsed parsed(R"(rule shell_from_web_server {
  on exec, file.open
  when parent.comm in web_servers and process.exe in shells
  except process.cmdline contains "healthcheck"
  severity high
  tags [T1059.004, web, "free tag", mitre:attack, a-b_c]
  output "shell {process.exe}"
  action alert
  enabled false
  description "Shells from web servers"
  except process.uid == 0
})");
  ASSERT_EQ(parsed.errors(), Errors{});
  ASSERT_EQ(parsed.file.decls.size(), 1u);
  const ast::Decl& rule = parsed.file.decls[0];
  EXPECT_EQ(rule.kind, ast::DeclKind::Rule);
  EXPECT_EQ(rule.name.text, "shell_from_web_server");
  EXPECT_EQ(parsed.slice(rule.name.range), "shell_from_web_server");
  EXPECT_EQ(rule.range.begin, 0u);
  EXPECT_EQ(rule.range.end, parsed.sources.file(parsed.id).contents().size());
  EXPECT_EQ(rule.body, nullptr);

  using K = ast::ClauseKind;
  std::vector<K> kinds;
  for (const ast::Clause& clause : rule.clauses) kinds.push_back(clause.kind);
  EXPECT_EQ(kinds, (std::vector<K>{K::On, K::When, K::Except, K::Severity, K::Tags, K::Output,
                                   K::Action, K::Enabled, K::Description, K::Except}));

  const auto& clauses = rule.clauses;
  EXPECT_EQ(parsed.slice(clauses[0].range), "on exec, file.open");
  EXPECT_EQ(parsed.slice(clauses[0].keyword_range), "on");
  ASSERT_EQ(clauses[0].words.size(), 2u);
  EXPECT_EQ(clauses[0].words[1].text, "file.open");
  EXPECT_EQ(parsed.slice(clauses[0].words[1].range), "file.open");

  EXPECT_EQ(dump(*clauses[1].expr),
            "(and (in field:parent.comm name:web_servers) (in field:process.exe name:shells))");
  EXPECT_EQ(parsed.slice(clauses[1].range),
            "when parent.comm in web_servers and process.exe in shells");
  EXPECT_EQ(dump(*clauses[2].expr), "(contains field:process.cmdline \"healthcheck\")");
  EXPECT_EQ(clauses[3].words[0].text, "high");

  const auto& tags = clauses[4].words;
  ASSERT_EQ(tags.size(), 5u);
  EXPECT_EQ(tags[0].text, "T1059.004");
  EXPECT_FALSE(tags[0].quoted);
  EXPECT_EQ(tags[2].text, "free tag");
  EXPECT_TRUE(tags[2].quoted);
  EXPECT_EQ(parsed.slice(tags[2].range), "\"free tag\"");
  EXPECT_EQ(tags[3].text, "mitre:attack");
  EXPECT_EQ(tags[4].text, "a-b_c");
  EXPECT_EQ(parsed.slice(clauses[4].range),
            "tags [T1059.004, web, \"free tag\", mitre:attack, a-b_c]");

  ASSERT_NE(clauses[5].text, nullptr);
  EXPECT_EQ(std::get<std::string>(clauses[5].text->value), "shell {process.exe}");
  EXPECT_EQ(clauses[6].words[0].text, "alert");
  EXPECT_EQ(clauses[7].words[0].text, "false");
  EXPECT_EQ(std::get<std::string>(clauses[8].text->value), "Shells from web servers");
}

TEST(ParserDeclarations, ListMacroExtendDisable) {
  Parsed parsed(R"(list shells = ["/bin/sh", other_list, 22,]
macro m = process.exe in shells
extend rule base { except process.uid == 0 tags [extra] severity low }
extend list shells ["/bin/zsh"]
disable rule noisy
list empty = []
rule bare {}
)");
  ASSERT_EQ(parsed.errors(), Errors{});
  const auto& decls = parsed.file.decls;
  ASSERT_EQ(decls.size(), 7u);

  EXPECT_EQ(decls[0].kind, ast::DeclKind::List);
  EXPECT_EQ(dump(*decls[0].body), "(list \"/bin/sh\" name:other_list 22)");
  EXPECT_EQ(parsed.slice(decls[0].body->range), "[\"/bin/sh\", other_list, 22,]");
  EXPECT_EQ(parsed.slice(decls[0].range), "list shells = [\"/bin/sh\", other_list, 22,]");

  EXPECT_EQ(decls[1].kind, ast::DeclKind::Macro);
  EXPECT_EQ(decls[1].name.text, "m");
  EXPECT_EQ(dump(*decls[1].body), "(in field:process.exe name:shells)");

  EXPECT_EQ(decls[2].kind, ast::DeclKind::ExtendRule);
  EXPECT_EQ(decls[2].name.text, "base");
  ASSERT_EQ(decls[2].clauses.size(), 3u);
  EXPECT_EQ(decls[2].clauses[0].kind, ast::ClauseKind::Except);
  EXPECT_EQ(decls[2].clauses[1].words[0].text, "extra");

  EXPECT_EQ(decls[3].kind, ast::DeclKind::ExtendList);
  EXPECT_EQ(decls[3].name.text, "shells");
  EXPECT_EQ(dump(*decls[3].body), "(list \"/bin/zsh\")");

  EXPECT_EQ(decls[4].kind, ast::DeclKind::DisableRule);
  EXPECT_EQ(decls[4].name.text, "noisy");
  EXPECT_EQ(parsed.slice(decls[4].range), "disable rule noisy");

  EXPECT_EQ(dump(*decls[5].body), "(list)");
  EXPECT_EQ(decls[6].kind, ast::DeclKind::Rule);
  EXPECT_TRUE(decls[6].clauses.empty());
}

TEST(ParserDeclarations, ParserRecordsWordsWithoutValidatingThem) {
  // Unknown events, severities, actions and duplicate clauses are the analyser's business.
  Parsed parsed(
      "rule r { on nosuch.event, exec severity extreme severity low action explode "
      "enabled maybe }");
  ASSERT_EQ(parsed.errors(), Errors{});
  const auto& clauses = parsed.file.decls[0].clauses;
  ASSERT_EQ(clauses.size(), 5u);
  EXPECT_EQ(clauses[0].words[0].text, "nosuch.event");
  EXPECT_EQ(clauses[1].words[0].text, "extreme");
  EXPECT_EQ(clauses[2].words[0].text, "low");
  EXPECT_EQ(clauses[3].words[0].text, "explode");
  EXPECT_EQ(clauses[4].words[0].text, "maybe");
}

TEST(ParserDeclarations, NewlinesAreOrdinaryWhitespace) {
  Parsed parsed("rule\nr\n{\non\nexec\n,\nfork\nwhen\na\n==\n1\nand\nb\n}\nmacro\nm\n=\nx");
  ASSERT_EQ(parsed.errors(), Errors{});
  ASSERT_EQ(parsed.file.decls.size(), 2u);
  EXPECT_EQ(parsed.file.decls[0].clauses[0].words.size(), 2u);
  EXPECT_EQ(dump(*parsed.file.decls[0].clauses[1].expr), "(and (== name:a 1) name:b)");
}

TEST(ParserDeclarations, EmptyAndBlankFilesAreNotErrors) {
  for (const char* text : {"", "   \n\t\n", "# only a comment", "\xEF\xBB\xBF", "\r\n\r\n"}) {
    Parsed parsed(text);
    EXPECT_EQ(parsed.errors(), Errors{}) << text;
    EXPECT_TRUE(parsed.file.decls.empty());
  }
}

// ---- Expressions -------------------------------------------------------------------

TEST(ParserExpressions, Precedence) {
  EXPECT_EQ(dump_macro("a or b and c"), "(or name:a (and name:b name:c))");
  EXPECT_EQ(dump_macro("a and b or c"), "(or (and name:a name:b) name:c)");
  EXPECT_EQ(dump_macro("not a and b"), "(and (not name:a) name:b)");
  EXPECT_EQ(dump_macro("not x == 1"), "(not (== name:x 1))");
  EXPECT_EQ(dump_macro("not not a"), "(not (not name:a))");
  EXPECT_EQ(dump_macro("a or not b and c == 2"), "(or name:a (and (not name:b) (== name:c 2)))");
  EXPECT_EQ(dump_macro("a.b == 1 or c.d != 2 and e.f < 3"),
            "(or (== field:a.b 1) (and (!= field:c.d 2) (< field:e.f 3)))");
}

TEST(ParserExpressions, AndOrChainsAreFlattenedButParenthesesAreKept) {
  EXPECT_EQ(dump_macro("a and b and c and d"), "(and name:a name:b name:c name:d)");
  EXPECT_EQ(dump_macro("a or b or c"), "(or name:a name:b name:c)");
  EXPECT_EQ(dump_macro("(a and b) and c"), "(and (paren (and name:a name:b)) name:c)");
  EXPECT_EQ(dump_macro("a and (b and c)"), "(and name:a (paren (and name:b name:c)))");
  EXPECT_EQ(dump_macro("a and b or c and d or e"),
            "(or (and name:a name:b) (and name:c name:d) name:e)");
  EXPECT_EQ(dump_macro("((a))"), "(paren (paren name:a))");
  EXPECT_EQ(dump_macro("not (a or b)"), "(not (paren (or name:a name:b)))");
}

TEST(ParserExpressions, EveryComparisonOperator) {
  EXPECT_EQ(dump_macro("x == 1"), "(== name:x 1)");
  EXPECT_EQ(dump_macro("x != 1"), "(!= name:x 1)");
  EXPECT_EQ(dump_macro("x < 1"), "(< name:x 1)");
  EXPECT_EQ(dump_macro("x <= 1"), "(<= name:x 1)");
  EXPECT_EQ(dump_macro("x > 1"), "(> name:x 1)");
  EXPECT_EQ(dump_macro("x >= 1"), "(>= name:x 1)");
  EXPECT_EQ(dump_macro("x in l"), "(in name:x name:l)");
  EXPECT_EQ(dump_macro("x not in l"), "(not in name:x name:l)");
  EXPECT_EQ(dump_macro("x startswith \"a\""), "(startswith name:x \"a\")");
  EXPECT_EQ(dump_macro("x endswith \"a\""), "(endswith name:x \"a\")");
  EXPECT_EQ(dump_macro("x contains \"a\""), "(contains name:x \"a\")");
  EXPECT_EQ(dump_macro("x glob \"/tmp/*\""), "(glob name:x \"/tmp/*\")");
  EXPECT_EQ(dump_macro("x matches \"^a$\""), "(matches name:x \"^a$\")");
  EXPECT_EQ(dump_macro("x==1"), "(== name:x 1)");  // no spaces needed around symbols
  EXPECT_EQ(dump_macro("x>=-1"), "(>= name:x -1)");
}

TEST(ParserExpressions, RightOperandKinds) {
  EXPECT_EQ(dump_macro("process.uid != process.euid"), "(!= field:process.uid field:process.euid)");
  EXPECT_EQ(dump_macro("process.exe in shells"), "(in field:process.exe name:shells)");
  EXPECT_EQ(dump_macro("process.exe in [\"a\", shells, 1,]"),
            "(in field:process.exe (list \"a\" name:shells 1))");
  EXPECT_EQ(dump_macro("net.daddr in []"), "(in field:net.daddr (list))");
  EXPECT_EQ(dump_macro("process.ancestors.comm == \"sh\""),
            "(== field:process.ancestors.comm \"sh\")");
  EXPECT_EQ(dump_macro("x == true"), "(== name:x true)");
}

TEST(ParserExpressions, NotInIsOneOperatorWithItsRange) {
  Parsed parsed("macro m = a not   in b");
  ASSERT_EQ(parsed.errors(), Errors{});
  const ast::Expr& compare = *parsed.file.decls[0].body;
  EXPECT_EQ(compare.op, CompareOp::NotIn);
  EXPECT_EQ(parsed.slice(compare.op_range), "not   in");
  EXPECT_EQ(parsed.slice(compare.range), "a not   in b");
}

TEST(ParserExpressions, NodeRanges) {
  Parsed parsed("macro m = not (a.b == 1 and c) or d in [1, 2]");
  ASSERT_EQ(parsed.errors(), Errors{});
  const ast::Expr& top = *parsed.file.decls[0].body;
  EXPECT_EQ(parsed.slice(top.range), "not (a.b == 1 and c) or d in [1, 2]");
  EXPECT_EQ(parsed.slice(top.children[1]->children[1]->range), "[1, 2]");
  const ast::Expr& negation = *top.children[0];
  EXPECT_EQ(parsed.slice(negation.range), "not (a.b == 1 and c)");
  const ast::Expr& paren = *negation.children[0];
  EXPECT_EQ(parsed.slice(paren.range), "(a.b == 1 and c)");
  const ast::Expr& conjunction = *paren.children[0];
  EXPECT_EQ(parsed.slice(conjunction.range), "a.b == 1 and c");
  EXPECT_EQ(parsed.slice(conjunction.children[0]->range), "a.b == 1");
  EXPECT_EQ(parsed.slice(conjunction.children[0]->op_range), "==");
  EXPECT_EQ(parsed.slice(conjunction.children[0]->children[0]->range), "a.b");
}

TEST(ParserExpressions, ListsAreNotOperandsOnTheLeft) {
  EXPECT_EQ(Parsed("macro m = [1] == d").errors(),
            Errors{"1:11: syntax-error: expected an expression after `=` in macro `m`, found `[`"});
}

TEST(ParserExpressions, LiteralsAndNamesAreExpressionsToo) {
  // The parser accepts any operand as a condition; the analyser decides what it means.
  EXPECT_EQ(dump_macro("true"), "true");
  EXPECT_EQ(dump_macro("process.is_thing"), "field:process.is_thing");
  EXPECT_EQ(dump_macro("other_macro"), "name:other_macro");
}

// ---- Keywords -------------------------------------------------------------------------

TEST(ParserKeywords, KeywordsRespectIdentifierBoundaries) {
  Parsed parsed(R"(rule ruler { on exec when index == 1 and notable or android in listing }
macro inside = order == 1 and truex == falsey and macro_x == rule_y and enabled_2 == 3
list lists = [ruler, index]
)");
  ASSERT_EQ(parsed.errors(), Errors{});
  ASSERT_EQ(parsed.file.decls.size(), 3u);
  EXPECT_EQ(parsed.file.decls[0].name.text, "ruler");
  EXPECT_EQ(dump(*parsed.file.decls[0].clauses[1].expr),
            "(or (and (== name:index 1) name:notable) (in name:android name:listing))");
  EXPECT_EQ(parsed.file.decls[1].name.text, "inside");
  EXPECT_EQ(dump(*parsed.file.decls[1].body),
            "(and (== name:order 1) (== name:truex name:falsey) (== name:macro_x name:rule_y) "
            "(== name:enabled_2 3))");
}

TEST(ParserKeywords, ReservedWordsCannotBeNames) {
  EXPECT_EQ(Parsed("rule in { on exec }").errors(),
            Errors{"1:6: reserved-word: `in` is a reserved word and cannot be a rule name"});
  EXPECT_EQ(Parsed("list true = [1]").errors(),
            Errors{"1:6: reserved-word: `true` is a reserved word and cannot be a list name"});
  EXPECT_EQ(Parsed("macro not = a").errors(),
            Errors{"1:7: reserved-word: `not` is a reserved word and cannot be a macro name"});
  EXPECT_EQ(Parsed("extend rule when { }").errors(),
            Errors{"1:13: reserved-word: `when` is a reserved word and cannot be a rule name"});
  EXPECT_EQ(Parsed("disable rule severity").errors(),
            Errors{"1:14: reserved-word: `severity` is a reserved word and cannot be a rule "
                   "name"});
  EXPECT_EQ(Parsed("extend list glob [1]").errors(),
            Errors{"1:13: reserved-word: `glob` is a reserved word and cannot be a list name"});
}

TEST(ParserKeywords, EveryKeywordOfTheLanguageIsReserved) {
  // The list in docs/language.md.
  const char* const keywords[] = {"rule",     "list",   "macro",   "extend",      "disable",
                                  "on",       "when",   "except",  "severity",    "tags",
                                  "output",   "action", "enabled", "description", "and",
                                  "or",       "not",    "in",      "startswith",  "endswith",
                                  "contains", "glob",   "matches", "true",        "false"};
  for (const std::string keyword : keywords) {
    EXPECT_EQ(Parsed("macro " + keyword + " = x").errors(),
              Errors{"1:7: reserved-word: `" + keyword +
                     "` is a reserved word and cannot be a macro name"});
    // With anything more it is an ordinary name.
    for (const std::string& name : {keyword + "_", keyword + "1", "x" + keyword}) {
      Parsed parsed("macro " + name + " = " + name + " == " + name);
      EXPECT_EQ(parsed.errors(), Errors{}) << name;
      EXPECT_EQ(parsed.file.decls.at(0).name.text, name);
    }
  }
  // Names that are not keywords, including event, severity and action words.
  for (const char* name : {"exec", "high", "alert", "kill", "deny", "exit", "fork", "bpf"}) {
    EXPECT_EQ(Parsed(std::string("list ") + name + " = []").errors(), Errors{}) << name;
  }
}

TEST(ParserKeywords, ReservedWordsCannotBeOperandsOrListItems) {
  EXPECT_EQ(Parsed("macro m = x == in").errors(),
            Errors{"1:16: syntax-error: expected a value, list or field after `==`, found `in`"});
  EXPECT_EQ(Parsed("list l = [a, contains]").errors(),
            Errors{"1:14: syntax-error: expected a list item (a literal or a list name) or `]`, "
                   "found `contains`"});
  EXPECT_EQ(Parsed("macro m = matches == 1").errors(),
            Errors{"1:11: syntax-error: expected an expression after `=` in macro `m`, found "
                   "`matches`"});
}

// ---- Literals -------------------------------------------------------------------------

TEST(ParserLiterals, Strings) {
  LiteralResult plain = parse_literal(R"("plain text")");
  EXPECT_EQ(plain.errors, Errors{});
  EXPECT_EQ(plain.kind, ast::LiteralKind::String);
  EXPECT_EQ(std::get<std::string>(plain.value), "plain text");
  EXPECT_EQ(plain.spelling, R"("plain text")");
  EXPECT_FALSE(plain.has_escapes);

  LiteralResult escaped = parse_literal(R"("a\"b\\c\nd\te\x41\x7f\x00")");
  EXPECT_EQ(escaped.errors, Errors{});
  EXPECT_EQ(std::get<std::string>(escaped.value), std::string("a\"b\\c\nd\teA\x7f\0", 12));
  EXPECT_EQ(escaped.spelling, R"("a\"b\\c\nd\te\x41\x7f\x00")");
  EXPECT_TRUE(escaped.has_escapes);

  LiteralResult utf8 = parse_literal("\"caf\xC3\xA9 # not a comment\"");
  EXPECT_EQ(utf8.errors, Errors{});
  EXPECT_EQ(std::get<std::string>(utf8.value), "caf\xC3\xA9 # not a comment");

  EXPECT_EQ(std::get<std::string>(parse_literal(R"("")").value), "");
}

TEST(ParserLiterals, InvalidEscapes) {
  EXPECT_EQ(parse_literal(R"("a\qb")").errors,
            Errors{"1:13: invalid-escape: invalid escape sequence `\\q` in string"});
  EXPECT_EQ(parse_literal(R"("\x4")").errors,
            Errors{"1:12: invalid-escape: invalid escape sequence `\\x4`: `\\x` must be followed "
                   "by two hexadecimal digits"});
  EXPECT_EQ(parse_literal(R"("\xg1")").errors,
            Errors{"1:12: invalid-escape: invalid escape sequence `\\x`: `\\x` must be followed "
                   "by two hexadecimal digits"});
  EXPECT_EQ(parse_literal(R"("\r\0")").errors,
            (Errors{"1:12: invalid-escape: invalid escape sequence `\\r` in string",
                    "1:14: invalid-escape: invalid escape sequence `\\0` in string"}));
  // One bad escape does not hide the rest of the file.
  Parsed parsed("list a = [\"\\q\"]\nlist b = [1 2]");
  EXPECT_EQ(parsed.errors().size(), 2u);
  EXPECT_EQ(parsed.file.decls.size(), 1u);
}

TEST(ParserLiterals, Integers) {
  auto int_of = [](const std::string& literal) {
    LiteralResult result = parse_literal(literal);
    EXPECT_EQ(result.errors, Errors{}) << literal;
    EXPECT_EQ(result.kind, ast::LiteralKind::Int) << literal;
    return std::get<int64_t>(result.value);
  };
  EXPECT_EQ(int_of("0"), 0);
  EXPECT_EQ(int_of("42"), 42);
  EXPECT_EQ(int_of("-1"), -1);
  EXPECT_EQ(int_of("-0"), 0);
  EXPECT_EQ(int_of("0x1f"), 31);
  EXPECT_EQ(int_of("0xFF"), 255);
  EXPECT_EQ(int_of("-0x10"), -16);
  EXPECT_EQ(int_of("0o755"), 493);
  EXPECT_EQ(int_of("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(int_of("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(int_of("0x7fffffffffffffff"), INT64_MAX);
  EXPECT_EQ(int_of("-0x8000000000000000"), INT64_MIN);
  EXPECT_EQ(int_of("0o777777777777777777777"), INT64_MAX);
  EXPECT_EQ(parse_literal("-0x10").spelling, "-0x10");
}

TEST(ParserLiterals, InvalidIntegers) {
  const std::string range =
      " does not fit in 64 bits (the range is -9223372036854775808 to "
      "9223372036854775807)";
  EXPECT_EQ(parse_literal("9223372036854775808").errors,
            Errors{"1:11: invalid-number: integer `9223372036854775808`" + range});
  EXPECT_EQ(parse_literal("-9223372036854775809").errors,
            Errors{"1:11: invalid-number: integer `-9223372036854775809`" + range});
  EXPECT_EQ(parse_literal("99999999999999999999999").errors,
            Errors{"1:11: invalid-number: integer `99999999999999999999999`" + range});
  EXPECT_EQ(parse_literal("0x8000000000000000").errors,
            Errors{"1:11: invalid-number: integer `0x8000000000000000`" + range});
  EXPECT_EQ(parse_literal("0o8").errors,
            Errors{"1:11: invalid-number: `0o8` is not a valid octal number"});
  EXPECT_EQ(parse_literal("0x").errors,
            Errors{"1:11: invalid-number: `0x` is not a valid hexadecimal number"});
  EXPECT_EQ(parse_literal("0xg").errors,
            Errors{"1:11: invalid-number: `0xg` is not a valid hexadecimal number"});
  EXPECT_EQ(parse_literal("0755").errors,
            Errors{"1:11: invalid-number: integer `0755` has a leading zero"});
  EXPECT_EQ(parse_literal("1.5").errors,
            Errors{"1:11: invalid-number: `1.5` is not a valid number (only whole numbers are "
                   "supported)"});
  EXPECT_EQ(parse_literal("1_000").errors,
            Errors{"1:11: invalid-number: `1_000` is not a valid number"});
  EXPECT_EQ(parse_literal("0b101").errors,
            Errors{"1:11: invalid-number: `0b101` is not a valid number"});
  LiteralResult bad = parse_literal("0o8");
  EXPECT_EQ(bad.kind, ast::LiteralKind::Int);
  EXPECT_EQ(std::get<int64_t>(bad.value), 0);
}

TEST(ParserLiterals, Durations) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  auto duration_of = [](const std::string& literal) {
    LiteralResult result = parse_literal(literal);
    EXPECT_EQ(result.errors, Errors{}) << literal;
    EXPECT_EQ(result.kind, ast::LiteralKind::Duration) << literal;
    return std::get<Duration>(result.value);
  };
  EXPECT_EQ(duration_of("500ms"), milliseconds(500));
  EXPECT_EQ(duration_of("10s"), seconds(10));
  EXPECT_EQ(duration_of("5m"), minutes(5));
  EXPECT_EQ(duration_of("1h"), hours(1));
  EXPECT_EQ(duration_of("0s"), seconds(0));
  EXPECT_EQ(duration_of("2562047h"), hours(2562047));  // the largest whole number of hours

  EXPECT_EQ(parse_literal("2562048h").errors,
            Errors{"1:11: invalid-duration: duration `2562048h` is too long (the longest is "
                   "about 292 years)"});
  EXPECT_EQ(parse_literal("99999999999999999999ms").errors,
            Errors{"1:11: invalid-duration: duration `99999999999999999999ms` is too long (the "
                   "longest is about 292 years)"});
  EXPECT_EQ(parse_literal("5d").errors,
            Errors{"1:11: invalid-duration: unknown duration unit `d` in `5d` (use ms, s, m or "
                   "h)"});
  EXPECT_EQ(parse_literal("5us").errors,
            Errors{"1:11: invalid-duration: unknown duration unit `us` in `5us` (use ms, s, m "
                   "or h)"});
  EXPECT_EQ(parse_literal("-5s").errors,
            Errors{"1:11: invalid-duration: a duration cannot be negative: `-5s`"});
}

TEST(ParserLiterals, IpAddresses) {
  auto address_of = [](const std::string& literal) {
    LiteralResult result = parse_literal(literal);
    EXPECT_EQ(result.errors, Errors{}) << literal;
    EXPECT_EQ(result.kind, ast::LiteralKind::Ip) << literal;
    return std::get<IpAddress>(result.value);
  };
  EXPECT_EQ(address_of("192.168.0.1").to_string(), "192.168.0.1");
  EXPECT_EQ(address_of("::1").to_string(), "::1");
  EXPECT_EQ(address_of("::").to_string(), "::");
  EXPECT_EQ(address_of("fe80::1").to_string(), "fe80::1");
  EXPECT_EQ(address_of("FE80::1").to_string(), "fe80::1");
  EXPECT_EQ(address_of("2001:db8:0:0:0:0:0:1").to_string(), "2001:db8::1");
  EXPECT_EQ(address_of("abcd::").to_string(), "abcd::");
  IpAddress mapped = address_of("::ffff:10.0.0.1");
  EXPECT_TRUE(mapped.is_v4);
  EXPECT_EQ(mapped.to_string(), "10.0.0.1");

  EXPECT_EQ(parse_literal("10.0.0.256").errors,
            Errors{"1:11: invalid-ip: invalid IP address `10.0.0.256`"});
  EXPECT_EQ(parse_literal("1.2.3").errors, Errors{"1:11: invalid-ip: invalid IP address `1.2.3`"});
  EXPECT_EQ(parse_literal("1:2:3").errors, Errors{"1:11: invalid-ip: invalid IP address `1:2:3`"});
  EXPECT_EQ(parse_literal("fe80:::1").errors,
            Errors{"1:11: invalid-ip: invalid IP address `fe80:::1`"});
  EXPECT_EQ(parse_literal("abc:xyz").errors,
            Errors{"1:11: invalid-ip: invalid IP address `abc:xyz`"});
  EXPECT_EQ(parse_literal("10.0.0.256").kind, ast::LiteralKind::Ip);
}

TEST(ParserLiterals, Networks) {
  auto network_of = [](const std::string& literal) {
    LiteralResult result = parse_literal(literal);
    EXPECT_EQ(result.errors, Errors{}) << literal;
    EXPECT_EQ(result.kind, ast::LiteralKind::Network) << literal;
    return std::get<IpNetwork>(result.value).to_string();
  };
  EXPECT_EQ(network_of("10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(network_of("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(network_of("192.168.1.1/32"), "192.168.1.1/32");
  EXPECT_EQ(network_of("2001:db8::/32"), "2001:db8::/32");
  EXPECT_EQ(network_of("fe80::/10"), "fe80::/10");
  EXPECT_EQ(network_of("::/0"), "::/0");
  EXPECT_EQ(network_of("::ffff:10.0.0.0/104"), "10.0.0.0/8");

  Parsed host_bits("list l = [10.0.0.1/8]");
  ASSERT_EQ(host_bits.errors(),
            Errors{"1:11: invalid-network: invalid network `10.0.0.1/8`: host bits are set below "
                   "the prefix length"});
  EXPECT_EQ(host_bits.diagnostics.all()[0].hint, "did you mean `10.0.0.0/8`?");
  Parsed v6_host_bits("list l = [fe80::1/10]");
  EXPECT_EQ(v6_host_bits.diagnostics.all().at(0).hint, "did you mean `fe80::/10`?");

  EXPECT_EQ(parse_literal("10.0.0.0/33").errors,
            Errors{"1:11: invalid-network: invalid network `10.0.0.0/33`: IPv4 prefix length "
                   "must be at most 32"});
  EXPECT_EQ(parse_literal("::/129").errors,
            Errors{"1:11: invalid-network: invalid network `::/129`: IPv6 prefix length must be "
                   "at most 128"});
  EXPECT_EQ(parse_literal("10.0.0.0/").errors,
            Errors{"1:11: invalid-network: invalid network `10.0.0.0/`: invalid prefix length"});
  EXPECT_EQ(parse_literal("10.0.0.300/8").errors,
            Errors{"1:11: invalid-network: invalid network `10.0.0.300/8`: invalid IP address"});
}

TEST(ParserLiterals, Booleans) {
  LiteralResult yes = parse_literal("true");
  EXPECT_EQ(yes.kind, ast::LiteralKind::Bool);
  EXPECT_EQ(std::get<bool>(yes.value), true);
  LiteralResult no = parse_literal("false");
  EXPECT_EQ(no.kind, ast::LiteralKind::Bool);
  EXPECT_EQ(std::get<bool>(no.value), false);
}

// ---- Comments -------------------------------------------------------------------------

TEST(ParserComments, AllCommentsAreRecordedWithRanges) {
  Parsed parsed(
      "# first\r\n"
      "rule r { # after brace\n"
      "  output \"# not a comment \\\" # still not\" # real\n"
      "}#tight\n"
      "# last, no newline");
  ASSERT_EQ(parsed.errors(), Errors{});
  std::vector<std::string> texts;
  for (const ast::Comment& comment : parsed.file.comments) {
    texts.push_back(comment.text);
    EXPECT_EQ(parsed.slice(comment.range), comment.text);
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"# first", "# after brace", "# real", "#tight",
                                             "# last, no newline"}));
}

// ---- Syntax errors ----------------------------------------------------------------------

TEST(ParserErrors, MessagesNameWhatWasExpectedAndWhatWasFound) {
  struct Case {
    const char* source;
    const char* error;
  };
  const Case cases[] = {
      {"rule foo {\n  on exec\n  when }\n",
       "3:8: syntax-error: expected an expression after `when`, found `}`"},
      {"\n\nrule foo {\n  on exec\n\n",
       "4:10: syntax-error: expected `}` to close rule `foo` "
       "(opened at line 3), found the end of the file"},
      {"rule foo {\n  on exec\n  wen x\n}",
       "3:3: syntax-error: expected a clause or `}` to close rule `foo` (opened at line 1), "
       "found `wen`"},
      {"rule", "1:5: syntax-error: expected a rule name after `rule`, found the end of the file"},
      {"rule a on exec }",
       "1:8: syntax-error: expected `{` to start the body of rule `a`, found `on`"},
      {"rule a.b {}", "1:6: syntax-error: expected a rule name after `rule`, found `a.b`"},
      {"rule a { on }", "1:13: syntax-error: expected an event name after `on`, found `}`"},
      {"rule a { on exec, }", "1:19: syntax-error: expected an event name after `,`, found `}`"},
      {"rule a { on file. }",
       "1:19: syntax-error: expected the rest of the event name after `.`, found `}`"},
      {"rule a { severity \"high\" }",
       "1:19: syntax-error: expected a severity (info, low, medium, high or critical) after "
       "`severity`, found `\"high\"`"},
      {"rule a { action }",
       "1:17: syntax-error: expected an action (alert, kill or deny) after `action`, found `}`"},
      {"rule a { enabled 1 }",
       "1:18: syntax-error: expected `true` or `false` after `enabled`, found `1`"},
      {"rule a { tags web }", "1:15: syntax-error: expected `[` after `tags`, found `web`"},
      {"rule a { tags [a b] }", "1:18: syntax-error: expected `,` or `]` after a tag, found `b`"},
      {"rule a { tags [a,,] }", "1:18: syntax-error: expected a tag or `]`, found `,`"},
      {"rule a { output alert }",
       "1:17: syntax-error: expected a string after `output`, found `alert`"},
      {"rule a { description }",
       "1:22: syntax-error: expected a string after `description`, found `}`"},
      {"rule a { when a and }",
       "1:21: syntax-error: expected an expression after `and`, found `}`"},
      {"rule a { when a or }", "1:20: syntax-error: expected an expression after `or`, found `}`"},
      {"rule a { when not }", "1:19: syntax-error: expected an expression after `not`, found `}`"},
      {"rule a { when not in x }",
       "1:19: syntax-error: expected an expression after `not`, found `in`"},
      {"rule a { when x not y }", "1:21: syntax-error: expected `in` after `not`, found `y`"},
      {"rule a { when x = 1 }",
       "1:17: syntax-error: `=` is not a comparison operator; use `==` to test equality"},
      {"rule a { when x == }",
       "1:20: syntax-error: expected a value, list or field after `==`, found `}`"},
      {"rule a { when x not in }",
       "1:24: syntax-error: expected a value, list or field after `not in`, found `}`"},
      {"rule a { when 1 < x < 2 }",
       "1:21: syntax-error: comparisons cannot be chained: found `<` after a complete "
       "comparison"},
      {"rule a { when (x == 1 }",
       "1:23: syntax-error: expected `)` to close the `(` at line 1, column 15, found `}`"},
      {"rule a { when () }", "1:16: syntax-error: expected an expression after `(`, found `)`"},
      {"rule a { when x. == 1 }",
       "1:18: syntax-error: expected a field name after `.`, found `==`"},
      {"rule a { when x == 1 y == 2 }",
       "1:22: syntax-error: expected a clause or `}` to close rule `a` (opened at line 1), found "
       "`y`"},
      {"list l [1]", "1:8: syntax-error: expected `=` after list name `l`, found `[`"},
      {"list l = 1", "1:10: syntax-error: expected `[` to start the items of list `l`, found `1`"},
      {"list l = [1 2]", "1:13: syntax-error: expected `,` or `]` after a list item, found `2`"},
      {"list l = [1,,2]",
       "1:13: syntax-error: expected a list item (a literal or a list name) or `]`, found `,`"},
      {"list l = [[1]]",
       "1:11: syntax-error: expected a list item (a literal or a list name) or `]`, found `[`"},
      {"list l = [a.b]",
       "1:11: syntax-error: expected a list item (a literal or a list name) or `]`, found `a.b`"},
      {"macro m a", "1:9: syntax-error: expected `=` after macro name `m`, found `a`"},
      {"macro m =",
       "1:10: syntax-error: expected an expression after `=` in macro `m`, found the "
       "end of the file"},
      {"macro m = a b",
       "1:13: syntax-error: expected `and`, `or` or a new declaration after macro `m`, found `b`"},
      {"list l = [1] x",
       "1:14: syntax-error: expected a new declaration after list `l`, found `x`"},
      {"extend x", "1:8: syntax-error: expected `rule` or `list` after `extend`, found `x`"},
      {"extend list l = [1]",
       "1:15: syntax-error: expected `[` with the items to add to list `l`, found `=`"},
      {"extend rule r on",
       "1:15: syntax-error: expected `{` to start the body of the extension "
       "of rule `r`, found `on`"},
      {"disable r", "1:9: syntax-error: expected `rule` after `disable`, found `r`"},
      {"disable rule",
       "1:13: syntax-error: expected a rule name after `disable rule`, found the "
       "end of the file"},
      {"foo",
       "1:1: syntax-error: expected a declaration (`rule`, `list`, `macro`, `extend` or "
       "`disable`), found `foo`"},
      {"rule a {}\n}",
       "2:1: syntax-error: expected a declaration (`rule`, `list`, `macro`, "
       "`extend` or `disable`), found `}`"},
      {"rule a { output \"abc }\n", "1:17: unterminated-string: unterminated string literal"},
      {"rule a { output \"abc\\", "1:17: unterminated-string: unterminated string literal"},
      {"rule a { when x == @ }",
       "1:20: syntax-error: expected a value, list or field after `==`, found `@`"},
      {"rule a { when x == - 1 }",
       "1:20: syntax-error: expected a value, list or field after `==`, found `-`"},
      {"rule a { when x == \x01 }",
       "1:20: syntax-error: expected a value, list or field after `==`, found a control "
       "character (0x01)"},
      {"rule a { when x == \xC3\xA9 }",
       "1:20: syntax-error: expected a value, list or field after `==`, found `\xC3\xA9`"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Parsed(c.source).errors(), Errors{c.error}) << c.source;
  }
}

TEST(ParserErrors, ErrorRangesCoverTheOffendingToken) {
  Parsed parsed("rule a { when x == 1 process.exe }");
  ASSERT_EQ(parsed.diagnostics.all().size(), 1u);
  EXPECT_EQ(parsed.slice(parsed.diagnostics.all()[0].range), "process.exe");

  Parsed unterminated("rule a {\r\n  output \"abc\r\n}");
  ASSERT_EQ(unterminated.diagnostics.all().size(), 1u);
  EXPECT_EQ(unterminated.slice(unterminated.diagnostics.all()[0].range), "\"abc");

  Parsed at_end("rule a {");
  ASSERT_EQ(at_end.diagnostics.all().size(), 1u);
  EXPECT_EQ(at_end.diagnostics.all()[0].range.begin, 8u);
  EXPECT_EQ(at_end.diagnostics.all()[0].range.end, 8u);
}

TEST(ParserErrors, HintsSuggestTheFix) {
  auto hint_of = [](const char* source) {
    Parsed parsed(source);
    EXPECT_EQ(parsed.diagnostics.all().size(), 1u) << source;
    return parsed.diagnostics.all().empty() ? std::string()
                                            : parsed.diagnostics.all()[0].hint.value_or("");
  };
  EXPECT_EQ(hint_of("rule a { when x == 1 y == 2 }"),
            "to continue the condition, join it with `and` or `or`");
  EXPECT_EQ(hint_of("rule a { sevrity high }"), "did you mean `severity`?");
  EXPECT_EQ(hint_of("rule a { colour high }"),
            "clauses start with on, when, except, severity, tags, output, action, enabled, "
            "description, mode, fallback, threshold, sequence or dedup");
  EXPECT_EQ(hint_of("when x == 1"), "clauses such as `when` belong inside a rule's `{ ... }`");
  EXPECT_EQ(hint_of("Rule a {}"), "keywords are written in lower case");
  EXPECT_EQ(hint_of("extend list l = [1]"),
            "`extend list` takes no `=`: write `extend list l [ ... ]`");
  EXPECT_EQ(hint_of("list l = [1, [2]]"),
            "lists cannot be nested; give the inner list a name and use the name as an item");
  EXPECT_EQ(hint_of("rule a.b {}"), "names cannot contain dots");
  EXPECT_EQ(hint_of("list l = [0755]"),
            "write 0o755 for an octal number, or leave out the leading zeros");
}

// ---- Recovery -------------------------------------------------------------------------

TEST(ParserRecovery, ReportsOneErrorPerBrokenDeclarationAndKeepsTheGoodOnes) {
  Parsed parsed(R"(rule good_one { on exec }
rule broken_one {
  on exec
  when process.exe ==
}
list good_list = ["a"]
list broken_list = ["a" "b"]
macro broken_macro = (a or
macro good_macro = a
  rule indented_after_error { on exec }
extend rule broken_extension { severity }
disable rule good_disable
)");
  EXPECT_EQ(parsed.errors(),
            (Errors{"5:1: syntax-error: expected a value, list or field after `==`, found `}`",
                    "7:25: syntax-error: expected `,` or `]` after a list item, found `\"b\"`",
                    "9:1: syntax-error: expected an expression after `or`, found `macro`",
                    "11:41: syntax-error: expected a severity (info, low, medium, high or "
                    "critical) after `severity`, found `}`"}));
  std::vector<std::string> names;
  for (const ast::Decl& decl : parsed.file.decls) names.push_back(decl.name.text);
  EXPECT_EQ(names, (std::vector<std::string>{"good_one", "good_list", "good_macro",
                                             "indented_after_error", "good_disable"}));
}

TEST(ParserRecovery, ResumesOnlyAtDeclarationKeywordsThatStartALine) {
  // `rule` inside the broken declaration's line is not a resumption point,
  // nor is `listing` (not a keyword) at the start of a line.
  Parsed parsed("rule a { when x == } rule b {}\nlisting\nrule c {}\n");
  EXPECT_EQ(parsed.errors(),
            Errors{"1:20: syntax-error: expected a value, list or field after `==`, found `}`"});
  ASSERT_EQ(parsed.file.decls.size(), 1u);
  EXPECT_EQ(parsed.file.decls[0].name.text, "c");
}

TEST(ParserRecovery, StopsAfterTooManyErrors) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "rule r" + std::to_string(i) + " { when }\n";
  Parsed parsed(text);
  ASSERT_EQ(parsed.diagnostics.all().size(), ParseState::kMaxErrorsPerFile + 1);
  EXPECT_EQ(parsed.diagnostics.all().back().code, "too-many-errors");
}

// ---- Hostile input ------------------------------------------------------------------------

std::string repeat(const std::string& text, size_t count) {
  std::string out;
  out.reserve(text.size() * count);
  for (size_t i = 0; i < count; ++i) out += text;
  return out;
}

TEST(ParserHostile, DeepParenthesesAreAnErrorNotAStackOverflow) {
  Parsed deep("rule a { on exec when " + repeat("(", 10000) + "x" + repeat(")", 10000) +
              " }\nrule b {}");
  ASSERT_EQ(deep.errors(),
            Errors{"1:279: nesting-too-deep: expression is nested too deeply (more than 256 "
                   "levels of parentheses and `not`)"});
  ASSERT_EQ(deep.file.decls.size(), 1u);
  EXPECT_EQ(deep.file.decls[0].name.text, "b");

  Parsed limit("macro m = " + repeat("(", 256) + "x" + repeat(")", 256));
  EXPECT_EQ(limit.errors(), Errors{});
  Parsed over("macro m = " + repeat("(", 257) + "x" + repeat(")", 257));
  EXPECT_EQ(over.errors().size(), 1u);
}

TEST(ParserHostile, DeepNotIsAnErrorNotAStackOverflow) {
  Parsed deep("macro m = " + repeat("not ", 10000) + "x");
  ASSERT_EQ(deep.errors(),
            Errors{"1:1035: nesting-too-deep: expression is nested too deeply (more than 256 "
                   "levels of parentheses and `not`)"});
  EXPECT_EQ(Parsed("macro m = " + repeat("not ", 256) + "x").errors(), Errors{});
  // Parentheses and `not` count together.
  EXPECT_EQ(Parsed("macro m = " + repeat("not (", 128) + "x" + repeat(")", 128)).errors(),
            Errors{});
  EXPECT_EQ(Parsed("macro m = " + repeat("not (", 129) + "x" + repeat(")", 129)).errors().size(),
            1u);
}

TEST(ParserHostile, DeepListsAndLongChainsAreFine) {
  Parsed lists("list l = " + repeat("[", 10000));
  EXPECT_EQ(lists.errors().size(), 1u);
  // Long flat chains are not nesting.
  Parsed chain("macro m = x" + repeat(" and x", 20000));
  ASSERT_EQ(chain.errors(), Errors{});
  EXPECT_EQ(chain.file.decls[0].body->children.size(), 20001u);
  Parsed items("list l = [" + repeat("1, ", 20000) + "]");
  ASSERT_EQ(items.errors(), Errors{});
  EXPECT_EQ(items.file.decls[0].body->children.size(), 20000u);
}

TEST(ParserHostile, NulBytesAreReportedWithTheirLocation) {
  static constexpr char kText[] = "rule a {\n  on exec\0\n}\nlist l = [\"a\0b\"]\n";
  Parsed parsed(std::string(kText, sizeof kText - 1));
  EXPECT_EQ(parsed.errors(),
            Errors{"2:10: nul-byte: NUL byte in the file; policy files must be text"});
  EXPECT_EQ(parsed.file.decls.size(), 2u);  // the NUL does not hide the declarations
}

TEST(ParserHostile, InvalidUtf8IsReportedAtTheFirstBadByteAndParsingContinues) {
  Parsed parsed(
      "# caf\xC3\xA9 is fine, \xFF is not\n"
      "rule a { output \"\xE2\x82\" }\n"
      "rule b { when x == 1 }\n"
      "rule c { on \xC0\xAF }\n");
  EXPECT_EQ(parsed.errors(),
            (Errors{"1:17: invalid-utf8: invalid UTF-8 byte 0xff; policy files must be UTF-8 "
                    "text",
                    "4:13: syntax-error: expected an event name after `on`, found an invalid "
                    "UTF-8 byte (0xc0)"}));
  ASSERT_EQ(parsed.file.decls.size(), 2u);
  EXPECT_EQ(parsed.file.decls[1].name.text, "b");

  // Overlong encodings, surrogates and truncated sequences are invalid too.
  for (const char* bad : {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80"}) {
    Parsed one(std::string("# ") + bad + "\n");
    ASSERT_EQ(one.diagnostics.all().size(), 1u) << bad;
    EXPECT_EQ(one.diagnostics.all()[0].code, "invalid-utf8");
    EXPECT_EQ(one.diagnostics.all()[0].range.begin, 2u);
  }
}

TEST(ParserHostile, CrlfLineEndsWork) {
  Parsed parsed("# comment\r\nrule a {\r\n  on exec\r\n  when x == 1\r\n}\r\n");
  ASSERT_EQ(parsed.errors(), Errors{});
  ASSERT_EQ(parsed.file.decls.size(), 1u);
  EXPECT_EQ(parsed.file.comments[0].text, "# comment");
  EXPECT_EQ(parsed.slice(parsed.file.decls[0].clauses[1].range), "when x == 1");
  Parsed error("rule a {\r\n  when\r\n}\r\n");
  EXPECT_EQ(error.errors(),
            Errors{"3:1: syntax-error: expected an expression after `when`, found `}`"});
}

TEST(ParserHostile, TruncatedInputIsAnErrorNotACrash) {
  const std::string full =
      "rule a { on exec when (x == \"s\\n\" and y in [1, 10.0.0.0/8]) or not z severity high "
      "tags [t] output \"o\" } # end";
  for (size_t length = 1; length < full.size(); ++length) {
    Parsed parsed(full.substr(0, length));
    (void)parsed.errors();  // anything but a crash or hang
  }
}

TEST(ParserHostile, RandomBytesNeverCrash) {
  std::mt19937 random(12345);
  const std::string alphabet =
      "rule list macro when on and or not in ( ) [ ] { } \" \\ # , . = "
      "< > ! - : / 0 1 x \n\t\r";
  for (int round = 0; round < 300; ++round) {
    std::string text;
    size_t length = random() % 400;
    for (size_t i = 0; i < length; ++i) {
      if (random() % 3 == 0) {
        text += static_cast<char>(random() % 256);
      } else {
        text += alphabet[random() % alphabet.size()];
      }
    }
    Parsed parsed(text);
    for (const Diagnostic& d : parsed.diagnostics.all()) {
      EXPECT_LE(d.range.begin, d.range.end);
      EXPECT_LE(d.range.end, text.size());
    }
  }
}

TEST(ParserHostile, CommentsInsideDeepNestingStayLinear) {
  // Every nesting level retries whitespace after its operand; a long comment
  // there must not be rescanned per level.
  std::string comment_block = repeat("# padding padding padding padding\n", 20000);
  Parsed parsed("macro m = " + repeat("(", 250) + "x" + comment_block + repeat(")", 250));
  EXPECT_EQ(parsed.errors(), Errors{});
  EXPECT_EQ(parsed.file.comments.size(), 20000u);
}

TEST(ParserHostile, LargeFileParses) {
  const std::string rule =
      "# rule\nrule r {\n  on exec, file.open\n  when process.exe in [\"/bin/sh\", \"/bin/bash\"] "
      "and (parent.comm == \"nginx\" or parent.comm startswith \"php\")\n    and not "
      "process.args contains \"-c\" and net.dport > 1024 and process.start_time < 5m\n  except "
      "net.daddr in [10.0.0.0/8, fe80::/10]\n  severity high\n  tags [T1059.004, web]\n  output "
      "\"shell {process.exe}\"\n}\n";
  Parsed parsed(repeat(rule, 500));
  EXPECT_EQ(parsed.errors(), Errors{});
  EXPECT_EQ(parsed.file.decls.size(), 500u);
  EXPECT_EQ(parsed.file.comments.size(), 500u);
}

}  // namespace
}  // namespace vigil
