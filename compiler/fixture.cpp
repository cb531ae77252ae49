#include "compiler/fixture.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <sstream>

namespace vigil {

std::string FixtureError::to_string() const {
  return path + ":" + std::to_string(position.line) + ":" + std::to_string(position.column) + ": " +
         message;
}

YamlLocator::YamlLocator(const SourceFile& file) : file_(file) {
  if (file.contents().starts_with("\xEF\xBB\xBF")) bom_length_ = 3;
}

LineColumn YamlLocator::position_of_offset(int offset) const {
  if (offset < 0) return {};
  return file_.line_column(static_cast<uint32_t>(offset + bom_length_));
}

LineColumn YamlLocator::position(const YAML::Node& node) const {
  return position_of_offset(node.Mark().pos);
}

FixtureError YamlLocator::error(const YAML::Node& node, std::string message) const {
  return {file_.path(), position(node), std::move(message)};
}

// ---- Scalar values ---------------------------------------------------------------

namespace {

std::string backticked(std::string_view text) {
  return "`" + escape_control_bytes(text) + "`";
}

std::optional<int64_t> parse_int(std::string_view text, std::string& error) {
  std::string_view digits = text;
  bool negative = digits.starts_with('-');
  if (negative) digits.remove_prefix(1);
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.starts_with("0o") || digits.starts_with("0O")) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits.front() == '0') {
    error = backticked(text) + " is ambiguous: write 0o" + std::string(digits.substr(1)) +
            " for octal or drop the leading zero";
    return std::nullopt;
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (digits.empty() || end != digits.data() + digits.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    error = backticked(text) + " is not an int (write a decimal, 0x or 0o number)";
    return std::nullopt;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (ec == std::errc::result_out_of_range || magnitude > kMax + (negative ? 1 : 0)) {
    error = backticked(text) + " is out of the 64-bit int range";
    return std::nullopt;
  }
  if (!negative) return static_cast<int64_t>(magnitude);
  // -(2^63) does not fit the positive side, so negate in unsigned arithmetic.
  return static_cast<int64_t>(0 - magnitude);
}

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
  size_t unit_start = text.find_first_not_of("0123456789");
  std::string_view digits = text.substr(0, unit_start);
  std::string_view unit = unit_start == std::string_view::npos ? "" : text.substr(unit_start);
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ns", 1},
      {"us", 1'000},
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  };
  const int64_t* scale = nullptr;
  for (const auto& [name, nanoseconds] : kUnits)
    if (unit == name) scale = &nanoseconds;
  uint64_t count = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (digits.empty() || !scale || end != digits.data() + digits.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    error = backticked(text) + " is not a duration (write e.g. 500ms, 10s, 5m, 1h)";
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range ||
      count > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / *scale)) {
    error = backticked(text) + " is too long a duration";
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(count) * *scale);
}

}  // namespace

std::optional<Value> parse_fixture_value(Type type, std::string_view text, std::string& error) {
  switch (type) {
    case Type::String: return std::string(text);
    case Type::Bool:
      if (text == "true") return true;
      if (text == "false") return false;
      error = backticked(text) + " is not a bool (write true or false)";
      return std::nullopt;
    case Type::Int:
      if (auto number = parse_int(text, error)) return *number;
      return std::nullopt;
    case Type::Port: {
      std::string int_error;
      auto number = parse_int(text, int_error);
      if (number && *number >= 0 && *number <= 65535) return *number;
      error = backticked(text) + " is not a port (0-65535)";
      return std::nullopt;
    }
    case Type::Ip:
      if (auto address = IpAddress::parse(text)) return *address;
      error = backticked(text) + " is not an IP address";
      return std::nullopt;
    case Type::Duration:
      if (auto duration = parse_duration(text, error)) return *duration;
      return std::nullopt;
    case Type::Cidr:
      if (auto network = IpNetwork::parse(text, &error)) return *network;
      error = backticked(text) + " is not a network: " + error;
      return std::nullopt;
  }
  error = "unsupported type";
  return std::nullopt;
}

// ---- Event mappings --------------------------------------------------------------

namespace {

// Field names have at most three dots; anything nested deeper is a mistake.
constexpr int kMaxKeyNesting = 4;

class EventReader {
 public:
  EventReader(FixtureReader& reader, std::vector<FixtureError>& errors)
      : reader_(reader), locator_(reader.locator()), errors_(errors) {}

