// Event fixtures: an event written as a YAML mapping, as in `*.test.yaml`
// files (docs/testing.md). Field values are parsed by the field's type;
// every problem is reported with the YAML file:line:col, never thrown.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/evaluator.h"
#include "compiler/source.h"
#include "compiler/suggest.h"
#include "compiler/text_escape.h"

namespace YAML {
class Node;
}

namespace vigil {

struct FixtureError {
  std::string path;
  LineColumn position;
  std::string message;

  std::string to_string() const;  // "path:line:col: message"
};

// Turns yaml-cpp node marks (byte based) into positions whose columns count
// code points, like the policy diagnostics.
class YamlLocator {
 public:
  explicit YamlLocator(const SourceFile& file);

  LineColumn position(const YAML::Node& node) const;
  // yaml-cpp reports positions as byte offsets after a UTF-8 byte order mark.
  LineColumn position_of_offset(int offset) const;
  FixtureError error(const YAML::Node& node, std::string message) const;
  const std::string& path() const { return file_.path(); }

 private:
  const SourceFile& file_;
  int bom_length_ = 0;
};

struct FixtureEvent {
  Event event;
  std::optional<Duration> time;     // `time:`, if given
  std::vector<FieldId> fields_set;  // in the order written
  LineColumn time_position;         // of the `time:` value, if given
};

// Reads the event mappings of one YAML file: `event: NAME`, optional
// `time: DURATION`, and fields as dotted keys or nested mappings. State
// shared by the whole file lives here: a budget (each field value costs one,
// so YAML aliases cannot multiply a small file into billions of values) and
// memoised "did you mean" suggestions.
class FixtureReader {
 public:
  static constexpr size_t kDefaultBudget = 250'000;

  explicit FixtureReader(const SourceFile& file, size_t budget = kDefaultBudget);

  // Appends errors and returns nullopt if there were any.
  std::optional<FixtureEvent> read_event(const YAML::Node& node, std::vector<FixtureError>& errors);

  // Takes one unit of the budget for `node`; when it is spent, reports that
  // at `node` and returns false. Callers stop reading at the first false.
  bool spend(const YAML::Node& node, std::vector<FixtureError>& errors);
  bool exhausted() const { return budget_ == 0; }

  const YamlLocator& locator() const { return locator_; }
  // "unknown event `x`" with a hint when a known name is close.
  std::string unknown_event_message(std::string_view name);
  std::string unknown_field_message(std::string_view name);

 private:
  YamlLocator locator_;
  size_t budget_;
  NameSuggester event_names_;
  NameSuggester field_names_;
};

// Parses a scalar as a value of `type` (int: decimal, 0x, 0o, optional '-';
// port: 0-65535; bool: true/false; ip; duration: 500ms, 10s, 5m, 1h, also
// ns/us; string: the text as-is). On failure sets `error`.
std::optional<Value> parse_fixture_value(Type type, std::string_view text, std::string& error);

// Loads the one YAML document of `file` into `document`, or reports why not
// (malformed YAML, several documents, NUL bytes) and returns false. Guards
// against yaml-cpp 0.7 defects: it garbles raw NUL bytes, and on a stray
// top-level `,` it yields empty documents forever without advancing.
bool load_single_yaml_document(const SourceFile& file, YAML::Node& document,
                               std::vector<FixtureError>& errors);

// Parses a whole YAML document that is one event mapping.
std::optional<FixtureEvent> parse_fixture_event(const SourceFile& file,
                                                std::vector<FixtureError>& errors);

}  // namespace vigil
