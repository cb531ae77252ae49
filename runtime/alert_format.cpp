#include "runtime/alert_format.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "runtime/alert_json.h"
#include "runtime/json_writer.h"
#include "runtime/utf8.h"

namespace vigil::runtime {

namespace {

// ---- Time ----------------------------------------------------------------------

struct UtcTime {
  int year = 1970;
  unsigned month = 1, day = 1;
  int64_t hour = 0, minute = 0, second = 0, nanosecond = 0;
};

// Floors toward the past, so times before 1970 still render as dates.
// Integer arithmetic rather than floor<days>: that overflows within a day
// of the ends of the int64 nanosecond range.
UtcTime utc_time(int64_t unix_ns) {
  using namespace std::chrono;
  constexpr int64_t kNsPerDay = 86'400'000'000'000;
  int64_t ns_of_day = unix_ns % kNsPerDay;
  int64_t day_number = unix_ns / kNsPerDay;
  if (ns_of_day < 0) {
    ns_of_day += kNsPerDay;
    --day_number;
  }
  const year_month_day date{sys_days{days{day_number}}};
  UtcTime t;
  t.year = static_cast<int>(date.year());
  t.month = static_cast<unsigned>(date.month());
  t.day = static_cast<unsigned>(date.day());
  t.hour = ns_of_day / 3'600'000'000'000;
  t.minute = ns_of_day / 60'000'000'000 % 60;
  t.second = ns_of_day / 1'000'000'000 % 60;
  t.nanosecond = ns_of_day % 1'000'000'000;
  return t;
}

std::string clock_time_ms(int64_t unix_ns) {
  const UtcTime t = utc_time(unix_ns);
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%03lld", static_cast<long long>(t.hour),
                static_cast<long long>(t.minute), static_cast<long long>(t.second),
                static_cast<long long>(t.nanosecond / 1'000'000));
  return text;
}

// ---- JSON ----------------------------------------------------------------------

// "2026-12-05T22:54:51.123456789Z" without printf (the JSON form writes two
// per alert). An int64 of nanoseconds spans the years 1677 to 2262, so the
// year always has four digits.
struct Rfc3339Text {
  std::array<char, 30> text;
  std::string_view view() const { return {text.data(), text.size()}; }
};

void put_digits(char* at, int64_t value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

Rfc3339Text rfc3339_ns(int64_t unix_ns) {
  const UtcTime t = utc_time(unix_ns);
  Rfc3339Text out;
  char* text = out.text.data();
  put_digits(text, t.year, 4);
  text[4] = '-';
  put_digits(text + 5, t.month, 2);
  text[7] = '-';
  put_digits(text + 8, t.day, 2);
  text[10] = 'T';
  put_digits(text + 11, t.hour, 2);
  text[13] = ':';
  put_digits(text + 14, t.minute, 2);
  text[16] = ':';
  put_digits(text + 17, t.second, 2);
  text[19] = '.';
  put_digits(text + 20, t.nanosecond, 9);
  text[29] = 'Z';
  return out;
}

bool is_process_context_field(std::string_view name) {
  return name.starts_with("process.") || name.starts_with("parent.") || name.starts_with("user.");
}

// The fields `event.fields` lists for each kind, in schema order: every
// field the kind carries but the process context. Built once, not per alert.
std::span<const FieldId> event_field_ids(EventKind kind) {
  static const auto kTable = [] {
    std::array<std::vector<FieldId>, kEventKindCount> table;
    for (const FieldInfo& info : all_fields()) {
      if (is_process_context_field(info.name)) continue;
      for (size_t k = 0; k < kEventKindCount; ++k)
        if (info.events & event_bit(static_cast<EventKind>(k))) table[k].push_back(info.id);
    }
    return table;
  }();
  const auto index = static_cast<size_t>(kind);
  return index < kTable.size() ? std::span<const FieldId>(kTable[index])
                               : std::span<const FieldId>();
}

// As alert_value_json: numbers, strings, ip/cidr as text, durations in ns.
void write_value(JsonWriter& json, const Value& value) {
  struct Write {
    JsonWriter& json;
    void operator()(bool b) const { json.boolean(b); }
    void operator()(int64_t i) const { json.integer(i); }
    void operator()(const std::string& s) const { json.string(s); }
    void operator()(const IpAddress& a) const { json.string(a.unmapped().to_string()); }
    void operator()(const IpNetwork& n) const { json.string(n.to_string()); }
    void operator()(Duration d) const { json.integer(static_cast<int64_t>(d.count())); }
  };
  std::visit(Write{json}, value);
}

// As alert_field_json: the value, an array for a multi-valued field, null
// if the event does not carry it.
void write_field(JsonWriter& json, const Event& event, FieldId field) {
  const FieldInfo& info = field_info(field);
  if ((info.events & event_bit(event.kind())) == 0) return json.null();
  const std::span<const Value> values = event.get(field);
  if (info.multi_valued) {
    json.begin_array();
    for (const Value& value : values) write_value(json, value);
    return json.end_array();
  }
  if (values.empty()) return json.null();
  write_value(json, values.front());
}

void write_event(JsonWriter& json, const Event& event) {
  json.begin_object();
  json.key("type");
  json.string(event_info(event.kind()).name);
  json.key("fields");
  json.begin_object();
  for (const FieldId field : event_field_ids(event.kind())) {
    json.key(field_info(field).name);
    write_field(json, event, field);
  }
  json.end_object();
  json.end_object();
}

void write_process(JsonWriter& json, const ProcessContext& process, const Event* event) {
  json.begin_object();
  json.key("pid");
  json.integer(process.pid);
  json.key("tgid");
  json.integer(process.tgid);
  json.key("ppid");
  json.integer(process.ppid);
  json.key("uid");
  json.integer(process.uid);
  json.key("euid");
  json.integer(process.euid);
  json.key("gid");
  json.integer(process.gid);
  json.key("user");
  json.string(process.user_name);
  json.key("comm");
  json.string(process.comm);
  json.key("exe");
  json.string(process.exe);
  json.key("cmdline");
  json.string(process.cmdline);
  // The arguments one by one exist only in the event (the kernel captured them).
  static const std::optional<FieldId> kArgs = find_field("process.args");
  if (event && kArgs) {
    json.key("args");
    write_field(json, *event, *kArgs);
  }
  json.key("tty");
  json.string(process.tty);
  json.key("cgroup_id");
  json.integer(process.cgroup_id);
  json.key("container_id");
  json.string(process.container_id);
  json.key("start_time");
  if (process.start_time_unix_ns != 0)
    json.string(rfc3339_ns(process.start_time_unix_ns).view());
  else
    json.null();
  json.key("ancestors");
  json.begin_array();
  for (const AncestorInfo& ancestor : process.ancestors) {
    json.begin_object();
    json.key("pid");
    json.integer(ancestor.pid);
    json.key("comm");
    json.string(ancestor.comm);
    json.key("exe");
    json.string(ancestor.exe);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

// ---- Text ----------------------------------------------------------------------

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 15];
}

// The length of the well-formed UTF-8 sequence at `text[i]` (a non-ASCII
// lead byte) and its code point; 0 if it is not one (stray continuation,
// overlong form, surrogate, beyond U+10FFFF, truncated).
size_t utf8_sequence(std::string_view text, size_t i, char32_t& code_point) {
  const Utf8Sequence sequence =
      decode_utf8(reinterpret_cast<const unsigned char*>(text.data()) + i, text.size() - i);
  if (!sequence.valid) return 0;
  code_point = sequence.code_point;
  return sequence.length;
}

// Code points a terminal acts on rather than shows: C1 controls (U+009B is
// CSI on some terminals) and the bidirectional overrides and isolates that
// make text display in another order than it is (Trojan Source).
bool is_invisible_control(char32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) ||
         (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0x200e ||
         code_point == 0x200f || code_point == 0x061c;
}

// Untrusted bytes as text a terminal displays literally: control bytes as
// \n \t \r \xHH, a backslash doubled (so an escape is never ambiguous with
// the same characters in the name), invalid UTF-8 bytes as \xHH, invisible
// controls as \u{XXXX}. Printable UTF-8 is kept.
void append_terminal_safe(std::string& out, std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
          if (c < 0x20 || c == 0x7f)
            append_hex_byte(out, c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    char32_t code_point = 0;
    const size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) {
      append_hex_byte(out, c);
      ++i;
      continue;
    }
    if (is_invisible_control(code_point)) {
      char escaped[16];
      std::snprintf(escaped, sizeof escaped, "\\u{%04x}", static_cast<unsigned>(code_point));
      out += escaped;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
}

std::string_view severity_label(Severity severity) {
  static constexpr std::array<std::string_view, 5> kLabels = {"INFO", "LOW", "MEDIUM", "HIGH",
                                                              "CRITICAL"};
  const auto index = static_cast<size_t>(severity);
  return index < kLabels.size() ? kLabels[index] : "UNKNOWN";
}

std::string_view severity_color(Severity severity) {
  switch (severity) {
    case Severity::Info: return "\x1b[2m";         // dim
    case Severity::Low: return "\x1b[36m";         // cyan
    case Severity::Medium: return "\x1b[33m";      // yellow
    case Severity::High: return "\x1b[31m";        // red
    case Severity::Critical: return "\x1b[1;31m";  // bold red
  }
  return "";
}

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";

void append_process_tail(std::string& out, const ProcessContext& process) {
  out += " (pid=";
  out += std::to_string(process.tgid != 0 ? process.tgid : process.pid);
  out += " exe=";
  append_terminal_safe(out, process.exe.empty() ? process.comm : process.exe);
  out += " user=";
  if (process.user_name.empty())
    out += std::to_string(process.uid);
  else
    append_terminal_safe(out, process.user_name);
  if (!process.container_id.empty()) {
    out += " container=";
    append_terminal_safe(out, process.container_id);
  }
  out += ')';
}

}  // namespace

// ---- Shared JSON pieces ------------------------------------------------------------

AlertJson alert_value_json(const Value& value) {
  struct ToJson {
    AlertJson operator()(bool b) const { return b; }
    AlertJson operator()(int64_t i) const { return i; }
    AlertJson operator()(const std::string& s) const { return s; }
    // The kernel's form of an IPv4-mapped address, whoever built the value.
    AlertJson operator()(const IpAddress& a) const { return a.unmapped().to_string(); }
    AlertJson operator()(const IpNetwork& n) const { return n.to_string(); }
    AlertJson operator()(Duration d) const { return static_cast<int64_t>(d.count()); }
  };
  return std::visit(ToJson{}, value);
}

AlertJson alert_field_json(const Event& event, FieldId field) {
  const FieldInfo& info = field_info(field);
  if ((info.events & event_bit(event.kind())) == 0) return nullptr;
  const std::span<const Value> values = event.get(field);
  if (info.multi_valued) {
    AlertJson array = AlertJson::array();
    for (const Value& value : values) array.push_back(alert_value_json(value));
    return array;
  }
  return values.empty() ? AlertJson(nullptr) : alert_value_json(values.front());
}

AlertJson alert_event_fields_json(const Event& event) {
  AlertJson fields = AlertJson::object();
  for (const FieldId field : event_field_ids(event.kind()))
    fields[std::string(field_info(field).name)] = alert_field_json(event, field);
  return fields;
}

std::string dump_alert_json(const AlertJson& json) {
  return json.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

AlertJson alert_rule_json(const Alert& alert) {
  AlertJson json = AlertJson::object();
  json["origin"] = alert.origin == AlertOrigin::Agent ? "agent" : "rule";
  json["generation"] = alert.generation;
  json["rule"] = alert.rule;
  if (alert.origin == AlertOrigin::Rule)
    json["policy"] = {{"file", alert.rule_file}, {"line", alert.rule_line}};
  json["severity"] = severity_name(alert.severity);
  json["tags"] = alert.tags;
  json["action"] = action_taken_name(alert.action);
  if (!alert.action_reason.empty()) json["action_reason"] = alert.action_reason;
  if (alert.count > 1) json["count"] = alert.count;
  return json;
}

// ---- Public ----------------------------------------------------------------------

std::optional<AlertFormat> find_alert_format(std::string_view name) {
  if (name == "text") return AlertFormat::Text;
  if (name == "json") return AlertFormat::Json;
  if (name == "ocsf") return AlertFormat::Ocsf;
  return std::nullopt;
}

std::string format_rfc3339_ns(int64_t unix_ns) {
  return std::string(rfc3339_ns(unix_ns).view());
}

// Written directly rather than through an AlertJson tree: the agent formats
// tens of thousands of alerts a second. tests/unit/alert_json_reference.h
// keeps the tree form, and a test holds the two byte for byte equal.
std::string format_alert_json(const Alert& alert) {
  JsonWriter json(2048);  // room for a typical rule alert: it rarely grows
  json.begin_object();
  json.key("time");
  json.string(rfc3339_ns(alert.time_unix_ns).view());
  json.key("host");
  json.string(alert.host);
  // The members of alert_rule_json, in its order.
  json.key("origin");
  json.string(alert.origin == AlertOrigin::Agent ? "agent" : "rule");
  json.key("generation");
  json.integer(alert.generation);
  json.key("rule");
  json.string(alert.rule);
  if (alert.origin == AlertOrigin::Rule) {
    json.key("policy");
    json.begin_object();
    json.key("file");
    json.string(alert.rule_file);
    json.key("line");
    json.integer(alert.rule_line);
    json.end_object();
  }
  json.key("severity");
  json.string(severity_name(alert.severity));
  json.key("tags");
  json.begin_array();
  for (const std::string& tag : alert.tags) json.string(tag);
  json.end_array();
  json.key("action");
  json.string(action_taken_name(alert.action));
  if (!alert.action_reason.empty()) {
    json.key("action_reason");
    json.string(alert.action_reason);
  }
  if (alert.count > 1) {
    json.key("count");
    json.integer(static_cast<int64_t>(alert.count));
  }
  json.key("output");
  json.string(alert.output);
  if (alert.event) {
    json.key("event");
    write_event(json, *alert.event);
  }
  if (alert.process) {
    json.key("process");
    write_process(json, *alert.process, alert.event ? &*alert.event : nullptr);
  }
  json.end_object();
  return json.take();
}

std::string format_alert_text(const Alert& alert, bool color) {
  std::string out = clock_time_ms(alert.time_unix_ns);
  out += ' ';
  const std::string_view label = severity_label(alert.severity);
  if (color) out += severity_color(alert.severity);
  out += label;
  if (color) out += kReset;
  out.append(label.size() < 8 ? 8 - label.size() : 0, ' ');  // aligns the rule column
  out += ' ';
  if (alert.action != ActionTaken::Alert) {
    out += '[';
    out += action_taken_name(alert.action);
    if (!alert.action_reason.empty()) {
      out += ": ";
      append_terminal_safe(out, alert.action_reason);
    }
    out += "] ";
  }
  if (color) out += kBold;
  append_terminal_safe(out, alert.rule);
  if (color) out += kReset;
  out += ": ";
  append_terminal_safe(out, alert.output);
  if (alert.count > 1) out += " (x" + std::to_string(alert.count) + ")";
  if (alert.process) append_process_tail(out, *alert.process);
  return out;
}

std::string format_alert(const Alert& alert, AlertFormat format, bool color) {
  switch (format) {
    case AlertFormat::Text: return format_alert_text(alert, color);
    case AlertFormat::Json: return format_alert_json(alert);
    case AlertFormat::Ocsf: return format_alert_ocsf(alert);
  }
  return format_alert_json(alert);
}

}  // namespace vigil::runtime