  std::optional<FixtureEvent> read(const YAML::Node& node) {
    if (!node.IsMap()) {
      fail(node, "an event must be a mapping with at least `event: NAME`");
      return std::nullopt;
    }
    std::optional<EventKind> kind = read_kind(node);
    std::optional<Duration> time;
    LineColumn time_position;
    std::map<std::string, LineColumn> seen;
    std::vector<std::pair<FieldId, Value>> singles;
    std::vector<std::pair<FieldId, std::vector<Value>>> multis;
    std::vector<FieldId> order;

    for (auto it = node.begin(); it != node.end() && !out_of_budget_; ++it) {
      YAML::Node key = it->first;     // a copy: `it->` yields a temporary
      YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      if (!key.IsScalar()) {
        fail(key, "a key must be a field name");
        continue;
      }
      const std::string& name = key.Scalar();
      if (name == "event") continue;  // read_kind handled it
      if (name == "time") {
        if (!check_unique(key, name, seen)) continue;
        if (!value.IsScalar()) {
          fail(value.IsNull() ? key : value, "`time` must be a duration, e.g. 1500ms");
          continue;
        }
        std::string error;
        time = parse_duration(value.Scalar(), error);
        if (!time) fail(value, "`time`: " + error);
        time_position = locator_.position(value);
        continue;
      }
      read_field(key, name, value, kind, 1, seen, singles, multis, order);
    }
    if (had_errors_ || !kind) return std::nullopt;

    FixtureEvent result{Event(*kind), time, order, time_position};
    for (auto& [field, value] : singles) result.event.set(field, std::move(value));
    for (auto& [field, values] : multis) result.event.set_values(field, std::move(values));
    return result;
  }

 private:
  void fail(const YAML::Node& node, std::string message) {
    errors_.push_back(locator_.error(node, std::move(message)));
    had_errors_ = true;
  }

  bool check_unique(const YAML::Node& key, const std::string& name,
                    std::map<std::string, LineColumn>& seen) {
    auto [it, inserted] = seen.emplace(name, locator_.position(key));
    if (!inserted) {
      fail(key, backticked(name) + " is set twice (first at line " +
                    std::to_string(it->second.line) + ")");
    }
    return inserted;
  }

  std::optional<EventKind> read_kind(const YAML::Node& node) {
    std::optional<EventKind> kind;
    bool found = false;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != "event") continue;
      if (found) {
        fail(it->first, "`event` is set twice");
        continue;
      }
      found = true;
      YAML::Node value = it->second;  // a copy: `it->` yields a temporary
      if (!value.IsScalar()) {
        fail(value.IsNull() ? it->first : value, "`event` must be an event name, e.g. exec");
        continue;
      }
      kind = find_event(value.Scalar());
      if (!kind) fail(value, reader_.unknown_event_message(value.Scalar()));
    }
    if (!found) fail(node, "the event has no `event:` key naming its kind (e.g. `event: exec`)");
    return kind;
  }

  void read_field(const YAML::Node& key, const std::string& name, const YAML::Node& value,
                  std::optional<EventKind> kind, int depth, std::map<std::string, LineColumn>& seen,
                  std::vector<std::pair<FieldId, Value>>& singles,
                  std::vector<std::pair<FieldId, std::vector<Value>>>& multis,
                  std::vector<FieldId>& order) {
    if (!spend_budget(key)) return;
    std::optional<FieldId> field = find_field(name);
    if (!field && value.IsMap()) {
      // A nested mapping: `parent: {comm: nginx}` sets `parent.comm`.
      if (depth >= kMaxKeyNesting) {
        fail(key, reader_.unknown_field_message(name));
        return;
      }
      for (auto it = value.begin(); it != value.end() && !out_of_budget_; ++it) {
        if (!it->first.IsScalar()) {
          fail(it->first, "a key must be a field name");
          continue;
        }
        read_field(it->first, name + "." + it->first.Scalar(), it->second, kind, depth + 1, seen,
                   singles, multis, order);
      }
      return;
    }
    if (!field) {
      fail(key, reader_.unknown_field_message(name));
      return;
    }
    if (!check_unique(key, name, seen)) return;
    const FieldInfo& info = field_info(*field);
    if (kind && (info.events & event_bit(*kind)) == 0) {
      fail(key, "field " + backticked(name) + " is not carried by `" +
                    std::string(event_info(*kind).name) + "` events");
      return;
    }
    std::string type = std::string(type_name(info.type));
    if (value.IsNull()) {
      fail(key, "field " + backticked(name) + " has no value" +
                    (info.type == Type::String ? " (write \"\" for an empty string)" : ""));
      return;
    }
    if (info.multi_valued) {
      if (!value.IsSequence()) {
        fail(value,
             "field " + backticked(name) + " holds several values: write a sequence, e.g. [a, b]");
        return;
      }
      std::vector<Value> values;
      values.reserve(value.size());
      for (const YAML::Node& item : value) {
        if (out_of_budget_) return;
        if (auto parsed = read_scalar(item, name, info.type)) values.push_back(std::move(*parsed));
      }
      multis.emplace_back(*field, std::move(values));
    } else {
      if (!value.IsScalar()) {
        fail(value, "field " + backticked(name) + " takes one " + type + " value, not a " +
                        (value.IsMap() ? "mapping" : "sequence"));
        return;
      }
      auto parsed = read_scalar(value, name, info.type);
      if (!parsed) return;
      singles.emplace_back(*field, std::move(*parsed));
    }
    order.push_back(*field);
  }

  std::optional<Value> read_scalar(const YAML::Node& node, const std::string& name, Type type) {
    if (!spend_budget(node)) return std::nullopt;
    if (!node.IsScalar()) {
      fail(node,
           "field " + backticked(name) + ": expected a " + std::string(type_name(type)) + " value");
      return std::nullopt;
    }
    std::string error;
    auto value = parse_fixture_value(type, node.Scalar(), error);
    if (!value) fail(node, "field " + backticked(name) + ": " + error);
    return value;
  }

  bool spend_budget(const YAML::Node& node) {
    if (reader_.spend(node, errors_)) return true;
    had_errors_ = out_of_budget_ = true;
    return false;
  }

  FixtureReader& reader_;
  const YamlLocator& locator_;
  std::vector<FixtureError>& errors_;
  bool had_errors_ = false;
  bool out_of_budget_ = false;
};

