#include "compiler/policy_test.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "compiler/fixture.h"
#include "compiler/frontend.h"
#include "tests/unit/temp_dir.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using ir::Predicate;
using ir::TestOp;

FieldId field(std::string_view name) {
  return find_field(name).value();
}

// ---- Field values ----------------------------------------------------------------------

std::optional<Value> value_of(Type type, std::string_view text, std::string* error = nullptr) {
  std::string message;
  auto value = parse_fixture_value(type, text, message);
  if (error) *error = message;
  return value;
}

TEST(FixtureValue, Ints) {
  EXPECT_EQ(value_of(Type::Int, "42"), Value(int64_t{42}));
  EXPECT_EQ(value_of(Type::Int, "0"), Value(int64_t{0}));
  EXPECT_EQ(value_of(Type::Int, "-1"), Value(int64_t{-1}));
  EXPECT_EQ(value_of(Type::Int, "0x1f"), Value(int64_t{31}));
  EXPECT_EQ(value_of(Type::Int, "0X1F"), Value(int64_t{31}));
  EXPECT_EQ(value_of(Type::Int, "-0x10"), Value(int64_t{-16}));
  EXPECT_EQ(value_of(Type::Int, "0o755"), Value(int64_t{493}));
  EXPECT_EQ(value_of(Type::Int, "9223372036854775807"), Value(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(value_of(Type::Int, "-9223372036854775808"),
            Value(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(value_of(Type::Int, "0x7fffffffffffffff"), Value(std::numeric_limits<int64_t>::max()));
  std::string error;
  EXPECT_FALSE(value_of(Type::Int, "9223372036854775808", &error));
  EXPECT_EQ(error, "`9223372036854775808` is out of the 64-bit int range");
  EXPECT_FALSE(value_of(Type::Int, "-9223372036854775809", &error));
  EXPECT_FALSE(value_of(Type::Int, "0xffffffffffffffff", &error));
  EXPECT_FALSE(value_of(Type::Int, "99999999999999999999999", &error));
  EXPECT_EQ(error, "`99999999999999999999999` is out of the 64-bit int range");
  EXPECT_FALSE(value_of(Type::Int, "0755", &error));
  EXPECT_EQ(error, "`0755` is ambiguous: write 0o755 for octal or drop the leading zero");
  for (std::string_view bad : {"", "-", "+5", "1.5", "0x", "0o8", "12abc", "--1", "1e3", " 1"}) {
    EXPECT_FALSE(value_of(Type::Int, bad, &error)) << bad;
  }
  EXPECT_EQ(error, "` 1` is not an int (write a decimal, 0x or 0o number)");
}

TEST(FixtureValue, PortsBoolsIpsDurationsStrings) {
  std::string error;
  EXPECT_EQ(value_of(Type::Port, "0"), Value(int64_t{0}));
  EXPECT_EQ(value_of(Type::Port, "65535"), Value(int64_t{65535}));
  EXPECT_FALSE(value_of(Type::Port, "65536", &error));
  EXPECT_EQ(error, "`65536` is not a port (0-65535)");
  EXPECT_FALSE(value_of(Type::Port, "-1"));
  EXPECT_EQ(value_of(Type::Bool, "true"), Value(true));
  EXPECT_EQ(value_of(Type::Bool, "false"), Value(false));
  EXPECT_FALSE(value_of(Type::Bool, "yes", &error));
  EXPECT_EQ(error, "`yes` is not a bool (write true or false)");
  EXPECT_FALSE(value_of(Type::Bool, "True"));
  EXPECT_EQ(value_of(Type::Ip, "::ffff:1.2.3.4"), Value(*IpAddress::parse("1.2.3.4")));
  EXPECT_FALSE(value_of(Type::Ip, "1.2.3", &error));
  EXPECT_EQ(error, "`1.2.3` is not an IP address");
  using namespace std::chrono_literals;
  EXPECT_EQ(value_of(Type::Duration, "1500ms"), Value(Duration(1500ms)));
  EXPECT_EQ(value_of(Type::Duration, "0s"), Value(Duration(0)));
  EXPECT_EQ(value_of(Type::Duration, "7ns"), Value(Duration(7ns)));
  EXPECT_EQ(value_of(Type::Duration, "3us"), Value(Duration(3us)));
  EXPECT_EQ(value_of(Type::Duration, "5m"), Value(Duration(5min)));
  EXPECT_EQ(value_of(Type::Duration, "2h"), Value(Duration(2h)));
  EXPECT_FALSE(value_of(Type::Duration, "5", &error));
  EXPECT_EQ(error, "`5` is not a duration (write e.g. 500ms, 10s, 5m, 1h)");
  EXPECT_FALSE(value_of(Type::Duration, "-5s"));
  EXPECT_FALSE(value_of(Type::Duration, "5 s"));
  EXPECT_FALSE(value_of(Type::Duration, "1d"));
  EXPECT_FALSE(value_of(Type::Duration, "3000000h", &error));
  EXPECT_EQ(error, "`3000000h` is too long a duration");
  EXPECT_EQ(value_of(Type::String, ""), Value(std::string()));
  EXPECT_EQ(value_of(Type::String, " a\\n"), Value(std::string(" a\\n")));
}

// ---- Event mappings --------------------------------------------------------------------

struct ParsedEvent {
  std::optional<FixtureEvent> event;
  std::vector<std::string> errors;
};

ParsedEvent parse_event(std::string yaml) {
  SourceFile file("e.yaml", std::move(yaml));
  std::vector<FixtureError> errors;
  ParsedEvent parsed{parse_fixture_event(file, errors), {}};
  for (const FixtureError& error : errors) parsed.errors.push_back(error.to_string());
  return parsed;
}

TEST(FixtureEvent, DottedAndNestedKeysAndEveryType) {
  ParsedEvent parsed = parse_event(
      "event: net.connect\n"
      "time: 2s\n"
      "process.exe: /usr/bin/curl\n"
      "process:\n"
      "  pid: 0x10\n"
      "  ancestors:\n"
      "    comm: [bash, \"sshd\"]\n"
      "parent: {comm: ''}\n"
      "net.daddr: ::ffff:10.0.0.1\n"
      "net.dport: 443\n");
  ASSERT_TRUE(parsed.event) << ::testing::PrintToString(parsed.errors);
  const FixtureEvent& fixture = *parsed.event;
  EXPECT_EQ(fixture.event.kind(), EventKind::NetConnect);
  EXPECT_EQ(fixture.time, Duration(std::chrono::seconds(2)));
  const Event& event = fixture.event;
  EXPECT_EQ(event.get(field("process.exe"))[0], Value(std::string("/usr/bin/curl")));
  EXPECT_EQ(event.get(field("process.pid"))[0], Value(int64_t{16}));
  ASSERT_EQ(event.get(field("process.ancestors.comm")).size(), 2u);
  EXPECT_EQ(event.get(field("process.ancestors.comm"))[1], Value(std::string("sshd")));
  EXPECT_EQ(event.get(field("parent.comm"))[0], Value(std::string()));
  EXPECT_EQ(event.get(field("net.daddr"))[0], Value(*IpAddress::parse("10.0.0.1")));
  EXPECT_EQ(event.get(field("net.dport"))[0], Value(int64_t{443}));
  EXPECT_EQ(event.get(field("process.uid"))[0], Value(int64_t{0}));  // default
  EXPECT_EQ(fixture.fields_set,
            (std::vector<FieldId>{field("process.exe"), field("process.pid"),
                                  field("process.ancestors.comm"), field("parent.comm"),
                                  field("net.daddr"), field("net.dport")}));
}

TEST(FixtureEvent, QuotedScalarsKeepTheirText) {
  ParsedEvent parsed = parse_event(
      "event: exec\n"
      "process.cmdline: \"a\\tb\\x00c\"\n"
      "process.comm: 'null'\n"
      "process.tty: \"123\"\n"
      "process.args: []\n");
  ASSERT_TRUE(parsed.event) << ::testing::PrintToString(parsed.errors);
  const Event& event = parsed.event->event;
  EXPECT_EQ(event.get(field("process.cmdline"))[0], Value(std::string("a\tb\0c", 5)));
  EXPECT_EQ(event.get(field("process.comm"))[0], Value(std::string("null")));
  EXPECT_EQ(event.get(field("process.tty"))[0], Value(std::string("123")));
  EXPECT_TRUE(event.get(field("process.args")).empty());
}

TEST(FixtureEvent, ErrorsNameFileLineAndColumn) {
  ParsedEvent parsed = parse_event(
      "event: exec\n"
      "process.exee: x\n"
      "net.dport: 5\n"
      "process.pid: abc\n"
      "parent: {comm: [a]}\n"
      "process.args: ls\n"
      "process.tty:\n"
      "process.exe: \"\xC3\xA9\"\n"
      "process: {exe: y}\n"
      "time: 5\n"
      "\"\xC3\xA9\": {x: 1}\n"
      "process.args: [a, {b: 1}]\n");
  EXPECT_FALSE(parsed.event);
  EXPECT_EQ(parsed.errors,
            (std::vector<std::string>{
                "e.yaml:2:1: unknown field `process.exee`; did you mean `process.exe`?",
                "e.yaml:3:1: field `net.dport` is not carried by `exec` events",
                "e.yaml:4:14: field `process.pid`: `abc` is not an int (write a decimal, 0x or 0o "
                "number)",
                "e.yaml:5:16: field `parent.comm` takes one string value, not a sequence",
                "e.yaml:6:15: field `process.args` holds several values: write a sequence, e.g. "
                "[a, b]",
                "e.yaml:7:1: field `process.tty` has no value (write \"\" for an empty string)",
                "e.yaml:9:11: `process.exe` is set twice (first at line 8)",
                "e.yaml:10:7: `time`: `5` is not a duration (write e.g. 500ms, 10s, 5m, 1h)",
                // Columns count code points: the key after "é" is at column 7.
                "e.yaml:11:7: unknown field `\xC3\xA9.x`",
                "e.yaml:12:1: `process.args` is set twice (first at line 6)",
            }));
}

TEST(FixtureEvent, EventKindProblems) {
  EXPECT_EQ(parse_event("event: exce\nprocess.pid: 1\n").errors,
            (std::vector<std::string>{"e.yaml:1:8: unknown event `exce`; did you mean `exec`?"}));
  EXPECT_EQ(parse_event("process.pid: 1\n").errors,
            (std::vector<std::string>{
                "e.yaml:1:1: the event has no `event:` key naming its kind (e.g. `event: exec`)"}));
  EXPECT_EQ(parse_event("event: exec\nevent: fork\n").errors,
            (std::vector<std::string>{"e.yaml:2:1: `event` is set twice"}));
  EXPECT_EQ(parse_event("event: [exec]\n").errors,
            (std::vector<std::string>{"e.yaml:1:8: `event` must be an event name, e.g. exec"}));
  EXPECT_EQ(parse_event("- event: exec\n").errors,
            (std::vector<std::string>{
                "e.yaml:1:1: an event must be a mapping with at least `event: NAME`"}));
  // An unknown event still gets its field names checked.
  EXPECT_EQ(parse_event("event: nope\nsomething.else: 1\n").errors,
            (std::vector<std::string>{"e.yaml:1:8: unknown event `nope`",
                                      "e.yaml:2:1: unknown field `something.else`"}));
}

TEST(FixtureEvent, MalformedAndHostileYaml) {
  EXPECT_EQ(
      parse_event("event: [exec\n").errors,
      (std::vector<std::string>{"e.yaml:2:1: malformed YAML: end of sequence flow not found"}));
  ParsedEvent deep = parse_event("event: exec\nprocess.args: " + std::string(100000, '[') + "\n");
  EXPECT_FALSE(deep.event);
  ASSERT_EQ(deep.errors.size(), 1u);
  EXPECT_TRUE(deep.errors[0].starts_with("e.yaml:")) << deep.errors[0];
  ParsedEvent nested = parse_event("event: exec\na: {b: {c: {d: {e: {f: 1}}}}}\n");
  EXPECT_EQ(nested.errors, (std::vector<std::string>{"e.yaml:2:13: unknown field `a.b.c.d`"}));
  // yaml-cpp would garble a raw NUL byte, so it is refused.
  EXPECT_EQ(parse_event(std::string("event: exec\nprocess.exe: a\0b\n", 29)).errors,
            (std::vector<std::string>{"e.yaml:2:15: the file contains a NUL byte; write \"\\0\" "
                                      "in a double-quoted string"}));
  ParsedEvent bom = parse_event(
      "\xEF\xBB\xBF"
      "event: exec\nprocess.pid: x\n");
  EXPECT_EQ(bom.errors, (std::vector<std::string>{
                            "e.yaml:2:14: field `process.pid`: `x` is not an int (write a "
                            "decimal, 0x or 0o number)"}));
}

TEST(FixtureEvent, StrayTopLevelCommaDoesNotHangTheYamlParser) {
  // yaml-cpp 0.7 would return empty documents for these forever.
  EXPECT_EQ(parse_event(",").errors,
            (std::vector<std::string>{"e.yaml:1:1: malformed YAML: unexpected `,`"}));
  EXPECT_EQ(parse_event("event: exec\n,\n").errors,
            (std::vector<std::string>{"e.yaml:2:1: malformed YAML: end of map not found"}));
  EXPECT_EQ(parse_event("- a\n,").errors,
            (std::vector<std::string>{"e.yaml:2:1: malformed YAML: unexpected `,`"}));
  EXPECT_EQ(parse_event("event: exec\n---\nevent: fork\n").errors,
            (std::vector<std::string>{
                "e.yaml:2:1: a test file holds one YAML document; put everything in the first"}));
}

TEST(FixtureEvent, ReaderBudgetIsSharedAcrossEvents) {
  SourceFile file("e.yaml", "event: exec\nprocess.args: [a, b]\n");
  YAML::Node node = YAML::Load(file.contents());
  FixtureReader reader(file, /*budget=*/5);  // one key and two values: 3 per read
  std::vector<FixtureError> errors;
  EXPECT_TRUE(reader.read_event(node, errors));
  EXPECT_FALSE(reader.exhausted());
  EXPECT_FALSE(reader.read_event(node, errors));
  EXPECT_TRUE(reader.exhausted());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "e.yaml:2:19: the file holds too many values; split it up");
  EXPECT_FALSE(reader.read_event(node, errors));
  EXPECT_EQ(errors.size(), 2u);  // every refusal is reported: nothing passes silently
}

// ---- Finding test files -----------------------------------------------------------------

using vigil::testing::TempDir;

TEST(PolicyTestFiles, FindsTestYamlRecursivelySortedAndDeduplicated) {
  TempDir dir;
  std::string b = dir.write("b.test.yaml", "");
  std::string a = dir.write("sub/deeper/a.test.yaml", "");
  dir.write("c.yaml", "");
  dir.write("policy.vigil", "");
  dir.write("d.test.yaml.bak", "");
  std::string explicit_file = dir.write("other/fixture.yml", "");
  auto found = find_policy_test_files({dir.path(), dir.path(), explicit_file,
                                       dir.path() + "/policy.vigil", dir.path() + "/missing"});
  std::vector<std::string> expected = {b, dir.path() + "/missing", explicit_file, a};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);
}

// ---- Running tests ----------------------------------------------------------------------

// A small policy built by hand, with origins pointing into real source text.
class PolicyTestRun : public ::testing::Test {
 protected:
  static constexpr std::string_view kPolicy =
      "rule shell_from_web_server {\n"
      "  on exec\n"
      "  when parent.comm in web_servers and process.exe in shells\n"
      "  except process.cmdline contains \"healthcheck\"\n"
      "  output \"shell {process.exe} under {parent.comm}\"\n"
      "}\n"
      "rule miner {\n"
      "  on exec, net.connect\n"
      "  when process.exe == \"/tmp/miner\"\n"
      "  action kill\n"
      "}\n";

  void SetUp() override {
    FileId file = sources_.add("policies/exec.vigil", std::string(kPolicy));
    auto at = [&](std::string_view text) {
      auto offset = static_cast<uint32_t>(kPolicy.find(text));
      return SourceRange{file, offset, offset + static_cast<uint32_t>(text.size())};
    };
    ir::Rule shell;
    shell.name = "shell_from_web_server";
    shell.name_range = at("shell_from_web_server");
    shell.events = event_bit(EventKind::Exec);
    shell.when.kind = Predicate::Kind::And;
    shell.when.origin = at("parent.comm in web_servers and process.exe in shells");
    shell.when.children = {
        test("parent.comm", TestOp::InSet, {std::string("httpd"), std::string("nginx")},
             at("parent.comm in web_servers")),
        test("process.exe", TestOp::InSet, {std::string("/bin/bash"), std::string("/bin/sh")},
             at("process.exe in shells")),
    };
    shell.excepts = {test("process.cmdline", TestOp::Contains, {std::string("healthcheck")},
                          at("process.cmdline contains"))};
    shell.output = {
        {"shell ", {}}, {"", field("process.exe")}, {" under ", {}}, {"", field("parent.comm")}};
    ir::Rule miner;
    miner.name = "miner";
    miner.name_range = at("miner");
    miner.events = event_bit(EventKind::Exec) | event_bit(EventKind::NetConnect);
    miner.when = test("process.exe", TestOp::Eq, {std::string("/tmp/miner")},
                      at("process.exe == \"/tmp/miner\""));
    miner.action = Action::Kill;
    miner.output = {{"miner matched", {}}};  // the analyser's default
    policy_.rules = {miner, shell};          // sorted by name
  }

  static Predicate test(std::string_view name, TestOp op, std::vector<Value> operands,
                        SourceRange origin) {
    Predicate p;
    p.kind = Predicate::Kind::Test;
    p.field = field(name);
    p.op = op;
    p.operands = std::move(operands);
    p.origin = origin;
    return p;
  }

  // Runs one test file; returns the output with the temp directory replaced by "T".
  std::string run(const std::string& yaml, bool verbose = false) {
    std::string path = dir_.write("exec.test.yaml", yaml);
    return run_files({path}, verbose);
  }

  std::string run_files(const std::vector<std::string>& files, bool verbose = false) {
    std::ostringstream out;
    summary_ = run_policy_tests(policy_, sources_, files, out, verbose);
    std::string text = out.str();
    for (size_t at; (at = text.find(dir_.path())) != std::string::npos;)
      text.replace(at, dir_.path().size(), "T");
    return text;
  }

  TempDir dir_;
  SourceManager sources_;
  ir::PolicySet policy_;
  PolicyTestSummary summary_;
};

TEST_F(PolicyTestRun, PassingCases) {
  std::string output =
      run("cases:\n"
          "  - name: shell spawned by nginx\n"
          "    events:\n"
          "      - event: exec\n"
          "        process.exe: /bin/bash\n"
          "        parent:\n"
          "          comm: nginx\n"
          "    expect:\n"
          "      - rule: shell_from_web_server\n"
          "        action: alert\n"
          "        event: 1\n"
          "  - name: plain ls is quiet\n"
          "    events:\n"
          "      - event: exec\n"
          "        process.exe: /usr/bin/ls\n"
          "    expect: none\n"
          "  - name: empty list also means none\n"
          "    events: [{event: fork}]\n"
          "    expect: []\n"
          "  - name: two rules, any event\n"
          "    events:\n"
          "      - {event: net.connect, process.exe: /tmp/miner}\n"
          "      - {event: exec, process.exe: /bin/sh, parent.comm: httpd, time: 1s}\n"
          "      - {event: exec, process.exe: /tmp/miner}\n"
          "    expect:\n"
          "      - rule: miner\n"
          "      - rule: shell_from_web_server\n"
          "      - {rule: miner, event: 1, action: kill}\n");
  EXPECT_EQ(output,
            "T/exec.test.yaml\n"
            "  PASS shell spawned by nginx\n"
            "  PASS plain ls is quiet\n"
            "  PASS empty list also means none\n"
            "  PASS two rules, any event\n"
            "4 passed, 0 failed\n");
  EXPECT_EQ(summary_.passed, 4u);
  EXPECT_EQ(summary_.failed, 0u);
  EXPECT_EQ(summary_.errors, 0u);
}

TEST_F(PolicyTestRun, UnexpectedMatchShowsFieldsTraceAndOutput) {
  std::string output =
      run("cases:\n"
          "  - name: plain ls is quiet\n"
          "    events:\n"
          "      - event: exec\n"
          "        process.exe: /bin/bash\n"
          "        parent.comm: nginx\n"
          "    expect: none\n");
  EXPECT_EQ(output,
            "T/exec.test.yaml\n"
            "  FAIL plain ls is quiet\n"
            "    event 1 (exec): rule `shell_from_web_server` matched, but no match was expected\n"
            "      fields: process.exe = \"/bin/bash\", parent.comm = \"nginx\"\n"
            "      why: policies/exec.vigil:3:8: parent.comm = \"nginx\"; in [\"httpd\", "
            "\"nginx\"] -> true\n"
            "           policies/exec.vigil:3:39: process.exe = \"/bin/bash\"; in [\"/bin/bash\", "
            "\"/bin/sh\"] -> true\n"
            "           policies/exec.vigil:4:10: except: process.cmdline = \"\"; contains "
            "\"healthcheck\" -> false\n"
            "      output: shell /bin/bash under nginx\n"
            "0 passed, 1 failed\n");
  EXPECT_EQ(summary_.failed, 1u);
}

TEST_F(PolicyTestRun, MissingMatchOnANamedEventShowsTheDecisiveStep) {
  std::string output =
      run("cases:\n"
          "  - name: healthcheck is suppressed\n"
          "    events:\n"
          "      - event: exec\n"
          "        process.exe: /bin/sh\n"
          "        parent.comm: httpd\n"
          "        process.cmdline: sh healthcheck.sh\n"
          "    expect:\n"
          "      - {rule: shell_from_web_server, event: 1}\n");
  EXPECT_EQ(output,
            "T/exec.test.yaml\n"
            "  FAIL healthcheck is suppressed\n"
            "    event 1 (exec): rule `shell_from_web_server` was expected to match, but did not\n"
            "      fields: process.exe = \"/bin/sh\", parent.comm = \"httpd\", process.cmdline = "
            "\"sh healthcheck.sh\"\n"
            "      why: policies/exec.vigil:4:10: except: process.cmdline = \"sh healthcheck.sh\"; "
            "contains \"healthcheck\" -> true\n"
            "0 passed, 1 failed\n");
}

TEST_F(PolicyTestRun, MissingMatchOnAnyEventExplainsEveryEvent) {
  std::string output =
      run("cases:\n"
          "  - name: miner\n"
          "    events:\n"
          "      - {event: exec, process.exe: /tmp/miner2}\n"
          "      - {event: exit}\n"
          "    expect:\n"
          "      - rule: miner\n");
  EXPECT_EQ(
      output,
      "T/exec.test.yaml\n"
      "  FAIL miner\n"
      "    rule `miner` was expected to match an event, but did not\n"
      "      event 1 (exec):\n"
      "        fields: process.exe = \"/tmp/miner2\"\n"
      "        why: policies/exec.vigil:9:8: process.exe = \"/tmp/miner2\"; == \"/tmp/miner\" "
      "-> false\n"
      "      event 2 (exit):\n"
      "        fields: (none set: every field has its default)\n"
      "        why: policies/exec.vigil:7:6: event `exit` is not one of the rule's events "
      "(exec, net.connect)\n"
      "0 passed, 1 failed\n");
}

TEST_F(PolicyTestRun, WrongEventNumberAndWrongActionAndExtraMatches) {
  std::string output =
      run("cases:\n"
          "  - name: wrong event\n"
          "    events:\n"
          "      - {event: exec, process.exe: /tmp/miner}\n"
          "      - {event: exec, process.exe: /bin/true}\n"
          "    expect:\n"
          "      - {rule: miner, event: 2}\n"
          "  - name: wrong action\n"
          "    events:\n"
          "      - {event: exec, process.exe: /tmp/miner}\n"
          "    expect:\n"
          "      - {rule: miner, action: alert}\n"
          "  - name: matched twice, expected once\n"
          "    events:\n"
          "      - {event: exec, process.exe: /tmp/miner}\n"
          "      - {event: net.connect, process.exe: /tmp/miner}\n"
          "    expect:\n"
          "      - {rule: miner}\n"
          "  - name: action never matches\n"
          "    events:\n"
          "      - {event: exec, process.exe: /bin/true}\n"
          "    expect:\n"
          "      - {rule: miner, action: deny}\n");
  EXPECT_EQ(
      output,
      "T/exec.test.yaml\n"
      "  FAIL wrong event\n"
      "    event 1 (exec): rule `miner` matched, but this match was not expected\n"
      "      fields: process.exe = \"/tmp/miner\"\n"
      "      why: policies/exec.vigil:9:8: process.exe = \"/tmp/miner\"; == \"/tmp/miner\" -> "
      "true\n"
      "      output: miner matched\n"
      "    event 2 (exec): rule `miner` was expected to match, but did not\n"
      "      fields: process.exe = \"/bin/true\"\n"
      "      why: policies/exec.vigil:9:8: process.exe = \"/bin/true\"; == \"/tmp/miner\" -> "
      "false\n"
      "  FAIL wrong action\n"
      "    event 1 (exec): rule `miner` matched with action kill, but action alert was "
      "expected\n"
      "  FAIL matched twice, expected once\n"
      "    event 2 (net.connect): rule `miner` matched, but this match was not expected\n"
      "      fields: process.exe = \"/tmp/miner\"\n"
      "      why: policies/exec.vigil:9:8: process.exe = \"/tmp/miner\"; == \"/tmp/miner\" -> "
      "true\n"
      "      output: miner matched\n"
      "  FAIL action never matches\n"
      "    rule `miner` was expected to match the event, but did not (and its action is "
      "kill, not deny)\n"
      "      event 1 (exec):\n"
      "        fields: process.exe = \"/bin/true\"\n"
      "        why: policies/exec.vigil:9:8: process.exe = \"/bin/true\"; == \"/tmp/miner\" "
      "-> false\n"
      "0 passed, 4 failed\n");
  EXPECT_EQ(summary_.failed, 4u);
}

TEST_F(PolicyTestRun, VerbosePrintsTracesForPassingCases) {
  std::string output =
      run("cases:\n"
          "  - name: hit\n"
          "    events: [{event: exec, process.exe: /tmp/miner}]\n"
          "    expect: [{rule: miner}]\n"
          "  - name: quiet\n"
          "    events: [{event: fork}]\n"
          "    expect: none\n",
          /*verbose=*/true);
  EXPECT_EQ(
      output,
      "T/exec.test.yaml\n"
      "  PASS hit\n"
      "    event 1 (exec): rule `miner` matched\n"
      "      why: policies/exec.vigil:9:8: process.exe = \"/tmp/miner\"; == \"/tmp/miner\" -> "
      "true\n"
      "      output: miner matched\n"
      "  PASS quiet\n"
      "    no rule matched\n"
      "2 passed, 0 failed\n");
}

TEST_F(PolicyTestRun, CaseErrorsFailTheCaseWithPositions) {
  std::string output =
      run("cases:\n"
          "  - name: typo in field\n"
          "    events:\n"
          "      - event: exec\n"
          "        process.exee: /bin/sh\n"
          "    expect: none\n"
          "  - name: no expect\n"
          "    events: [{event: exec}]\n"
          "  - name: bad expectations\n"
          "    events: [{event: exec}]\n"
          "    expect:\n"
          "      - {rule: minre, event: 2}\n"
          "      - {rule: miner, action: block, extra: 1}\n"
          "      - {event: 1}\n"
          "      - just a string\n"
          "  - events: [{event: exec}]\n"
          "    expect: none\n"
          "  - name: time goes backwards\n"
          "    events:\n"
          "      - {event: exec, time: 2s}\n"
          "      - {event: exec, time: 1500ms}\n"
          "    expect: none\n"
          "  - name: typo in field\n"
          "    events: []\n"
          "    expect: nothing\n"
          "    extra: 1\n"
          "  - name: fine\n"
          "    events: [{event: exec}]\n"
          "    expect: none\n");
  EXPECT_EQ(output,
            "T/exec.test.yaml\n"
            "  FAIL typo in field\n"
            "    error: T/exec.test.yaml:5:9: unknown field `process.exee`; did you mean "
            "`process.exe`?\n"
            "  FAIL no expect\n"
            "    error: T/exec.test.yaml:7:5: the case has no `expect:`; write `expect: none` if "
            "no rule should match\n"
            "  FAIL bad expectations\n"
            "    error: T/exec.test.yaml:12:16: unknown rule `minre`; did you mean `miner`?\n"
            "    error: T/exec.test.yaml:12:30: `event` must be an event number from 1 to 1\n"
            "    error: T/exec.test.yaml:13:31: unknown action `block` (alert, kill or deny)\n"
            "    error: T/exec.test.yaml:13:38: unknown key `extra`; an expectation has `rule`, "
            "`action` and `event`\n"
            "    error: T/exec.test.yaml:14:9: an expectation needs `rule: NAME`\n"
            "    error: T/exec.test.yaml:15:9: an expectation is a mapping: `rule: NAME`, optional "
            "`action:` and `event:`\n"
            "  FAIL (case 4)\n"
            "    error: T/exec.test.yaml:16:5: a case needs a `name:` (a non-empty string)\n"
            "  FAIL time goes backwards\n"
            "    error: T/exec.test.yaml:21:29: this event's time 1500ms is earlier than the "
            "previous event's 2s; events are fed in the order written, so times may not go "
            "backwards\n"
            "  FAIL typo in field\n"
            "    error: T/exec.test.yaml:26:5: unknown key `extra`; a case has `name`, `events` "
            "and `expect`\n"
            "    error: T/exec.test.yaml:24:13: `events` must be a non-empty list of events\n"
            "    error: T/exec.test.yaml:25:13: `expect` must be `none` or a list of `- rule: "
            "NAME` entries\n"
            "    error: T/exec.test.yaml:23:5: another case has this name (line 2)\n"
            "  PASS fine\n"
            "1 passed, 6 failed\n");
  EXPECT_EQ(summary_.passed, 1u);
  EXPECT_EQ(summary_.failed, 6u);
  EXPECT_EQ(summary_.errors, 0u);
}

TEST_F(PolicyTestRun, FileErrorsAreCountedSeparately) {
  std::string malformed = dir_.write("a.test.yaml", "cases:\n  - name: [x\n");
  std::string no_cases = dir_.write("b.test.yaml", "case:\n  - name: x\n");
  std::string empty = dir_.write("c.test.yaml", "");
  std::string two_documents = dir_.write("d.test.yaml", "cases: []\n---\ncases: []\n");
  std::string empty_cases = dir_.write("e.test.yaml", "cases: []\n");
  std::string not_a_map = dir_.write("f.test.yaml", "- 1\n");
  std::string good = dir_.write("g.test.yaml",
                                "cases:\n  - name: ok\n    events: [{event: exec}]\n"
                                "    expect: none\n");
  std::string output = run_files({malformed, no_cases, empty, two_documents, empty_cases, not_a_map,
                                  good, dir_.path() + "/missing.test.yaml", dir_.path()});
  EXPECT_EQ(output,
            "T/a.test.yaml\n"
            "  ERROR T/a.test.yaml:3:1: malformed YAML: end of sequence flow not found\n"
            "T/b.test.yaml\n"
            "  ERROR T/b.test.yaml:1:1: unknown key `case`; a test file has only `cases:`\n"
            "T/c.test.yaml\n"
            "  ERROR T/c.test.yaml:1:1: the file is empty; it needs a `cases:` list\n"
            "T/d.test.yaml\n"
            "  ERROR T/d.test.yaml:2:1: a test file holds one YAML document; put everything in "
            "the first\n"
            "T/e.test.yaml\n"
            "  ERROR T/e.test.yaml:1:8: `cases` must be a non-empty list of cases\n"
            "T/f.test.yaml\n"
            "  ERROR T/f.test.yaml:1:1: the file must be a mapping with a `cases:` list\n"
            "T/g.test.yaml\n"
            "  PASS ok\n"
            "T/missing.test.yaml\n"
            "  ERROR T/missing.test.yaml: No such file or directory\n"
            "T\n"
            "  ERROR T: is a directory with no *.test.yaml files\n"
            "8 test files could not be run\n"
            "1 passed, 0 failed\n");
  EXPECT_EQ(summary_.errors, 8u);
  EXPECT_EQ(summary_.passed, 1u);
}

TEST_F(PolicyTestRun, ControlBytesInNamesCannotForgeReportLines) {
  std::string output =
      run("cases:\n"
          "  - name: \"evil\\n  PASS forged\"\n"
          "    events: [{event: exec, \"x\\ty\": 1}]\n"
          "    expect: none\n");
  EXPECT_EQ(output,
            "T/exec.test.yaml\n"
            "  FAIL evil\\n  PASS forged\n"
            "    error: T/exec.test.yaml:3:28: unknown field `x\\ty`\n"
            "0 passed, 1 failed\n");
}

TEST_F(PolicyTestRun, NoFilesAtAll) {
  EXPECT_EQ(run_files({}), "no *.test.yaml files found\n0 passed, 0 failed\n");
}

TEST_F(PolicyTestRun, AliasBombIsRefusedQuickly) {
  // 200000 cases x 1000 events x 1000 values if the aliases were expanded.
  std::string values = "&v [";
  for (int i = 0; i < 1000; ++i) values += (i ? ",a" : "a");
  values += "]";
  std::string events = "[&e {event: exec, process.args: " + values + "}";
  for (int i = 1; i < 1000; ++i) events += ",*e";
  events += "]";
  std::string file = "cases:\n- &c {name: c, events: " + events + ", expect: none}\n";
  for (int i = 1; i < 200000; ++i) file += "- *c\n";
  auto start = std::chrono::steady_clock::now();
  std::string output = run(file);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_NE(output.find("the file holds too many values; split it up"), std::string::npos)
      << output.substr(0, 2000);
  EXPECT_EQ(summary_.errors, 1u);
  EXPECT_EQ(summary_.passed, 0u);
}

TEST(PolicyTestEndToEnd, RealPolicyAndTestFile) {
  TempDir dir;
  dir.write("policies/exec.vigil",
            "list web_servers = [\"nginx\", \"httpd\"]\n"
            "macro from_web = parent.comm in web_servers\n"
            "rule web_shell {\n"
            "  on exec\n"
            "  when from_web and process.exe glob \"/bin/*sh\"\n"
            "  output \"shell {process.exe} under {parent.comm}\"\n"
            "}\n"
            "rule old_rule {\n"
            "  on exec\n"
            "  enabled false\n"
            "}\n");
  dir.write("policies/exec.test.yaml",
            "cases:\n"
            "  - name: web shell\n"
            "    events:\n"
            "      - {event: exec, process.exe: /bin/bash, parent.comm: httpd}\n"
            "    expect: [{rule: web_shell, action: alert, event: 1}]\n"
            "  - name: disabled rule never fires\n"
            "    events:\n"
            "      - {event: exec, process.exe: /bin/bash, parent.comm: cron}\n"
            "    expect: [{rule: old_rule}]\n");
  FrontEndResult front = run_front_end({dir.path() + "/policies"});
  ASSERT_TRUE(front.policy);
  std::ostringstream out;
  auto files = find_policy_test_files({dir.path() + "/policies"});
  ASSERT_EQ(files.size(), 1u);
  PolicyTestSummary summary = run_policy_tests(*front.policy, front.sources, files, out, true);
  std::string text = out.str();
  for (size_t at; (at = text.find(dir.path())) != std::string::npos;)
    text.replace(at, dir.path().size(), "T");
  EXPECT_EQ(text,
            "T/policies/exec.test.yaml\n"
            "  PASS web shell\n"
            "    event 1 (exec): rule `web_shell` matched\n"
            "      why: T/policies/exec.vigil:2:18: parent.comm = \"httpd\"; in [\"httpd\", "
            "\"nginx\"] -> true\n"
            "           T/policies/exec.vigil:5:21: process.exe = \"/bin/bash\"; glob \"/bin/*sh\" "
            "-> true\n"
            "      output: shell /bin/bash under httpd\n"
            "  FAIL disabled rule never fires\n"
            "    rule `old_rule` was expected to match the event, but did not\n"
            "      event 1 (exec):\n"
            "        fields: process.exe = \"/bin/bash\", parent.comm = \"cron\"\n"
            "        why: T/policies/exec.vigil:8:6: the rule is disabled\n"
            "1 passed, 1 failed\n");
  EXPECT_EQ(summary.passed, 1u);
  EXPECT_EQ(summary.failed, 1u);
}

}  // namespace
}  // namespace vigil
