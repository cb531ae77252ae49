#include "compiler/policy_test.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "compiler/evaluator.h"
#include "compiler/fixture.h"
#include "compiler/stateful_evaluator.h"
#include "compiler/suggest.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxTestFileBytes = 64u << 20;
bool is_test_file(const fs::path& path) {
  return path.filename().string().ends_with(".test.yaml");
}

bool is_policy_file(const fs::path& path) {
  return path.extension() == ".vigil";
}

}  // namespace

std::vector<std::string> find_policy_test_files(const std::vector<std::string>& paths) {
  std::vector<std::string> found;
  for (const std::string& root : paths) {
    std::error_code error;
    if (!fs::is_directory(root, error)) {
      // The same paths name the policies, so a named .vigil file is not a
      // test; any other named file is, whatever its name. A missing path is
      // kept so that running it reports the problem.
      if (!is_policy_file(root)) found.push_back(fs::path(root).lexically_normal().string());
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
    if (error) {
      found.push_back(fs::path(root).lexically_normal().string());
      continue;
    }
    for (fs::recursive_directory_iterator end; it != end; it.increment(error)) {
      if (error) break;
      std::error_code entry_error;
      if (it->is_regular_file(entry_error) && is_test_file(it->path()))
        found.push_back(it->path().lexically_normal().string());
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

namespace {

// ---- Reading a test file -------------------------------------------------------------

struct ExpectedMatch {
  const ir::Rule* rule = nullptr;
  std::optional<Action> action;
  std::optional<size_t> event;  // 0-based
};

struct TestCase {
  std::string name;
  bool named = false;  // `name` was given (otherwise `name` is "(case N)")
  std::vector<FixtureEvent> events;
  std::vector<ExpectedMatch> expected;  // empty: no match expected
  std::vector<FixtureError> errors;     // the case fails if there are any
};

struct TestFile {
  std::vector<TestCase> cases;
  std::vector<FixtureError> errors;  // the file could not be run
};

std::string backticked(std::string_view text) {
  return "`" + escape_control_bytes(text) + "`";
}

std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : "?";
}

class TestFileReader {
 public:
  TestFileReader(const ir::PolicySet& policy, const SourceFile& file)
      : policy_(policy), file_(file), fixtures_(file), locator_(fixtures_.locator()) {
    for (const ir::Rule& rule : policy.rules) rule_names_.push_back(rule.name);
  }

  TestFile read() {
    TestFile result;
    YAML::Node document;
    if (!load_single_yaml_document(file_, document, result.errors)) return result;
    try {
      read_document(document, result);
    } catch (const YAML::Exception& exception) {
      result.errors.push_back({file_.path(), locator_.position_of_offset(exception.mark.pos),
                               "malformed YAML: " + exception.msg});
    } catch (const std::exception& exception) {
      result.errors.push_back(
          {file_.path(), {}, std::string("cannot read the file: ") + exception.what()});
    }
    return result;
  }

 private:
  void read_document(const YAML::Node& root, TestFile& result) {
    if (root.IsNull()) {
      result.errors.push_back({file_.path(), {}, "the file is empty; it needs a `cases:` list"});
      return;
    }
    if (!root.IsMap()) {
      result.errors.push_back(
          locator_.error(root, "the file must be a mapping with a `cases:` list"));
      return;
    }
    std::optional<YAML::Node> cases;
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = key_text(it->first);
      if (key != "cases") {
        result.errors.push_back(locator_.error(
            it->first, "unknown key " + backticked(key) + "; a test file has only `cases:`"));
      } else if (cases) {
        result.errors.push_back(locator_.error(it->first, "`cases` is given twice"));
      } else {
        cases = it->second;
      }
    }
    if (!result.errors.empty()) return;
    if (!cases) {
      result.errors.push_back(locator_.error(root, "the file has no `cases:` list"));
      return;
    }
    if (!cases->IsSequence() || cases->size() == 0) {
      result.errors.push_back(locator_.error(*cases, "`cases` must be a non-empty list of cases"));
      return;
    }
    std::map<std::string, uint32_t> names;
    for (const YAML::Node& node : *cases) {
      if (!spend(node, result.errors)) return;
      TestCase test_case = read_case(node, result.cases.size() + 1);
      if (test_case.named) {
        auto [it, inserted] = names.emplace(test_case.name, locator_.position(node).line);
        if (!inserted)
          test_case.errors.push_back(locator_.error(
              node, "another case has this name (line " + std::to_string(it->second) + ")"));
      }
      result.cases.push_back(std::move(test_case));
    }
  }

  // Each case, event, field value and expectation costs one unit of a budget
  // shared by the file.
  bool spend(const YAML::Node& node, std::vector<FixtureError>& errors) {
    return fixtures_.spend(node, errors);
  }

  TestCase read_case(const YAML::Node& node, size_t number) {
    TestCase test_case;
    test_case.name = "(case " + std::to_string(number) + ")";
    if (!node.IsMap()) {
      test_case.errors.push_back(
          locator_.error(node, "a case must be a mapping with `name`, `events` and `expect`"));
      return test_case;
    }
    std::optional<YAML::Node> name, events, expect;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = key_text(it->first);
      std::optional<YAML::Node>* slot = key == "name"     ? &name
                                        : key == "events" ? &events
                                        : key == "expect" ? &expect
                                                          : nullptr;
      if (!slot) {
        test_case.errors.push_back(locator_.error(
            it->first,
            "unknown key " + backticked(key) + "; a case has `name`, `events` and `expect`"));
      } else if (*slot) {
        test_case.errors.push_back(locator_.error(it->first, backticked(key) + " is given twice"));
      } else {
        *slot = it->second;
      }
    }
    if (name && name->IsScalar() && !name->Scalar().empty()) {
      test_case.name = escape_control_bytes(name->Scalar());
      test_case.named = true;
    } else {
      test_case.errors.push_back(
          locator_.error(name ? *name : node, "a case needs a `name:` (a non-empty string)"));
    }
    read_events(node, events, test_case);
    read_expect(node, expect, test_case);
    return test_case;
  }

  void read_events(const YAML::Node& case_node, const std::optional<YAML::Node>& events,
                   TestCase& test_case) {
    if (!events) {
      test_case.errors.push_back(locator_.error(case_node, "the case has no `events:` list"));
      return;
    }
    if (!events->IsSequence() || events->size() == 0) {
      test_case.errors.push_back(
          locator_.error(*events, "`events` must be a non-empty list of events"));
      return;
    }
    std::optional<Duration> previous_time;
    for (const YAML::Node& node : *events) {
      if (!spend(node, test_case.errors)) return;
      auto event = fixtures_.read_event(node, test_case.errors);
      if (fixtures_.exhausted() && !event) return;
      if (!event) {
        test_case.events.emplace_back(FixtureEvent{Event(EventKind::Exec), {}, {}, {}});
        continue;  // a placeholder keeps later events' numbers right
      }
      // An event without `time` happens at the same time as the one before.
      Duration time = event->time.value_or(previous_time.value_or(Duration{0}));
      if (previous_time && time < *previous_time) {
        // Only an explicit `time:` can go backwards.
        test_case.errors.push_back(
            {file_.path(), event->time_position,
             "this event's time " + value_to_string(time) + " is earlier than the previous " +
                 "event's " + value_to_string(*previous_time) +
                 "; events are fed in the order written, so times may not go backwards"});
      }
      previous_time = time;
      event->event.time_ns = static_cast<uint64_t>(time.count());
      test_case.events.push_back(std::move(*event));
    }
  }

  void read_expect(const YAML::Node& case_node, const std::optional<YAML::Node>& expect,
                   TestCase& test_case) {
    if (!expect) {
      test_case.errors.push_back(locator_.error(
          case_node, "the case has no `expect:`; write `expect: none` if no rule should match"));
      return;
    }
    if (expect->IsScalar() && expect->Scalar() == "none") return;
    if (!expect->IsSequence()) {
      test_case.errors.push_back(
          locator_.error(expect->IsNull() ? case_node : *expect,
                         "`expect` must be `none` or a list of `- rule: NAME` entries"));
      return;
    }
    for (const YAML::Node& node : *expect) {
      if (!spend(node, test_case.errors)) return;
      read_expected_match(node, test_case);
    }
  }

  void read_expected_match(const YAML::Node& node, TestCase& test_case) {
    auto fail = [&](const YAML::Node& where, std::string message) {
      test_case.errors.push_back(locator_.error(where, std::move(message)));
    };
    if (!node.IsMap()) {
      fail(node, "an expectation is a mapping: `rule: NAME`, optional `action:` and `event:`");
      return;
    }
    size_t errors_before = test_case.errors.size();
    ExpectedMatch expected;
    bool has_rule = false;
    std::map<std::string, bool> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string key = key_text(it->first);
      YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      if (key != "rule" && key != "action" && key != "event") {
        fail(it->first, "unknown key " + backticked(key) +
                            "; an expectation has `rule`, `action` and `event`");
        continue;
      }
      if (seen[key]) {
        fail(it->first, backticked(key) + " is given twice");
        continue;
      }
      seen[key] = true;
      if (!value.IsScalar()) {
        fail(value.IsNull() ? it->first : value, backticked(key) + " needs a value");
        continue;
      }
      const std::string& text = value.Scalar();
      if (key == "rule") {
        has_rule = true;
        expected.rule = policy_.find(text);
        if (!expected.rule) fail(value, unknown_rule_message(text));
      } else if (key == "action") {
        expected.action = find_action(text);
        if (!expected.action)
          fail(value, "unknown action " + backticked(text) + " (alert, kill or deny)");
      } else {
        std::string error;
        auto number = parse_fixture_value(Type::Int, text, error);
        size_t count = test_case.events.size();
        if (!number || std::get<int64_t>(*number) < 1 ||
            static_cast<uint64_t>(std::get<int64_t>(*number)) > count) {
          fail(value, "`event` must be an event number from 1 to " + std::to_string(count));
        } else {
          expected.event = static_cast<size_t>(std::get<int64_t>(*number) - 1);
        }
      }
    }
    if (!has_rule) fail(node, "an expectation needs `rule: NAME`");
    if (test_case.errors.size() == errors_before) test_case.expected.push_back(expected);
  }

  std::string unknown_rule_message(const std::string& name) {
    std::string message = "unknown rule " + backticked(name);
    if (!rule_suggester_) rule_suggester_.emplace(rule_names_);
    if (auto close = rule_suggester_->suggest(name)) message += "; " + did_you_mean(*close);
    return message;
  }

  const ir::PolicySet& policy_;
  const SourceFile& file_;
  FixtureReader fixtures_;
  const YamlLocator& locator_;
  std::vector<std::string_view> rule_names_;
  std::optional<NameSuggester> rule_suggester_;
};

// ---- Running a case ------------------------------------------------------------------

struct ActualMatch {
  size_t event;
  const ir::Rule* rule;
};

std::string location(const SourceManager& sources, const SourceRange& range) {
  if (range.file >= sources.size()) return "<unknown location>";
  const SourceFile& file = sources.file(range.file);
  LineColumn position = file.line_column(range.begin);
  return file.path() + ":" + std::to_string(position.line) + ":" + std::to_string(position.column);
}

class CaseReporter {
 public:
  // `notes[i]`: what event i did to the stateful rules.
  CaseReporter(const SourceManager& sources, const TestCase& test_case,
               const std::vector<std::vector<StateNote>>& notes, std::ostream& out)
      : sources_(sources), case_(test_case), notes_(notes), out_(out) {}

  std::string event_title(size_t index) const {
    return "event " + std::to_string(index + 1) + " (" +
           std::string(event_info(case_.events[index].event.kind()).name) + ")";
  }

  void fields(size_t index, const std::string& indent) const {
    const FixtureEvent& fixture = case_.events[index];
    std::string text;
    for (FieldId field : fixture.fields_set) {
      if (!text.empty()) text += ", ";
      text += std::string(field_info(field).name) + " = ";
      auto values = fixture.event.get(field);
      if (field_info(field).multi_valued) {
        text += "[";
        for (size_t i = 0; i < values.size(); ++i)
          text += (i ? ", " : "") + value_to_string(values[i]);
        text += "]";
      } else if (!values.empty()) {
        text += value_to_string(values.front());
      }
    }
    out_ << indent
         << "fields: " << (text.empty() ? "(none set: every field has its default)" : text) << "\n";
  }

  void why(const ir::Rule& rule, size_t index, const std::string& indent) const {
    RuleEvaluation evaluation = explain_rule(rule, case_.events[index].event);
    const std::string label = "why: ";
    for (size_t i = 0; i < evaluation.trace.size(); ++i) {
      const EvaluationStep& step = evaluation.trace[i];
      out_ << indent << (i == 0 ? label : std::string(label.size(), ' '))
           << location(sources_, step.origin) << ": " << step.detail << "\n";
    }
    if (index < notes_.size())
      for (const StateNote& note : notes_[index])
        if (note.rule == &rule) out_ << indent << "state: " << note.detail << "\n";
    if (evaluation.matched)
      out_ << indent << "output: " << render_output(rule, case_.events[index].event) << "\n";
  }

 private:
  const SourceManager& sources_;
  const TestCase& case_;
  const std::vector<std::vector<StateNote>>& notes_;
  std::ostream& out_;
};

bool action_fits(const ExpectedMatch& expected, const ir::Rule& rule) {
  return !expected.action || *expected.action == rule.action;
}

// Returns true if the case passed; prints the failure details otherwise.
bool run_case(const ir::PolicySet& policy, const SourceManager& sources, const TestCase& test_case,
              std::ostream& out, bool verbose) {
  // One evaluator per case: the events of a case are one stream, in order.
  StatefulEvaluator evaluator(policy);
  std::vector<std::vector<StateNote>> notes(test_case.events.size());
  std::vector<ActualMatch> actual;
  for (size_t i = 0; i < test_case.events.size(); ++i)
    for (const ir::Rule* rule : evaluator.process(test_case.events[i].event, notes[i]))
      actual.push_back({i, rule});
  CaseReporter report(sources, test_case, notes, out);
  const std::string detail_indent = "      ";

  // Pair expectations with matches: those naming an event first, so that an
  // expectation for "any event" cannot take a match a specific one needs.
  std::vector<bool> actual_claimed(actual.size(), false);
  std::vector<bool> expected_met(test_case.expected.size(), false);
  auto claim = [&](size_t e, bool require_action) -> std::optional<size_t> {
    const ExpectedMatch& expected = test_case.expected[e];
    for (size_t a = 0; a < actual.size(); ++a) {
      if (actual_claimed[a] || actual[a].rule != expected.rule) continue;
      if (expected.event && *expected.event != actual[a].event) continue;
      if (require_action && !action_fits(expected, *actual[a].rule)) continue;
      actual_claimed[a] = true;
      expected_met[e] = true;
      return a;
    }
    return std::nullopt;
  };
  for (bool with_event : {true, false})
    for (size_t e = 0; e < test_case.expected.size(); ++e)
      if (test_case.expected[e].event.has_value() == with_event) claim(e, true);

  bool passed = std::all_of(expected_met.begin(), expected_met.end(), [](bool b) { return b; }) &&
                std::all_of(actual_claimed.begin(), actual_claimed.end(), [](bool b) { return b; });
  if (passed) {
    out << "  PASS " << test_case.name << "\n";
    if (verbose) {
      if (actual.empty()) out << "    no rule matched\n";
      for (const ActualMatch& match : actual) {
        out << "    " << report.event_title(match.event) << ": rule `" << match.rule->name
            << "` matched\n";
        report.why(*match.rule, match.event, detail_indent);
      }
    }
    return true;
  }
  out << "  FAIL " << test_case.name << "\n";
  std::ostream& details = out;

  // A match whose action differs from the expected one is one problem, not two.
  for (size_t e = 0; e < test_case.expected.size(); ++e) {
    if (expected_met[e]) continue;
    const ExpectedMatch& expected = test_case.expected[e];
    if (action_fits(expected, *expected.rule)) continue;
    if (auto a = claim(e, false)) {
      details << "    " << report.event_title(actual[*a].event) << ": rule `" << expected.rule->name
              << "` matched with action " << action_name(expected.rule->action) << ", but action "
              << action_name(*expected.action) << " was expected\n";
    }
  }
  for (size_t a = 0; a < actual.size(); ++a) {
    if (actual_claimed[a]) continue;
    details << "    " << report.event_title(actual[a].event) << ": rule `" << actual[a].rule->name
            << "` matched, but "
            << (test_case.expected.empty() ? "no match was expected"
                                           : "this match was not expected")
            << "\n";
    report.fields(actual[a].event, detail_indent);
    report.why(*actual[a].rule, actual[a].event, detail_indent);
  }
  for (size_t e = 0; e < test_case.expected.size(); ++e) {
    if (expected_met[e]) continue;
    const ExpectedMatch& expected = test_case.expected[e];
    std::string action_note;
    if (!action_fits(expected, *expected.rule))
      action_note = " (and its action is " + std::string(action_name(expected.rule->action)) +
                    ", not " + std::string(action_name(*expected.action)) + ")";
    if (expected.event) {
      details << "    " << report.event_title(*expected.event) << ": rule `" << expected.rule->name
              << "` was expected to match, but did not" << action_note << "\n";
      report.fields(*expected.event, detail_indent);
      report.why(*expected.rule, *expected.event, detail_indent);
      continue;
    }
    details << "    rule `" << expected.rule->name << "` was expected to match "
            << (test_case.events.size() == 1 ? "the event" : "an event") << ", but did not"
            << action_note << "\n";
    for (size_t i = 0; i < test_case.events.size(); ++i) {
      details << "      " << report.event_title(i) << ":\n";
      report.fields(i, detail_indent + "  ");
      report.why(*expected.rule, i, detail_indent + "  ");
    }
  }
  return false;
}

bool read_file(const std::string& path, std::string& contents, std::string& error) {
  std::error_code code;
  if (fs::is_directory(path, code)) {
    error = "is a directory with no *.test.yaml files";
    return false;
  }
  auto size = fs::file_size(path, code);
  if (!code && size > kMaxTestFileBytes) {
    error = "file is larger than " + std::to_string(kMaxTestFileBytes >> 20) + " MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = code ? code.message() : "cannot open the file";
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return false;
  }
  contents = buffer.str();
  return true;
}

}  // namespace