std::vector<std::string_view> event_names() {
  std::vector<std::string_view> names;
  for (const EventInfo& info : all_events()) names.push_back(info.name);
  return names;
}

std::vector<std::string_view> field_names() {
  std::vector<std::string_view> names;
  for (const FieldInfo& info : all_fields()) names.push_back(info.name);
  return names;
}

}  // namespace

FixtureReader::FixtureReader(const SourceFile& file, size_t budget)
    : locator_(file), budget_(budget), event_names_(event_names()), field_names_(field_names()) {}

bool FixtureReader::spend(const YAML::Node& node, std::vector<FixtureError>& errors) {
  if (budget_ > 0) {
    --budget_;
    return true;
  }
  errors.push_back(locator_.error(node, "the file holds too many values; split it up"));
  return false;
}

std::string FixtureReader::unknown_event_message(std::string_view name) {
  std::string message = "unknown event " + backticked(name);
  if (auto close = event_names_.suggest(name)) message += "; " + did_you_mean(*close);
  return message;
}

std::string FixtureReader::unknown_field_message(std::string_view name) {
  std::string message = "unknown field " + backticked(name);
  if (auto close = field_names_.suggest(name)) message += "; " + did_you_mean(*close);
  return message;
}

std::optional<FixtureEvent> FixtureReader::read_event(const YAML::Node& node,
                                                      std::vector<FixtureError>& errors) {
  try {
    return EventReader(*this, errors).read(node);
  } catch (const YAML::Exception& exception) {
    errors.push_back({locator_.path(), locator_.position_of_offset(exception.mark.pos),
                      "malformed YAML: " + exception.msg});
  } catch (const std::exception& exception) {
    errors.push_back(
        {locator_.path(), {}, std::string("cannot read the event: ") + exception.what()});
  }
  return std::nullopt;
}

namespace {

// Records where each document starts, to spot a parser that makes no progress.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<int> positions;

  void OnDocumentStart(const YAML::Mark& mark) override { positions.push_back(mark.pos); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

bool load_single_yaml_document(const SourceFile& file, YAML::Node& document,
                               std::vector<FixtureError>& errors) {
  YamlLocator locator(file);
  const std::string& text = file.contents();
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    errors.push_back({file.path(), file.line_column(static_cast<uint32_t>(nul)),
                      "the file contains a NUL byte; write \"\\0\" in a double-quoted string"});
    return false;
  }
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts starts;
    // Two documents are already too many; a third start shows whether the
    // parser is stuck.
    for (int i = 0; i < 3 && parser.HandleNextDocument(starts); ++i) {
    }
    const std::vector<int>& at = starts.positions;
    for (size_t i = 1; i < at.size(); ++i) {
      if (at[i] != at[i - 1]) continue;
      size_t offset = std::min<size_t>(static_cast<size_t>(std::max(at[i], 0)), text.size());
      std::string_view rest = std::string_view(text).substr(offset, 1);
      errors.push_back({file.path(), locator.position_of_offset(at[i]),
                        "malformed YAML: unexpected " +
                            (rest.empty() ? std::string("end of file") : backticked(rest))});
      return false;
    }
    if (at.size() > 1) {
      errors.push_back({file.path(), locator.position_of_offset(at[1]),
                        "a test file holds one YAML document; put everything in the first"});
      return false;
    }
    document = YAML::Load(text);
  } catch (const YAML::Exception& exception) {
    errors.push_back({file.path(), locator.position_of_offset(exception.mark.pos),
                      "malformed YAML: " + exception.msg});
    return false;
  } catch (const std::exception& exception) {
    errors.push_back({file.path(), {}, std::string("cannot read YAML: ") + exception.what()});
    return false;
  }
  return true;
}

std::optional<FixtureEvent> parse_fixture_event(const SourceFile& file,
                                                std::vector<FixtureError>& errors) {
  FixtureReader reader(file);
  YAML::Node document;
  if (!load_single_yaml_document(file, document, errors)) return std::nullopt;
  return reader.read_event(document, errors);
}

}  // namespace vigil
