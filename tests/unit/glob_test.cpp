#include "compiler/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <string_view>

namespace vigil {
namespace {

TEST(Glob, LiteralsMatchWholeValueByteForByte) {
  EXPECT_TRUE(glob_matches("/etc/passwd", "/etc/passwd"));
  EXPECT_FALSE(glob_matches("/etc/passwd", "/etc/passwd2"));
  EXPECT_FALSE(glob_matches("/etc/passwd", "/etc/passw"));
  EXPECT_FALSE(glob_matches("/etc/passwd", "x/etc/passwd"));
  EXPECT_FALSE(glob_matches("/etc/passwd", "/ETC/passwd"));  // case-sensitive
  EXPECT_TRUE(glob_matches("", ""));
  EXPECT_FALSE(glob_matches("", "a"));
  EXPECT_FALSE(glob_matches("a", ""));
}

TEST(Glob, StarStopsAtSlash) {
  EXPECT_TRUE(glob_matches("/tmp/*", "/tmp/"));
  EXPECT_TRUE(glob_matches("/tmp/*", "/tmp/a"));
  EXPECT_TRUE(glob_matches("/tmp/*", "/tmp/.hidden"));
  EXPECT_FALSE(glob_matches("/tmp/*", "/tmp/a/b"));
  EXPECT_FALSE(glob_matches("/tmp/*", "/tmp//a/b"));
  EXPECT_FALSE(glob_matches("/tmp/*", "/tmp"));
  EXPECT_TRUE(glob_matches("*", ""));
  EXPECT_FALSE(glob_matches("*", "/"));
  EXPECT_TRUE(glob_matches("*.sh", "run.sh"));
  EXPECT_TRUE(glob_matches("*.sh", ".sh"));
  EXPECT_FALSE(glob_matches("*.sh", "dir/run.sh"));
  EXPECT_TRUE(glob_matches("/usr/*/bin/*", "/usr/local/bin/x"));
  EXPECT_FALSE(glob_matches("/usr/*/bin/*", "/usr/a/b/bin/x"));
  EXPECT_TRUE(glob_matches("a*b*c", "abc"));
  EXPECT_TRUE(glob_matches("a*b*c", "aXbYc"));
  EXPECT_TRUE(glob_matches("a*b*c", "abbbcbc"));
  EXPECT_FALSE(glob_matches("a*b*c", "abcx"));
}

TEST(Glob, TrailingSlashesAreNotFolded) {
  EXPECT_FALSE(glob_matches("/tmp/a", "/tmp/a/"));
  EXPECT_FALSE(glob_matches("/tmp/a/", "/tmp/a"));
  EXPECT_TRUE(glob_matches("/tmp/*/", "/tmp/a/"));
  EXPECT_FALSE(glob_matches("/tmp/*/", "/tmp/a"));
  EXPECT_FALSE(glob_matches("/tmp/a", "/tmp//a"));
}

TEST(Glob, QuestionMarkIsOneByteButNotSlash) {
  EXPECT_TRUE(glob_matches("/dev/tty?", "/dev/tty1"));
  EXPECT_FALSE(glob_matches("/dev/tty?", "/dev/tty"));
  EXPECT_FALSE(glob_matches("/dev/tty?", "/dev/tty12"));
  EXPECT_FALSE(glob_matches("a?b", "a/b"));
  EXPECT_TRUE(glob_matches("??", "ab"));
  // One byte, not one code point: "é" is two bytes.
  EXPECT_FALSE(glob_matches("?", "\xC3\xA9"));
  EXPECT_TRUE(glob_matches("??", "\xC3\xA9"));
  EXPECT_TRUE(glob_matches("?", std::string("\0", 1)));
}

TEST(Glob, DoubleStarCrossesSlashes) {
  EXPECT_TRUE(glob_matches("/etc/**", "/etc/"));
  EXPECT_TRUE(glob_matches("/etc/**", "/etc/a"));
  EXPECT_TRUE(glob_matches("/etc/**", "/etc/a/b/c"));
  EXPECT_FALSE(glob_matches("/etc/**", "/etc"));
  EXPECT_FALSE(glob_matches("/etc/**", "/etcx/a"));
  EXPECT_TRUE(glob_matches("**", ""));
  EXPECT_TRUE(glob_matches("**", "/any/thing"));
  EXPECT_TRUE(glob_matches("/home/**.ssh", "/home/u/.ssh"));
  EXPECT_TRUE(glob_matches("/home/**.ssh", "/home/.ssh"));
  EXPECT_TRUE(glob_matches("a**b", "ab"));
  EXPECT_TRUE(glob_matches("a**b", "a/x/b"));
  EXPECT_FALSE(glob_matches("a**b", "a/x/bc"));
}

TEST(Glob, DoubleStarSlashAlsoMatchesNothing) {
  EXPECT_TRUE(glob_matches("/etc/**/*.conf", "/etc/a.conf"));
  EXPECT_TRUE(glob_matches("/etc/**/*.conf", "/etc/x/a.conf"));
  EXPECT_TRUE(glob_matches("/etc/**/*.conf", "/etc/x/y/a.conf"));
  EXPECT_FALSE(glob_matches("/etc/**/*.conf", "/etc/x/y/a.confx"));
  EXPECT_FALSE(glob_matches("/etc/**/*.conf", "/etca.conf"));
  // `**/` matches "" or any run ending in '/', so an empty directory name fits.
  EXPECT_TRUE(glob_matches("/etc/**/*.conf", "/etc//a.conf"));
  // At the start: any depth, including none.
  EXPECT_TRUE(glob_matches("**/id_rsa", "id_rsa"));
  EXPECT_TRUE(glob_matches("**/id_rsa", "/home/u/.ssh/id_rsa"));
  EXPECT_FALSE(glob_matches("**/id_rsa", "/home/u/.ssh/id_rsa.pub"));
  EXPECT_FALSE(glob_matches("**/id_rsa", "xid_rsa"));
  // At the end.
  EXPECT_TRUE(glob_matches("/var/**/", "/var/"));
  EXPECT_TRUE(glob_matches("/var/**/", "/var/log/"));
  EXPECT_FALSE(glob_matches("/var/**/", "/var/log"));
  // Not preceded by '/': the rule still applies as written.
  EXPECT_TRUE(glob_matches("x**/y", "xy"));
  EXPECT_TRUE(glob_matches("x**/y", "xa/b/y"));
  // Two in a row.
  EXPECT_TRUE(glob_matches("/a/**/**/b", "/a/b"));
  EXPECT_TRUE(glob_matches("/a/**/**/b", "/a/x/y/z/b"));
}

TEST(Glob, ThreeOrMoreStarsActLikeTwo) {
  EXPECT_TRUE(glob_matches("/a/***", "/a/b/c"));
  EXPECT_TRUE(glob_matches("/a/***/c", "/a/c"));
  EXPECT_EQ(glob_pattern_warning("/a/***"), "`***` means the same as `**`; write `**`");
  EXPECT_EQ(glob_pattern_warning("/a/**/b"), std::nullopt);
}

TEST(Glob, NoCharacterClassesOrEscapes) {
  EXPECT_TRUE(glob_matches("/tmp/[ab]", "/tmp/[ab]"));
  EXPECT_FALSE(glob_matches("/tmp/[ab]", "/tmp/a"));
  EXPECT_TRUE(glob_matches("a\\*", "a\\"));
  EXPECT_TRUE(glob_matches("a\\*", "a\\xyz"));
  EXPECT_FALSE(glob_matches("a\\*", "a*"));
}

TEST(Glob, CompiledPatternIsReusable) {
  GlobPattern pattern("/proc/*/mem");
  EXPECT_TRUE(pattern.matches("/proc/1/mem"));
  EXPECT_TRUE(pattern.matches("/proc/self/mem"));
  EXPECT_FALSE(pattern.matches("/proc/1/task/1/mem"));
  ASSERT_EQ(pattern.steps().size(), 11u);
  EXPECT_EQ(pattern.steps()[6].kind, GlobPattern::StepKind::Star);
}

// The definition in docs/language.md, written as the obvious exponential
// recursion, to cross-check the automaton on small inputs.
bool reference_glob(std::string_view pattern, std::string_view value) {
  if (pattern.empty()) return value.empty();
  if (pattern[0] == '*') {
    size_t stars = pattern.find_first_not_of('*');
    if (stars == std::string_view::npos) stars = pattern.size();
    if (stars == 1) {
      for (size_t k = 0; k <= value.size(); ++k) {
        if (reference_glob(pattern.substr(1), value.substr(k))) return true;
        if (k < value.size() && value[k] == '/') return false;
      }
      return false;
    }
    if (stars < pattern.size() && pattern[stars] == '/') {
      std::string_view rest = pattern.substr(stars + 1);
      if (reference_glob(rest, value)) return true;
      for (size_t k = 0; k < value.size(); ++k)
        if (value[k] == '/' && reference_glob(rest, value.substr(k + 1))) return true;
      return false;
    }
    for (size_t k = 0; k <= value.size(); ++k)
      if (reference_glob(pattern.substr(stars), value.substr(k))) return true;
    return false;
  }
  if (value.empty()) return false;
  if (pattern[0] == '?')
    return value[0] != '/' && reference_glob(pattern.substr(1), value.substr(1));
  return pattern[0] == value[0] && reference_glob(pattern.substr(1), value.substr(1));
}

TEST(Glob, AgreesWithTheDefinitionOnRandomInputs) {
  std::mt19937 random(12345);
  auto make = [&](std::string_view alphabet, size_t max_length) {
    std::string text(random() % (max_length + 1), ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    return text;
  };
  size_t matched = 0;
  for (int i = 0; i < 30000; ++i) {
    std::string pattern = make("ab/*?", 7);
    std::string value = make("ab/", 8);
    bool expected = reference_glob(pattern, value);
    ASSERT_EQ(glob_matches(pattern, value), expected)
        << "pattern " << pattern << " value " << value;
    matched += expected;
  }
  EXPECT_GT(matched, 1000u);  // the sample exercises both outcomes
}

TEST(Glob, HostilePatternsRunInLinearishTime) {
  std::string value(20000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(glob_matches("*a*a*a*a*a*a*a*a*a*a*a*a*b", value));
  EXPECT_FALSE(glob_matches("**a**a**a**a**a**a**a**a**b", value));
  EXPECT_FALSE(glob_matches("**/**/**/**/**/**/**/**/b", std::string(20000, '/')));
  EXPECT_TRUE(glob_matches("*a*a*a*a*a*a*a*a*a*a*a*a", value));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

}  // namespace
}  // namespace vigil