PolicyTestSummary run_policy_tests(const ir::PolicySet& policy, const SourceManager& sources,
                                   const std::vector<std::string>& test_files, std::ostream& out,
                                   bool verbose) {
  PolicyTestSummary summary;
  if (test_files.empty()) out << "no *.test.yaml files found\n";
  for (const std::string& path : test_files) {
    out << path << "\n";
    std::string contents, error;
    if (!read_file(path, contents, error)) {
      out << "  ERROR " << path << ": " << error << "\n";
      ++summary.errors;
      continue;
    }
    SourceFile file(path, std::move(contents));
    TestFile test_file = TestFileReader(policy, file).read();
    if (!test_file.errors.empty()) {
      for (const FixtureError& file_error : test_file.errors)
        out << "  ERROR " << file_error.to_string() << "\n";
      ++summary.errors;
      continue;
    }
    for (const TestCase& test_case : test_file.cases) {
      if (!test_case.errors.empty()) {
        out << "  FAIL " << test_case.name << "\n";
        for (const FixtureError& case_error : test_case.errors)
          out << "    error: " << case_error.to_string() << "\n";
        ++summary.failed;
      } else if (run_case(policy, sources, test_case, out, verbose)) {
        ++summary.passed;
      } else {
        ++summary.failed;
      }
    }
  }
  if (summary.errors > 0)
    out << summary.errors << (summary.errors == 1 ? " test file" : " test files")
        << " could not be run\n";
  out << summary.passed << " passed, " << summary.failed << " failed\n";
  return summary;
}

}  // namespace vigil
