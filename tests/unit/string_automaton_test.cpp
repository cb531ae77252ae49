#include "compiler/codegen/string_automaton.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "compiler/evaluator.h"

namespace vigil::codegen {
namespace {

using ir::Predicate;
using ir::TestOp;
using Kind = ir::Predicate::Kind;
using namespace std::string_literals;

FieldId exe_field() {
  return find_field("process.exe").value();
}

Predicate test(TestOp op, std::vector<Value> operands, FieldId field = exe_field()) {
  Predicate p;
  p.kind = Kind::Test;
  p.field = field;
  p.op = op;
  p.operands = std::move(operands);
  return p;
}
Predicate eq(std::string text) {
  return test(TestOp::Eq, {std::move(text)});
}
Predicate starts(std::string text) {
  return test(TestOp::StartsWith, {std::move(text)});
}
Predicate ends(std::string text) {
  return test(TestOp::EndsWith, {std::move(text)});
}
Predicate contains(std::string text) {
  return test(TestOp::Contains, {std::move(text)});
}
Predicate glob(std::string pattern) {
  return test(TestOp::Glob, {std::move(pattern)});
}
Predicate in_set(std::vector<std::string> items) {
  return test(TestOp::InSet, std::vector<Value>(items.begin(), items.end()));
}
Predicate constant(bool value) {
  Predicate p;
  p.kind = value ? Kind::True : Kind::False;
  return p;
}
Predicate combine(Kind kind, std::vector<Predicate> children) {
  Predicate p;
  p.kind = kind;
  p.children = std::move(children);
  return p;
}
Predicate all_of(std::vector<Predicate> children) {
  return combine(Kind::And, std::move(children));
}
Predicate any_of(std::vector<Predicate> children) {
  return combine(Kind::Or, std::move(children));
}
Predicate negate(Predicate child) {
  std::vector<Predicate> children;
  children.push_back(std::move(child));
  return combine(Kind::Not, std::move(children));
}

bool oracle(const Predicate& predicate, std::string_view value) {
  Event event(EventKind::Exec);
  event.set(exe_field(), std::string(value));
  return evaluate(predicate, event);
}

std::vector<const Predicate*> pointers(const std::vector<Predicate>& outputs) {
  std::vector<const Predicate*> result;
  for (const Predicate& p : outputs) result.push_back(&p);
  return result;
}

AutomatonBuild build(const std::vector<Predicate>& outputs, AutomatonLimits limits = {}) {
  return build_string_automata(pointers(outputs), limits);
}

// Where output k lives: its group and bit.
struct Location {
  const AutomatonGroup* group = nullptr;
  uint32_t bit = 0;
};
std::vector<Location> locate(const AutomatonBuild& built, size_t output_count) {
  std::vector<Location> where(output_count);
  for (const AutomatonGroup& group : built.groups)
    for (uint32_t bit = 0; bit < group.outputs.size(); ++bit)
      where.at(group.outputs[bit]) = {&group, bit};
  return where;
}

bool automaton_says(const Location& at, std::string_view value) {
  const StringAutomaton& automaton = at.group->automaton;
  uint32_t state = automaton.final_state(value);
  bool via_state = automaton.accepts(state, at.bit);
  std::vector<uint64_t> bits = automaton.run(value);
  bool via_run = (bits.at(at.bit / 64) >> (at.bit % 64)) & 1;
  EXPECT_EQ(via_state, via_run);
  return via_state;
}

std::string shown(std::string_view value) {
  return value_to_string(std::string(value));
}

// Every output is in some group, and agrees with the evaluator on every value.
// Returns the number of disagreements (each also reported).
size_t disagreements(const std::vector<Predicate>& outputs, const AutomatonBuild& built,
                     const std::vector<std::string>& values) {
  EXPECT_TRUE(built.unsupported.empty());
  EXPECT_TRUE(built.too_complex.empty());
  auto where = locate(built, outputs.size());
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (!where[k].group) {
      ADD_FAILURE() << "output " << k << " is in no group";
      return 1;
    }
  }
  size_t wrong = 0;
  Event event(EventKind::Exec);
  for (const std::string& value : values) {
    event.set(exe_field(), value);
    for (size_t k = 0; k < outputs.size(); ++k) {
      bool expected = evaluate(outputs[k], event);
      if (automaton_says(where[k], value) != expected && ++wrong <= 10)
        ADD_FAILURE() << "output " << k << " on " << shown(value) << ": evaluator says "
                      << expected;
    }
  }
  return wrong;
}

// One output, explicit expectations (checked against the evaluator too).
void expect_single(Predicate predicate, const std::vector<std::string>& matching,
                   const std::vector<std::string>& not_matching) {
  std::vector<Predicate> outputs;
  outputs.push_back(std::move(predicate));
  AutomatonBuild built = build(outputs);
  ASSERT_EQ(built.groups.size(), 1u);
  Location at{&built.groups[0], 0};
  for (const std::string& value : matching) {
    EXPECT_TRUE(oracle(outputs[0], value)) << shown(value);
    EXPECT_TRUE(automaton_says(at, value)) << shown(value);
  }
  for (const std::string& value : not_matching) {
    EXPECT_FALSE(oracle(outputs[0], value)) << shown(value);
    EXPECT_FALSE(automaton_says(at, value)) << shown(value);
  }
}

// Structural invariants every automaton must satisfy.
void expect_well_formed(const StringAutomaton& automaton) {
  ASSERT_GE(automaton.class_count, 1u);
  ASSERT_LE(automaton.class_count, 256u);
  EXPECT_EQ(automaton.start_state, 0u);
  EXPECT_EQ(automaton.next.size(), size_t{automaton.state_count} * automaton.class_count);
  EXPECT_EQ(automaton.is_sink.size(), automaton.state_count);
  EXPECT_EQ(automaton.words, std::max(1u, (automaton.output_count + 63) / 64));
  EXPECT_EQ(automaton.accept.size(), size_t{automaton.state_count} * automaton.words);
  EXPECT_EQ(automaton.byte_class[0], 0);
  std::set<uint8_t> used(automaton.byte_class.begin(), automaton.byte_class.end());
  EXPECT_EQ(used.size(), automaton.class_count);
  for (uint32_t s = 0; s < automaton.state_count; ++s) {
    bool sink = true;
    for (uint32_t c = 0; c < automaton.class_count; ++c) {
      uint32_t to = automaton.next[size_t{s} * automaton.class_count + c];
      EXPECT_LT(to, automaton.state_count);
      sink = sink && to == s;
    }
    EXPECT_EQ(automaton.is_sink[s] != 0, sink) << "state " << s;
  }
  // Every state is reachable, and no two states are equivalent (Moore's
  // refinement, independent of the builder's Hopcroft): the automaton is minimal.
  std::vector<bool> reached(automaton.state_count);
  std::vector<uint32_t> queue{automaton.start_state};
  reached[automaton.start_state] = true;
  for (size_t i = 0; i < queue.size(); ++i) {
    for (uint32_t c = 0; c < automaton.class_count; ++c) {
      uint32_t to = automaton.next[size_t{queue[i]} * automaton.class_count + c];
      if (!reached[to]) {
        reached[to] = true;
        queue.push_back(to);
      }
    }
  }
  EXPECT_EQ(queue.size(), automaton.state_count);
  // Blocks are named by a 64-bit hash of (accept bits, block, successor blocks):
  // a collision could only merge blocks, i.e. report a false "not minimal".
  auto mix = [](uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
  };
  std::vector<uint64_t> block(automaton.state_count, 0);
  size_t blocks = 0;
  for (size_t previous = 0;; previous = blocks) {
    std::unordered_map<uint64_t, uint64_t> ids;
    std::vector<uint64_t> refined(automaton.state_count);
    for (uint32_t s = 0; s < automaton.state_count; ++s) {
      uint64_t key = mix(0, block[s]);
      for (uint32_t w = 0; w < automaton.words; ++w)
        key = mix(key, automaton.accept[size_t{s} * automaton.words + w]);
      for (uint32_t c = 0; c < automaton.class_count; ++c)
        key = mix(key, block[automaton.next[size_t{s} * automaton.class_count + c]]);
      refined[s] = ids.try_emplace(key, ids.size()).first->second;
    }
    block = std::move(refined);
    blocks = ids.size();
    if (blocks == previous) break;
  }
  EXPECT_EQ(blocks, automaton.state_count) << "equivalent states: not minimal";
}

uint32_t sink_count(const StringAutomaton& automaton) {
  uint32_t count = 0;
  for (uint8_t sink : automaton.is_sink) count += sink;
  return count;
}

// ---- Each operator ----------------------------------------------------------------------

TEST(StringAutomaton, ExactStringIsAChainWithADeadSink) {
  expect_single(eq("/bin/sh"), {"/bin/sh"},
                {"", "/", "/bin/s", "/bin/sh/", "/bin/shx", "x/bin/sh", "/BIN/sh", "/bin/sH"});
  std::vector<Predicate> outputs;
  outputs.push_back(eq("/bin/sh"));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  expect_well_formed(automaton);
  // start, one state per byte read, and the dead state.
  EXPECT_EQ(automaton.state_count, 9u);
  EXPECT_EQ(sink_count(automaton), 1u);
  // '/', 'b', 'i', 'n', 's', 'h' each lead somewhere different; all else is one class.
  EXPECT_EQ(automaton.class_count, 7u);
  EXPECT_EQ(automaton.byte_class['x'], automaton.byte_class[0xff]);
  EXPECT_NE(automaton.byte_class['b'], automaton.byte_class['x']);
}

TEST(StringAutomaton, Prefix) {
  expect_single(starts("/tmp/"), {"/tmp/", "/tmp/x", "/tmp//a/b", "/tmp/\xff"},
                {"", "/tmp", "/TMP/", "x/tmp/", "/tm/p"});
}

TEST(StringAutomaton, Suffix) {
  expect_single(ends(".so"), {".so", "libc.so", "/a/b.so", "..so", ".so.so"},
                {"", "so", ".s", "libc.so.6", ".SO", "lib.sox"});
}

TEST(StringAutomaton, Contains) {
  expect_single(contains("/../"), {"/../", "a/../b", "/.././../", "x/..//../"},
                {"", "/..", "../", "/./", "/.. /", "a/.../b"});
  // Overlapping partial matches (the Aho-Corasick failure case).
  expect_single(contains("aab"), {"aab", "aaab", "abaab", "aaaaaab"}, {"", "ab", "aba", "abab"});
}

TEST(StringAutomaton, GlobForms) {
  expect_single(glob("/tmp/*"), {"/tmp/", "/tmp/a", "/tmp/.x"}, {"/tmp", "/tmp/a/b", "/tmp//a/b"});
  expect_single(glob("/tmp/*/"), {"/tmp/a/", "/tmp//"}, {"/tmp/a", "/tmp/a/b/"});
  expect_single(glob("/etc/**"), {"/etc/", "/etc/a/b"}, {"/etc", "/etcx"});
  expect_single(glob("/etc/**/*.conf"),
                {"/etc/a.conf", "/etc/x/y/a.conf", "/etc//a.conf", "/etc/.conf"},
                {"/etc/a.conf/", "/etc/a.con", "/etca.conf"});
  expect_single(glob("**/id_rsa"), {"id_rsa", "/home/u/.ssh/id_rsa", "/id_rsa"},
                {"xid_rsa", "id_rsa.pub", "/a/xid_rsa"});
  expect_single(glob("x**/y"), {"xy", "x/y", "xa/b/y"}, {"xay", "x/ay", "y"});
  expect_single(glob("/dev/tty?"), {"/dev/tty1", "/dev/ttyS", "/dev/tty\xff"},
                {"/dev/tty", "/dev/tty12", "/dev/tty/"});
  expect_single(glob("***"), {"", "a/b", "/"}, {});
  expect_single(glob("*"), {"", "abc"}, {"/", "a/"});
  expect_single(glob("?"), {"a", "\n"}, {"", "/", "ab"});
  expect_single(glob(""), {""}, {"a", "/"});
  expect_single(glob("a*b*c"), {"abc", "aXbYc", "abbbcbc"}, {"ab", "a/bc", "acb"});
  // No character classes or escapes: these bytes are literal.
  expect_single(glob("[a]{b}\\"), {"[a]{b}\\"}, {"a", "[a]{b}"});
}

TEST(StringAutomaton, GlobUsesOnlyItsFirstOperand) {
  expect_single(test(TestOp::Glob, {"a*"s, "b"s}), {"a", "abc"}, {"b"});
  expect_single(test(TestOp::Glob, {}), {}, {"", "a"});
}

TEST(StringAutomaton, SetsAndOperandLists) {
  expect_single(in_set({"/bin/bash", "/bin/sh", "/usr/bin/sh"}),
                {"/bin/sh", "/bin/bash", "/usr/bin/sh"},
                {"/bin/bas", "/bin/s", "/usr/bin/bash", "", "/bin/sh/"});
  expect_single(in_set({}), {}, {"", "a"});
  expect_single(test(TestOp::StartsWith, {"/usr/"s, "/opt/"s}), {"/usr/x", "/opt/"},
                {"/us", "/var/usr/"});
  expect_single(test(TestOp::EndsWith, {".sh"s, ".py"s}), {"a.sh", ".py"}, {"a.pyc", "sh"});
  expect_single(test(TestOp::Contains, {"xmr"s, "miner"s}), {"/xmrig", "cpuminerd"}, {"xm", ""});
}

TEST(StringAutomaton, NonStringOperandsNeverMatch) {
  expect_single(test(TestOp::Eq, {int64_t{1}}), {}, {"1", ""});
  expect_single(test(TestOp::InSet, {int64_t{1}, "a"s}), {"a"}, {"1"});
  expect_single(negate(test(TestOp::StartsWith, {true})), {"", "true"}, {});
}

TEST(StringAutomaton, Negations) {
  expect_single(negate(eq("/bin/sh")), {"", "/bin/s", "/bin/sh/"}, {"/bin/sh"});
  expect_single(negate(in_set({"a", "b"})), {"", "ab", "c"}, {"a", "b"});
  expect_single(negate(starts("/tmp/")), {"", "/tmp"}, {"/tmp/", "/tmp/x"});
  expect_single(negate(negate(ends("x"))), {"x", "ax"}, {"xa", ""});
  expect_single(combine(Kind::Not, {}), {}, {"", "a"});  // as the evaluator: false
}

TEST(StringAutomaton, AndOrMixesOnOneField) {
  // A shared library under /usr that is not under /usr/lib, or anything in /tmp.
  Predicate rule = any_of(
      {all_of({starts("/usr/"), ends(".so"), negate(starts("/usr/lib/"))}), glob("/tmp/**")});
  expect_single(rule, {"/usr/local/x.so", "/usr/.so", "/tmp/a/b"},
                {"/usr/lib/x.so", "/usr/x.so.1", "/tmp", "/opt/x.so"});
  expect_single(all_of({}), {"", "a"}, {});
  expect_single(any_of({}), {}, {"", "a"});
  expect_single(constant(true), {"", "x"}, {});
  expect_single(constant(false), {}, {"", "x"});
}

TEST(StringAutomaton, EmptyValueAndEmptyOperands) {
  expect_single(eq(""), {""}, {"a", "/"});
  expect_single(starts(""), {"", "a", "/x/y"}, {});
  expect_single(ends(""), {"", "a"}, {});
  expect_single(contains(""), {"", "a"}, {});
  expect_single(negate(contains("")), {}, {"", "a"});
}

TEST(StringAutomaton, HighBytesAndEscapingHazards) {
  expect_single(eq("caf\xc3\xa9"), {"caf\xc3\xa9"}, {"cafe", "caf\xc3", "caf\xc3\xa9\xff"});
  expect_single(contains("\xff\x80"), {"\xff\x80", "a\xff\x80z"}, {"\xff", "\x80\xff"});
  expect_single(eq("say \"hi\"\\n\n"), {"say \"hi\"\\n\n"}, {"say \"hi\"\\n", "say \"hi\"\n\n"});
  expect_single(glob("*\\*"), {"\\", "a\\b\\"}, {"a", "/\\"});
  expect_single(glob("??"), {"\xc3\xa9", "ab"}, {"\xc3", "a/"});  // `?` is one byte
}

TEST(StringAutomaton, PatternsWithNulMatchOnlyThroughNegation) {
  expect_single(eq("a\0b"s), {}, {"a", "ab", "a b", ""});
  expect_single(negate(eq("a\0b"s)), {"a", "ab", ""}, {});
  expect_single(contains("\0"s), {}, {"", "a"});
  expect_single(starts("a\0"s), {}, {"a", "a0"});
  expect_single(glob("a\0*"s), {}, {"a", "ab"});
  expect_single(any_of({eq("a\0"s), eq("a")}), {"a"}, {"", "a0"});
  // A pattern that needs NUL adds no byte class.
  std::vector<Predicate> outputs;
  outputs.push_back(in_set({"\0"s, "\0\0"s}));
  AutomatonBuild built = build(outputs);
  EXPECT_EQ(built.groups.at(0).automaton.state_count, 1u);
  EXPECT_EQ(built.groups.at(0).automaton.class_count, 1u);
}

TEST(StringAutomaton, WalkerStopsAtNulAndCapacity) {
  std::vector<Predicate> outputs;
  outputs.push_back(eq("ab"));
  outputs.push_back(starts("abc"));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  // The kernel string ends at the NUL: "ab\0cd" is "ab".
  EXPECT_EQ(automaton.final_state("ab\0cd"s), automaton.final_state("ab"));
  EXPECT_EQ(automaton.run("ab\0cd"s), std::vector<uint64_t>{1});
  // Truncation to capacity - 1 bytes.
  EXPECT_EQ(automaton.run("abcd"), std::vector<uint64_t>{2});
  EXPECT_EQ(automaton.run("abcd", 2), std::vector<uint64_t>{1});
  EXPECT_EQ(automaton.run("abcd", 0), std::vector<uint64_t>{0});
}

// ---- Minimisation -------------------------------------------------------------------------

TEST(StringAutomaton, SinglePrefixIsTinyWithSinks) {
  std::vector<Predicate> outputs;
  outputs.push_back(starts("/tmp/"));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  expect_well_formed(automaton);
  // start + 4 partial matches + "matched" sink + dead sink.
  EXPECT_EQ(automaton.state_count, 7u);
  EXPECT_EQ(sink_count(automaton), 2u);
  uint32_t matched = automaton.final_state("/tmp/");
  EXPECT_TRUE(automaton.is_sink[matched]);
  EXPECT_TRUE(automaton.accepts(matched, 0));
  uint32_t dead = automaton.final_state("x");
  EXPECT_TRUE(automaton.is_sink[dead]);
  EXPECT_FALSE(automaton.accepts(dead, 0));
  EXPECT_EQ(automaton.class_count, 5u);  // '/', 't', 'm', 'p', other
}

TEST(StringAutomaton, RedundantPatternsAddNoStates) {
  std::vector<Predicate> outputs;
  outputs.push_back(any_of({starts("/usr/"), starts("/usr/bin/ls"), eq("/usr/x")}));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  EXPECT_EQ(automaton.state_count, 7u);  // the same as startswith "/usr/" alone
  EXPECT_EQ(automaton.class_count, 5u);  // 'b', 'l', 'x' no longer matter
}

TEST(StringAutomaton, BytesWithTheSameRoleShareAClass) {
  std::vector<Predicate> outputs;
  outputs.push_back(in_set({"a", "b", "c"}));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  EXPECT_EQ(automaton.class_count, 2u);
  EXPECT_EQ(automaton.state_count, 3u);  // start, matched one byte, dead
  EXPECT_EQ(automaton.byte_class['a'], automaton.byte_class['c']);
}

TEST(StringAutomaton, ContainsOfManyPatternsStaysSmall) {
  // Unanchored patterns are tracked together, Aho-Corasick style.
  std::vector<Predicate> outputs;
  outputs.push_back(test(TestOp::Contains, {"he"s, "she"s, "his"s, "hers"s}));
  AutomatonBuild built = build(outputs);
  const StringAutomaton& automaton = built.groups.at(0).automaton;
  expect_well_formed(automaton);
  // One output: only partial matches that can still decide it count. "s"
  // is no better than nothing and "sh" no better than "h" ("she" ends in
  // "he"): nothing, "h", "hi", and the matched sink.
  EXPECT_EQ(automaton.state_count, 4u);
  EXPECT_EQ(sink_count(automaton), 1u);
}

TEST(StringAutomaton, ManyOutputsShareOneAutomaton) {
  std::vector<Predicate> outputs;
  outputs.push_back(eq("/bin/sh"));
  outputs.push_back(starts("/bin/"));
  outputs.push_back(negate(starts("/bin/")));
  outputs.push_back(glob("/bin/*"));
  AutomatonBuild built = build(outputs);
  ASSERT_EQ(built.groups.size(), 1u);
  EXPECT_EQ(built.groups[0].outputs, (std::vector<uint32_t>{0, 1, 2, 3}));
  const StringAutomaton& automaton = built.groups[0].automaton;
  expect_well_formed(automaton);
  EXPECT_EQ(automaton.output_count, 4u);
  EXPECT_EQ(automaton.words, 1u);
  EXPECT_EQ(automaton.run("/bin/sh"), std::vector<uint64_t>{0b1011});
  EXPECT_EQ(automaton.run("/bin/a/b"), std::vector<uint64_t>{0b0010});
  EXPECT_EQ(automaton.run("/usr"), std::vector<uint64_t>{0b0100});
}

TEST(StringAutomaton, MoreThanSixtyFourOutputsUseMoreWords) {
  std::vector<Predicate> outputs;
  for (int i = 0; i < 130; ++i) outputs.push_back(eq("/x" + std::to_string(i)));
  AutomatonBuild built = build(outputs);
  ASSERT_EQ(built.groups.size(), 1u);
  const StringAutomaton& automaton = built.groups[0].automaton;
  EXPECT_EQ(automaton.words, 3u);
  EXPECT_EQ(automaton.run("/x129"), (std::vector<uint64_t>{0, 0, 2}));
  EXPECT_EQ(automaton.run("/x64"), (std::vector<uint64_t>{0, 1, 0}));
  EXPECT_TRUE(automaton.accepts(automaton.final_state("/x7"), 7));
  EXPECT_FALSE(automaton.accepts(automaton.final_state("/x7"), 8));
}

// ---- Grouping and limits ------------------------------------------------------------------

TEST(StringAutomaton, GreedyGroupingUnderASmallLimit) {
  // An exact 10-byte string alone: start + 10 + dead = 12 states; two with
  // different first bytes: 22; three: 32. A 30-byte string alone needs 32.
  std::vector<Predicate> outputs;
  outputs.push_back(eq("a123456789"));
  outputs.push_back(eq("b123456789"));
  outputs.push_back(eq(std::string(30, 'z')));
  outputs.push_back(eq("c123456789"));
  outputs.push_back(eq("d123456789"));
  outputs.push_back(eq("e123456789"));
  AutomatonLimits limits;
  limits.max_states = 25;
  AutomatonBuild built = build(outputs, limits);
  ASSERT_EQ(built.groups.size(), 3u);
  EXPECT_EQ(built.groups[0].outputs, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(built.groups[1].outputs, (std::vector<uint32_t>{3, 4}));
  EXPECT_EQ(built.groups[2].outputs, (std::vector<uint32_t>{5}));
  EXPECT_EQ(built.too_complex, (std::vector<uint32_t>{2}));
  EXPECT_EQ(built.groups[0].automaton.state_count, 22u);
  EXPECT_EQ(built.groups[2].automaton.state_count, 12u);
  for (const AutomatonGroup& group : built.groups) {
    expect_well_formed(group.automaton);
    EXPECT_LE(group.automaton.state_count, limits.max_states);
  }
  auto where = locate(built, outputs.size());
  for (size_t k : {0, 1, 3, 4, 5}) {
    for (const char* value :
         {"a123456789", "b123456789", "c123456789", "d123456789", "e123456789", "a12345678", ""})
      EXPECT_EQ(automaton_says(where[k], value), oracle(outputs[k], value)) << k << value;
  }
}

TEST(StringAutomaton, AnchoredAndUnanchoredOutputsGroupApartWhenTheyDoNotFitTogether) {
  std::vector<Predicate> outputs;
  outputs.push_back(starts("/a/"));
  outputs.push_back(ends(".x"));
  outputs.push_back(starts("/b/"));
  outputs.push_back(ends(".y"));
  // Together: which prefix held (none yet, /, /a, /b; then P1, P2, neither)
  // times the suffix seen (none, ".", ".x", ".y"): 1 + 3 + 3 * 4 = 16.
  AutomatonBuild together = build(outputs);
  ASSERT_EQ(together.groups.size(), 1u);
  EXPECT_EQ(together.groups[0].automaton.state_count, 16u);
  AutomatonLimits limits;
  limits.max_states = 10;
  AutomatonBuild apart = build(outputs, limits);
  ASSERT_EQ(apart.groups.size(), 2u);
  EXPECT_EQ(apart.groups[0].outputs, (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(apart.groups[0].automaton.state_count, 7u);  // start, /, /a, /b, P1, P2, dead
  EXPECT_EQ(apart.groups[1].outputs, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(apart.groups[1].automaton.state_count, 4u);  // none, ".", ".x", ".y"
  std::vector<std::string> values{"", "/a/b.x", "/b/.y", ".x", "/a", "/b/x.", "/c/.y.x"};
  EXPECT_EQ(disagreements(outputs, together, values), 0u);
  EXPECT_EQ(disagreements(outputs, apart, values), 0u);
}

TEST(StringAutomaton, EveryOutputFitsAlone) {
  std::vector<Predicate> outputs;
  for (int i = 0; i < 5; ++i) outputs.push_back(eq(std::string(1, char('a' + i)) + "bcdef"));
  AutomatonLimits limits;
  limits.max_states = 8;  // one 6-byte string: 8 states
  AutomatonBuild built = build(outputs, limits);
  ASSERT_EQ(built.groups.size(), 5u);
  EXPECT_TRUE(built.too_complex.empty());
  for (uint32_t k = 0; k < 5; ++k) EXPECT_EQ(built.groups[k].outputs, std::vector<uint32_t>{k});
}

TEST(StringAutomaton, ConstructionCapRejectsBeforeMinimising) {
  std::vector<Predicate> outputs;
  outputs.push_back(eq("abcdef"));  // 8 states minimal, 8 during construction
  AutomatonLimits limits;
  limits.max_states = 100;
  limits.max_construction_states = 7;
  AutomatonBuild built = build(outputs, limits);
  EXPECT_TRUE(built.groups.empty());
  EXPECT_EQ(built.too_complex, std::vector<uint32_t>{0});
  limits.max_construction_states = 8;
  EXPECT_EQ(build(outputs, limits).groups.size(), 1u);
}

TEST(StringAutomaton, HostilePatternsAreRejectedQuickly) {
  std::vector<Predicate> outputs;
  outputs.push_back(eq(std::string(100000, 'a')));  // needs 100002 states
  std::string stars;
  for (int i = 0; i < 20000; ++i) stars += std::string("*") + char('!' + i % 90);
  outputs.push_back(glob(stars));
  outputs.push_back(starts("/ok/"));
  outputs.push_back(all_of({}));
  // Every subset of the letters seen so far is a different state: 2^30.
  std::vector<Predicate> letters;
  for (int i = 0; i < 30; ++i) letters.push_back(contains(std::string(1, char('A' + i))));
  outputs.push_back(all_of(std::move(letters)));
  // A smaller limit than the default keeps the test quick in debug builds.
  AutomatonLimits limits;
  limits.max_states = 256;
  auto started = std::chrono::steady_clock::now();
  AutomatonBuild built = build(outputs, limits);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "[ hostile ] " << seconds << " s\n";
  EXPECT_EQ(built.too_complex, (std::vector<uint32_t>{0, 1, 4}));
  ASSERT_EQ(built.groups.size(), 1u);
  EXPECT_EQ(built.groups[0].outputs, (std::vector<uint32_t>{2, 3}));
}

TEST(StringAutomaton, UnsupportedOutputs) {
  FieldId args = find_field("process.args").value();
  FieldId uid = find_field("process.uid").value();
  std::vector<Predicate> outputs;
  outputs.push_back(starts("/usr/"));
  outputs.push_back(test(TestOp::Matches, {"^a"s}));
  outputs.push_back(test(TestOp::Eq, {"a"s}, args));  // another field
  outputs.push_back(all_of({eq("a"), test(TestOp::Lt, {"b"s})}));
  Predicate field_compare;
  field_compare.kind = Kind::FieldCompare;
  field_compare.field = exe_field();
  field_compare.other_field = exe_field();
  outputs.push_back(field_compare);
  outputs.push_back(constant(true));
  AutomatonBuild built = build(outputs);
  EXPECT_EQ(built.field, exe_field());
  EXPECT_EQ(built.unsupported, (std::vector<uint32_t>{1, 2, 3, 4}));
  ASSERT_EQ(built.groups.size(), 1u);
  EXPECT_EQ(built.groups[0].outputs, (std::vector<uint32_t>{0, 5}));

  std::vector<Predicate> integer;
  integer.push_back(test(TestOp::Eq, {int64_t{0}}, uid));
  AutomatonBuild on_int = build(integer);
  EXPECT_EQ(on_int.unsupported, std::vector<uint32_t>{0});
  EXPECT_FALSE(on_int.field);

  std::vector<Predicate> constants;
  constants.push_back(constant(false));
  AutomatonBuild no_tests = build(constants);
  EXPECT_FALSE(no_tests.field);
  ASSERT_EQ(no_tests.groups.size(), 1u);
  EXPECT_EQ(no_tests.groups[0].automaton.state_count, 1u);
  EXPECT_TRUE(no_tests.groups[0].automaton.is_sink[0]);

  EXPECT_TRUE(build_string_automata({}).groups.empty());
}

TEST(StringAutomaton, DeepPredicatesNeedNoDeepRecursion) {
  constexpr int kDepth = 3000;  // the evaluator and ~Predicate recurse; keep them safe
  Predicate chain = eq("x");
  for (int i = 0; i < kDepth; ++i) {
    Predicate both;
    both.kind = Kind::And;
    both.children.push_back(std::move(chain));
    both.children.push_back(constant(true));
    chain = negate(std::move(both));
  }
  std::vector<Predicate> outputs;
  outputs.push_back(std::move(chain));
  Predicate copy = outputs[0];
  outputs.push_back(negate(std::move(copy)));
  AutomatonBuild built = build(outputs);
  ASSERT_EQ(built.groups.size(), 1u);
  const StringAutomaton& automaton = built.groups[0].automaton;
  EXPECT_EQ(automaton.run("x"), std::vector<uint64_t>{0b01});  // an even number of negations
  EXPECT_EQ(automaton.run("y"), std::vector<uint64_t>{0b10});
}

// ---- Differential against the evaluator ---------------------------------------------------

// Random predicates over patterns from a small alphabet, and values built
// from the patterns' own bytes with near misses.
class RandomPolicy {
 public:
  explicit RandomPolicy(uint32_t seed) : random_(seed) {}

  std::string fragment(bool for_glob) {
    static constexpr std::string_view kPieces[] = {"/",    "a",  "b",  ".",  "/a",    "ab",
                                                   "\xff", "\"", "\\", "\n", "/usr/", ".so"};
    static constexpr std::string_view kGlobPieces[] = {"*", "**", "**/", "?", "/**/", "***"};
    std::string text;
    size_t pieces = pick(4);
    for (size_t i = 0; i < pieces; ++i) {
      if (for_glob && chance(3))
        text += kGlobPieces[pick(std::size(kGlobPieces))];
      else
        text += kPieces[pick(std::size(kPieces))];
    }
    if (chance(40)) text.insert(pick(text.size() + 1), 1, '\0');
    return text;
  }

  Predicate leaf() {
    static constexpr TestOp kOps[] = {TestOp::Eq,       TestOp::InSet,    TestOp::StartsWith,
                                      TestOp::EndsWith, TestOp::Contains, TestOp::Glob};
    TestOp op = kOps[pick(std::size(kOps))];
    std::vector<Value> operands;
    size_t count = op == TestOp::Eq || op == TestOp::Glob ? 1 : pick(4);
    for (size_t i = 0; i < count; ++i) {
      std::string text = fragment(op == TestOp::Glob);
      vocabulary_.push_back(text);
      operands.push_back(std::move(text));
    }
    return test(op, std::move(operands));
  }

  Predicate predicate(int depth) {
    if (depth == 0 || chance(3)) return chance(25) ? constant(chance(2)) : leaf();
    if (chance(4)) return negate(predicate(depth - 1));
    std::vector<Predicate> children;
    size_t count = pick(4);
    for (size_t i = 0; i < count; ++i) children.push_back(predicate(depth - 1));
    return combine(chance(2) ? Kind::And : Kind::Or, std::move(children));
  }

  // A value near some pattern: instantiated wildcards, one byte changed,
  // added or removed, a prefix or suffix, or two patterns joined.
  std::string value() {
    if (vocabulary_.empty() || chance(20)) return random_bytes(pick(6));
    std::string base = instantiate(vocabulary_[pick(vocabulary_.size())]);
    switch (pick(8)) {
      case 0: return base;
      case 1:
        if (!base.empty()) base[pick(base.size())] = alphabet_byte();
        return base;
      case 2: base.insert(pick(base.size() + 1), 1, alphabet_byte()); return base;
      case 3:
        if (!base.empty()) base.erase(pick(base.size()), 1);
        return base;
      case 4: return base.substr(0, pick(base.size() + 1));
      case 5: return base.substr(pick(base.size() + 1));
      case 6: return base + instantiate(vocabulary_[pick(vocabulary_.size())]);
      default: return random_bytes(pick(3)) + base + random_bytes(pick(3));
    }
  }

 private:
  // mt19937 is fully specified (distributions are not): same draws everywhere.
  size_t pick(size_t n) { return n == 0 ? 0 : random_() % n; }
  bool chance(size_t one_in) { return pick(one_in) == 0; }
  char alphabet_byte() {
    static constexpr std::string_view kBytes = "/ab.x\xff\"\\\n";
    return kBytes[pick(kBytes.size())];
  }
  std::string random_bytes(size_t n) {
    std::string text;
    for (size_t i = 0; i < n; ++i) text += alphabet_byte();
    return text;
  }
  // Values have no NUL; glob wildcards become some bytes (maybe with '/').
  std::string instantiate(std::string_view pattern) {
    std::string text;
    for (char c : pattern) {
      if (c == '\0') continue;
      if (c == '*' && chance(2))
        text += random_bytes(pick(4));
      else if (c == '?' && chance(2))
        text += alphabet_byte();
      else
        text += c;
    }
    return text;
  }

  std::mt19937 random_;
  std::vector<std::string> vocabulary_;
};

TEST(StringAutomaton, AgreesWithTheEvaluatorOnRandomPolicies) {
  size_t checked = 0;
  uint32_t largest = 0;
  for (uint32_t seed = 1; seed <= 60; ++seed) {
    RandomPolicy policy(seed);
    std::vector<Predicate> outputs;
    size_t count = 1 + seed % 12;
    for (size_t i = 0; i < count; ++i) outputs.push_back(policy.predicate(3));
    std::vector<std::string> values{""};
    for (int i = 0; i < 400; ++i) values.push_back(policy.value());
    AutomatonBuild built = build(outputs);
    for (const AutomatonGroup& group : built.groups) {
      expect_well_formed(group.automaton);
      largest = std::max(largest, group.automaton.state_count);
    }
    ASSERT_EQ(disagreements(outputs, built, values), 0u) << "seed " << seed;
    checked += outputs.size() * values.size();
  }
  std::cout << "[ random ] " << checked << " checks, largest automaton " << largest << " states\n";
  EXPECT_GT(checked, 100000u);
}

TEST(StringAutomaton, AgreesWithTheEvaluatorWhenSplitIntoGroups) {
  for (uint32_t seed = 100; seed < 110; ++seed) {
    RandomPolicy policy(seed);
    std::vector<Predicate> outputs;
    for (int i = 0; i < 20; ++i) outputs.push_back(policy.predicate(2));
    std::vector<std::string> values{""};
    for (int i = 0; i < 300; ++i) values.push_back(policy.value());
    AutomatonLimits limits;
    limits.max_states = 40;
    AutomatonBuild built = build(outputs, limits);
    auto where = locate(built, outputs.size());
    for (const AutomatonGroup& group : built.groups)
      EXPECT_LE(group.automaton.state_count, limits.max_states);
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (!where[k].group) continue;  // too complex alone
      for (const std::string& value : values)
        ASSERT_EQ(automaton_says(where[k], value), oracle(outputs[k], value))
            << "seed " << seed << " output " << k << " value " << shown(value);
    }
  }
}

// Many unanchored patterns that start with the same byte: the part of each
// successor they contribute is large and shared, and memoised (see
// successor_through_universal). Checked on every string over the alphabet.
TEST(StringAutomaton, ManyUnanchoredPatternsSharingAFirstByte) {
  std::mt19937 random(11);
  auto word = [&] {
    std::string text = "/";
    size_t length = 1 + random() % 4;
    for (size_t i = 0; i < length; ++i) text += "ab/"[random() % 3];
    return text;
  };
  std::vector<Predicate> outputs;
  for (int i = 0; i < 40; ++i) {
    switch (i % 4) {
      case 0: outputs.push_back(ends(word())); break;
      case 1: outputs.push_back(contains(word())); break;
      case 2: outputs.push_back(glob("**" + word())); break;
      default: outputs.push_back(all_of({starts("/a"), negate(ends(word()))})); break;
    }
  }
  std::vector<std::string> values{""};
  for (size_t i = 0; values[i].size() < 7; ++i)
    for (char c : std::string_view("ab/")) values.push_back(values[i] + c);
  EXPECT_EQ(values.size(), 3280u);  // every string of up to 7 bytes over the alphabet
  AutomatonBuild built = build(outputs);
  ASSERT_EQ(built.groups.size(), 1u);
  expect_well_formed(built.groups[0].automaton);
  EXPECT_EQ(disagreements(outputs, built, values), 0u);
}

// ---- Scale ----------------------------------------------------------------------------------

// Rules over system paths: exact executables, directory prefixes, suffixes.
std::vector<Predicate> path_rules(size_t count) {
  static constexpr std::string_view kDirs[] = {"/etc/",     "/usr/bin/", "/usr/sbin/", "/bin/",
                                               "/usr/lib/", "/var/log/", "/opt/",      "/home/"};
  std::mt19937 random(7);
  auto pick = [&](size_t n) { return random() % n; };
  auto name = [&] {
    std::string text;
    size_t length = 3 + pick(8);
    for (size_t i = 0; i < length; ++i) text += static_cast<char>('a' + pick(26));
    return text;
  };
  std::vector<Predicate> outputs;
  for (size_t i = 0; i < count; ++i) {
    std::string dir(kDirs[pick(std::size(kDirs))]);
    switch (i % 4) {
      case 0: outputs.push_back(eq(dir + name())); break;
      case 1: outputs.push_back(starts(dir + name() + "/")); break;
      case 2: outputs.push_back(ends("/" + name())); break;
      default: outputs.push_back(negate(in_set({dir + name(), dir + name()}))); break;
    }
  }
  return outputs;
}

// The minimal automaton is unique, so its size is a property of the outputs:
// these counts only change if the grouping does.
TEST(StringAutomaton, PathRulesAtScale) {
  struct Case {
    size_t outputs;
    std::vector<uint32_t> states;  // per group
  };
  for (const Case& scale : {Case{10, {145}}, Case{100, {4763}}, Case{1000, {5677, 1338}}}) {
    std::vector<Predicate> outputs = path_rules(scale.outputs);
    auto started = std::chrono::steady_clock::now();
    AutomatonBuild built = build(outputs);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::vector<uint32_t> states;
    for (const AutomatonGroup& group : built.groups) {
      states.push_back(group.automaton.state_count);
      std::cout << "[ scale ] " << scale.outputs << " outputs: group of " << group.outputs.size()
                << ", " << group.automaton.state_count << " states, " << group.automaton.class_count
                << " classes\n";
      expect_well_formed(group.automaton);
    }
    std::cout << "[ scale ] " << scale.outputs << " outputs built in " << seconds << " s\n";
    EXPECT_EQ(states, scale.states) << scale.outputs;
    std::vector<std::string> values{"", "/etc/", "/usr/bin/ls", "/home/x/y"};
    for (const Predicate& output : outputs) {
      for (const Value& operand :
           output.kind == Kind::Not ? output.children[0].operands : output.operands) {
        std::string text = std::get<std::string>(operand);
        values.push_back(text);
        values.push_back(text + "x");
        values.push_back("/a" + text);
        values.push_back(text.substr(0, text.size() - 1));
      }
      if (values.size() > 400) break;
    }
    EXPECT_EQ(disagreements(outputs, built, values), 0u);
  }
}

}  // namespace
}  // namespace vigil::codegen
