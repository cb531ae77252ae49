// Tests for `vigil fmt` (compiler/format.h): the canonical layout, comment
// placement, and the three properties every output must have: it re-parses
// to the same AST, it keeps every comment, and formatting it again changes
// nothing.
#include "compiler/format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/parser.h"
#include "tests/unit/parsed_text.h"

namespace vigil {
namespace {

std::string format_text(const std::string& text) {
  Parsed parsed(text);
  EXPECT_FALSE(parsed.diagnostics.has_errors()) << parsed.first_error() << "\n" << text;
  return parsed.format();
}

std::vector<std::string> comment_texts(const ast::File& file) {
  std::vector<std::string> texts;
  for (const ast::Comment& comment : file.comments) {
    std::string text = comment.text;
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
    texts.push_back(text);
  }
  return texts;
}

// Formats `text` and checks the properties every formatted file must have.
void check_format_properties(const std::string& text, const std::string& label) {
  SCOPED_TRACE(label);
  Parsed original(text);
  ASSERT_FALSE(original.diagnostics.has_errors()) << original.first_error() << "\n" << text;
  std::string formatted = original.format();

  Parsed reparsed(formatted);
  ASSERT_FALSE(reparsed.diagnostics.has_errors()) << reparsed.first_error() << "\n--- input\n"
                                                  << text << "\n--- formatted\n"
                                                  << formatted;
  EXPECT_EQ(ast::structure_string(reparsed.file), ast::structure_string(original.file))
      << formatted;
  EXPECT_EQ(comment_texts(reparsed.file), comment_texts(original.file))
      << "--- input\n"
      << text << "\n--- formatted\n"
      << formatted;
  EXPECT_EQ(reparsed.format(), formatted) << "--- input\n"
                                          << text << "\n--- formatted\n"
                                          << formatted;

  if (!formatted.empty()) {
    EXPECT_EQ(formatted.back(), '\n');
  }
  std::istringstream lines(formatted);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(line.empty() || (line.back() != ' ' && line.back() != '\t'))
        << "trailing whitespace: [" << line << "]";
    EXPECT_EQ(line.find('\t'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
}

// ---- Layout -----------------------------------------------------------------------

TEST(FormatLayout, CanonicalLayoutOfAMessyFile) {
  const std::string messy = R"(list   web_servers=["nginx","apache2" ,  "httpd",]
macro   m=a==1 and
   b==2
rule   r1{on exec,fork when a==1 and(b!=2 or c in [1,2,3])
severity high tags [T1, "x y",web]   output "o"
action alert enabled false description "d" except process.args contains"-c"}
extend rule r1 {except x == 1}
extend list web_servers ["lighttpd"]
disable   rule r2
)";
  EXPECT_EQ(format_text(messy), R"(list web_servers = ["nginx", "apache2", "httpd"]

macro m = a == 1 and b == 2

rule r1 {
  on exec, fork
  when a == 1 and (b != 2 or c in [1, 2, 3])
  severity high
  tags [T1, "x y", web]
  output "o"
  action alert
  enabled false
  description "d"
  except process.args contains "-c"
}

extend rule r1 {
  except x == 1
}

extend list web_servers ["lighttpd"]

disable rule r2
)");
}

TEST(FormatLayout, LiteralsKeepTheirSpelling) {
  EXPECT_EQ(format_text("macro m = x in [0x1F, 0o755, -1, 5m, 500ms, ::FFFF:10.0.0.1, "
                        "FE80::/10, \"a\\x41\\n\", true]"),
            "macro m = x in [0x1F, 0o755, -1, 5m, 500ms, ::FFFF:10.0.0.1, FE80::/10, "
            "\"a\\x41\\n\", true]\n");
}

TEST(FormatLayout, EmptyFileAndEmptyRule) {
  EXPECT_EQ(format_text(""), "");
  EXPECT_EQ(format_text("\n\n  \n"), "");
  EXPECT_EQ(format_text("rule r {  }"), "rule r {}\n");
  EXPECT_EQ(format_text("list l = [ ]"), "list l = []\n");
}

TEST(FormatLayout, ListsBreakOnePerLineWhenTheyDoNotFitIn100Columns) {
  // "list l = [" is 10 columns; eight 10-column items with ", " make 10 + 94 + 1 = 105.
  std::string items;
  for (int i = 0; i < 8; ++i) {
    items += std::string(i ? ", " : "") + "\"item" + std::to_string(i) + "xxx\"";
  }
  EXPECT_EQ(format_text("list l = [" + items + "]"),
            "list l = [\n"
            "  \"item0xxx\",\n  \"item1xxx\",\n  \"item2xxx\",\n  \"item3xxx\",\n"
            "  \"item4xxx\",\n  \"item5xxx\",\n  \"item6xxx\",\n  \"item7xxx\",\n"
            "]\n");
  // Exactly 100 columns still fits.
  std::string exact = "list l = [\"" + std::string(87, 'a') + "\"]";
  ASSERT_EQ(exact.size(), 100u);
  EXPECT_EQ(format_text(exact), exact + "\n");
  std::string over = "list l = [\"" + std::string(88, 'a') + "\"]";
  EXPECT_EQ(format_text(over), "list l = [\n  \"" + std::string(88, 'a') + "\",\n]\n");
  // Columns count code points, not bytes.
  std::string wide = "list l = [\"" + std::string(86, 'a') + "\xC3\xA9\"]";
  EXPECT_EQ(format_text(wide), wide + "\n");
}

TEST(FormatLayout, TagListsBreakLikeOtherLists) {
  std::string tags;
  for (int i = 0; i < 12; ++i)
    tags += std::string(i ? ", " : "") + "T10" + std::to_string(i) + ".001";
  EXPECT_EQ(format_text("rule r { tags [" + tags + "] }"),
            "rule r {\n  tags [\n    T100.001,\n    T101.001,\n    T102.001,\n    T103.001,\n"
            "    T104.001,\n    T105.001,\n    T106.001,\n    T107.001,\n    T108.001,\n"
            "    T109.001,\n    T1010.001,\n    T1011.001,\n  ]\n}\n");
}

TEST(FormatLayout, LongConditionsBreakBeforeTopLevelAndOr) {
  EXPECT_EQ(format_text("rule r { when process.exe == \"/usr/bin/something\" and parent.comm in "
                        "web_servers and not process.args contains \"xyz\" }"),
            "rule r {\n"
            "  when process.exe == \"/usr/bin/something\"\n"
            "      and parent.comm in web_servers\n"
            "      and not process.args contains \"xyz\"\n"
            "}\n");
  EXPECT_EQ(format_text("macro m = process.exe == \"/usr/bin/something-long\" and parent.comm in "
                        "web_servers or net.dport > 1024 and net.sport < 100000000000000"),
            "macro m = process.exe == \"/usr/bin/something-long\" and parent.comm in web_servers\n"
            "    or net.dport > 1024 and net.sport < 100000000000000\n");
  // An operand that is itself too long is broken one level deeper.
  EXPECT_EQ(format_text("macro m = process.exe == \"/usr/bin/something-long-long-long-long\" and "
                        "parent.comm in web_servers_and_more or x == 1"),
            "macro m = process.exe == \"/usr/bin/something-long-long-long-long\"\n"
            "        and parent.comm in web_servers_and_more\n"
            "    or x == 1\n");
}

TEST(FormatLayout, ConditionsBreakOnlyPast100Columns) {
  std::string exact = "macro m = x" + std::string(73, 'x') + " == 1 and y == 2";
  ASSERT_EQ(exact.size(), 100u);
  EXPECT_EQ(format_text(exact), exact + "\n");
  std::string over = "macro m = x" + std::string(74, 'x') + " == 1 and y == 2";
  EXPECT_EQ(format_text(over), "macro m = x" + std::string(74, 'x') + " == 1\n    and y == 2\n");
  std::string not_in = "macro m = x" + std::string(70, 'x') + " not in [1, 2] or y";
  ASSERT_EQ(not_in.size(), 100u);
  EXPECT_EQ(format_text(not_in), not_in + "\n");
  EXPECT_EQ(format_text(not_in + "y"),
            "macro m = x" + std::string(70, 'x') + " not in [1, 2]\n    or yy\n");
}

TEST(FormatLayout, LongParenthesisedConditionsBreakInsideTheParentheses) {
  EXPECT_EQ(
      format_text("rule r { when file.write and (file.path glob \"/etc/cron*/**\" or file.path "
                  "startswith \"/var/spool/cron/\" or file.path == \"/etc/crontab\") }"),
      "rule r {\n"
      "  when file.write\n"
      "      and (file.path glob \"/etc/cron*/**\"\n"
      "          or file.path startswith \"/var/spool/cron/\"\n"
      "          or file.path == \"/etc/crontab\")\n"
      "}\n");
  EXPECT_EQ(format_text("macro m = not (file.path glob \"/etc/cron*/**\" or file.path startswith "
                        "\"/var/spool/cron/\" or file.path == \"/etc/crontab\")"),
            "macro m = not (file.path glob \"/etc/cron*/**\"\n"
            "    or file.path startswith \"/var/spool/cron/\"\n"
            "    or file.path == \"/etc/crontab\")\n");
}

// ---- Comments -------------------------------------------------------------------------

TEST(FormatComments, OwnLineAndTrailingCommentsStayInPlace) {
  const std::string input = R"(# header comment


# about the list
list   web = ["nginx"]   # trailing list
list commented = [ # header
  "a", # first
  # before b
  "b"
  # before close
]   # after close
rule r1 {  # after brace
  # before on
  on exec   # events
  when a == 1  # first cond
    and b == 2 # second
  # own line before action
  action alert
  # before close
}   # after rule
disable rule r2 # bye
# trailing file comment
)";
  EXPECT_EQ(format_text(input), R"(# header comment

# about the list
list web = ["nginx"]  # trailing list

list commented = [  # header
  "a",  # first
  # before b
  "b",
  # before close
]  # after close

rule r1 {  # after brace
  # before on
  on exec  # events
  when a == 1  # first cond
      and b == 2  # second
  # own line before action
  action alert
  # before close
}  # after rule

disable rule r2  # bye

# trailing file comment
)");
}

TEST(FormatComments, CommentsInsideAOneLineConstructMoveAboveIt) {
  EXPECT_EQ(format_text("rule r {\n  on exec, # mid\n  fork\n  when x in [1, # one\n 2]\n}"),
            "rule r {\n  # mid\n  on exec, fork\n  # one\n  when x in [1, 2]\n}\n");
  EXPECT_EQ(format_text("disable # why\n rule r"), "# why\ndisable rule r\n");
}

TEST(FormatComments, BlankLinesBetweenTopLevelCommentGroupsAreKeptButCollapsed) {
  EXPECT_EQ(format_text("# a\n\n\n\n# b\n# c\n\nrule r {}\n\n\n\n# d\nrule s {}\n"),
            "# a\n\n# b\n# c\n\nrule r {}\n\n# d\nrule s {}\n");
}

TEST(FormatComments, CrlfAndTrailingWhitespaceInCommentsAreNormalised) {
  EXPECT_EQ(format_text("# a   \r\nrule r {}\t# b \t\r\n"), "# a\nrule r {}  # b\n");
}

// ---- Properties over many inputs -------------------------------------------------------------

const char* const kHandWritten[] = {
    "",
    "# only a comment",
    "rule a { on exec }",
    "rule a{on exec when(((x==1)))}",
    "macro m = not not (a or not b) and c",
    "rule r {\n  when a # 1\n  # 2\n  and # 3\n  b # 4\n  # 5\n  or c # 6\n}",
    "rule r { when (a # in paren\n or b) and c }",
    "rule r { when (a or # in paren\n b) and c }",
    "rule r { when (a or b # before close\n ) and c }",
    "rule r { when not (a or # x\n b) }",
    "rule r { tags [ # h\n a, # b\n \"c d\" # c\n # e\n ] # f\n}",
    "rule r { tags [] output \"{x}\" # o\n description \"d\" }",
    "list l = [\n# only comment\n]",
    "list l = [] # t\nlist m = [1, 2]",
    "rule r {\n# only a comment inside\n}",
    "rule r # before brace\n{ on exec }",
    "rule r { on exec } # a\n# b\n\n\n# c\nrule s { on exec }",
    "macro m = a and # c1\n b # c2\nmacro n = x",
    "extend rule r { except a == 1 # x\n except b == 2 }",
    "extend list l [ # x\n 1 ]",
    "macro m = x == 1 # trailing at end of file without newline",
    "rule r { when a == 1 and b == 2 and c == 3 and d == 4 and e == 5 and f == 6 and g == 7 and "
    "h == 8 and i == 9 }",
    "rule r { when (a == 1 or b == 2 or c == 3 or d == 4 or e == 5 or f == 6 or g == 7 or h == "
    "8) and i == 9 }",
    "rule r { when x in [\"aaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbbbbbb\", "
    "\"cccccccccccccccccccccccc\", \"ddddddddddddddddddddd\"] }",
    "\xEF\xBB\xBF# bom\r\nrule r {\r\n  on exec\r\n}\r\n",
};

TEST(FormatProperties, HandWrittenInputs) {
  for (const char* input : kHandWritten) check_format_properties(input, input);
}

TEST(FormatProperties, ShippedPoliciesAndGoldenCases) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const char* directory : {"policies", "tests/golden/cases"}) {
    fs::path root = fs::path(VIGIL_SOURCE_DIR) / directory;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.path().extension() != ".vigil") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream buffer;
      buffer << in.rdbuf();
      Parsed parsed(buffer.str());
      if (parsed.diagnostics.has_errors()) continue;  // syntax-error cases
      check_format_properties(buffer.str(), entry.path().string());
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

// Random valid programs with random spacing and comments everywhere.
class ProgramGenerator {
 public:
  explicit ProgramGenerator(unsigned seed) : random_(seed) {}

  std::string program() {
    tokens_.clear();
    int declarations = pick(6) + 1;
    for (int i = 0; i < declarations; ++i) declaration();
    std::string out;
    for (size_t i = 0; i < tokens_.size(); ++i) {
      if (i > 0) out += separator();
      out += tokens_[i];
    }
    if (chance(2)) out += " # end\n";
    return out;
  }

 private:
  int pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }
  bool chance(int one_in) { return pick(one_in) == 0; }
  void emit(std::string token) { tokens_.push_back(std::move(token)); }

  std::string separator() {
    switch (pick(12)) {
      case 0: return "\n";
      case 1: return "\n\n  ";
      case 2: return "  # comment " + std::to_string(comment_number_++) + "\n";
      case 3: return "\n# own line " + std::to_string(comment_number_++) + "\n\n";
      case 4: return "\t";
      case 5: return "\r\n";
      default: return " ";
    }
  }

  std::string name() {
    static const char* const kNames[] = {"a", "web_servers", "shells", "x1", "ruler", "index"};
    return kNames[pick(6)];
  }
  std::string field() {
    static const char* const kFields[] = {"process.exe", "parent.comm", "net.dport",
                                          "process.ancestors.comm", "file.path"};
    return kFields[pick(5)];
  }
  std::string literal() {
    static const char* const kLiterals[] = {
        "1",
        "-42",
        "0x1f",
        "0o755",
        "5m",
        "500ms",
        "10.0.0.1",
        "::1",
        "fe80::/10",
        "10.0.0.0/8",
        "true",
        "\"str\"",
        "\"esc\\\"aped\\n\"",
        "\"a long string literal to push lines past the column limit\""};
    return kLiterals[pick(14)];
  }

  void list() {
    emit("[");
    int items = pick(4) == 0 ? pick(14) : pick(4);
    for (int i = 0; i < items; ++i) {
      emit(chance(4) ? name() : literal());
      if (i + 1 < items || chance(3)) emit(",");
    }
    emit("]");
  }

  void comparison() {
    static const char* const kOps[] = {"==",       "!=",   "<",      "<=",         ">",
                                       ">=",       "in",   "not in", "startswith", "endswith",
                                       "contains", "glob", "matches"};
    emit(field());
    std::string op = kOps[pick(13)];
    if (op == "not in") {
      emit("not");
      emit("in");
    } else {
      emit(op);
    }
    switch (pick(4)) {
      case 0: list(); break;
      case 1: emit(name()); break;
      case 2: emit(field()); break;
      default: emit(literal()); break;
    }
  }

  void expression(int depth) {
    int choice = depth > 3 ? 0 : pick(6);
    switch (choice) {
      case 0:
      case 1: comparison(); return;
      case 2:
        emit("not");
        expression(depth + 1);
        return;
      case 3:
        emit("(");
        expression(depth + 1);
        emit(")");
        return;
      default: {
        int operands = pick(4) + 2;
        std::string op = chance(2) ? "and" : "or";
        for (int i = 0; i < operands; ++i) {
          if (i > 0) emit(op);
          expression(depth + 1);
        }
        return;
      }
    }
  }

  void clauses() {
    int count = pick(7);
    for (int i = 0; i < count; ++i) {
      switch (pick(9)) {
        case 0:
          emit("on");
          emit("exec");
          if (chance(2)) {
            emit(",");
            emit("file.open");
          }
          break;
        case 1:
          emit("when");
          expression(0);
          break;
        case 2:
          emit("except");
          expression(0);
          break;
        case 3:
          emit("severity");
          emit("high");
          break;
        case 4:
          emit("tags");
          emit("[");
          for (int t = 0, n = pick(6); t < n; ++t) {
            if (t > 0) emit(",");
            emit(chance(3) ? "\"quoted tag\"" : "T1059.00" + std::to_string(t));
          }
          emit("]");
          break;
        case 5:
          emit("output");
          emit("\"out {process.exe}\"");
          break;
        case 6:
          emit("action");
          emit("alert");
          break;
        case 7:
          emit("enabled");
          emit(chance(2) ? "true" : "false");
          break;
        default:
          emit("description");
          emit("\"desc\"");
          break;
      }
    }
  }

  void declaration() {
    switch (pick(6)) {
      case 0:
        emit("rule");
        emit(name());
        emit("{");
        clauses();
        emit("}");
        return;
      case 1:
        emit("list");
        emit(name());
        emit("=");
        list();
        return;
      case 2:
        emit("macro");
        emit(name());
        emit("=");
        expression(0);
        return;
      case 3:
        emit("extend");
        emit("rule");
        emit(name());
        emit("{");
        clauses();
        emit("}");
        return;
      case 4:
        emit("extend");
        emit("list");
        emit(name());
        list();
        return;
      default:
        emit("disable");
        emit("rule");
        emit(name());
        return;
    }
  }

  std::mt19937 random_;
  std::vector<std::string> tokens_;
  int comment_number_ = 0;
};

TEST(FormatProperties, RandomProgramsWithCommentsEverywhere) {
  for (unsigned seed = 1; seed <= 400; ++seed) {
    ProgramGenerator generator(seed);
    check_format_properties(generator.program(), "seed " + std::to_string(seed));
    if (HasFailure()) break;  // one failing program is enough to debug
  }
}

}  // namespace
}  // namespace vigil
