#include "runtime/sink_spec.h"

#include "runtime/file_sink.h"
#include "runtime/stdout_sink.h"

namespace vigil::runtime {
namespace {

constexpr std::string_view kExpectedKinds = "expected stdout, file:PATH, syslog or syslog:SOCKET";

// Applies one `key=value` option to `spec`.
bool apply_option(std::string_view option, SinkSpec* spec, bool* facility_given,
                  std::string* problem) {
  size_t equals = option.find('=');
  if (option.empty()) {
    *problem = "empty option (two commas, or a trailing one)";
    return false;
  }
  if (equals == std::string_view::npos) {
    *problem = "option `" + std::string(option) + "` is not key=value";
    return false;
  }
  std::string_view key = option.substr(0, equals);
  std::string_view value = option.substr(equals + 1);
  if (key == "format") {
    if (spec->format) {
      *problem = "format given twice";
      return false;
    }
    spec->format = find_alert_format(value);
    if (!spec->format) {
      *problem = "unknown format `" + std::string(value) + "`; expected json, text or ocsf";
      return false;
    }
    return true;
  }
  if (key == "facility") {
    if (spec->kind != SinkKind::Syslog) {
      *problem = "facility= applies to syslog outputs only";
      return false;
    }
    if (*facility_given) {
      *problem = "facility given twice";
      return false;
    }
    std::optional<int> facility = find_syslog_facility(value);
    if (!facility) {
      *problem =
          "unknown facility `" + std::string(value) + "`; expected " + syslog_facility_names();
      return false;
    }
    spec->facility = *facility;
    *facility_given = true;
    return true;
  }
  *problem = "unknown option `" + std::string(key) +
             "`; expected format=" + (spec->kind == SinkKind::Syslog ? " or facility=" : "");
  return false;
}

// The destination before the options: kind and path.
bool parse_destination(std::string_view destination, SinkSpec* spec, std::string* problem) {
  size_t colon = destination.find(':');
  std::string_view kind = destination.substr(0, colon);
  bool has_path = colon != std::string_view::npos;
  std::string path = has_path ? std::string(destination.substr(colon + 1)) : "";
  if (kind == "stdout") {
    spec->kind = SinkKind::Stdout;
    if (has_path) {
      *problem = "stdout takes no path";
      return false;
    }
    return true;
  }
  if (kind == "file") {
    spec->kind = SinkKind::File;
    if (path.empty()) {
      *problem = "a file output needs a path, e.g. file:/var/log/vigil/alerts.json";
      return false;
    }
  } else if (kind == "syslog") {
    spec->kind = SinkKind::Syslog;
    if (has_path && path.empty()) {
      *problem =
          "no socket after `syslog:`; write `syslog` for " + std::string(kDefaultSyslogSocket);
      return false;
    }
    if (!has_path) path = kDefaultSyslogSocket;
  } else {
    *problem = kind.empty() ? "no output kind" : "unknown output `" + std::string(kind) + "`";
    *problem += "; " + std::string(kExpectedKinds);
    return false;
  }
  // The agent runs from / as a service: a relative path would depend on
  // where it was started.
  if (path.front() != '/') {
    *problem = "the path `" + path + "` must be absolute";
    return false;
  }
  spec->path = std::move(path);
  return true;
}

}  // namespace

std::string_view alert_format_spec_name(AlertFormat format) {
  switch (format) {
    case AlertFormat::Json: return "json";
    case AlertFormat::Text: return "text";
    case AlertFormat::Ocsf: return "ocsf";
  }
  return "json";
}

std::optional<SinkSpec> parse_sink_spec(std::string_view text, std::string* error) {
  SinkSpec spec;
  std::string problem;
  auto fail = [&] {
    *error = "invalid output `" + std::string(text) + "`: " + problem;
    return std::nullopt;
  };
  if (text.empty()) {
    problem = "empty; " + std::string(kExpectedKinds);
    return fail();
  }
  size_t comma = text.find(',');
  if (!parse_destination(text.substr(0, comma), &spec, &problem)) return fail();
  bool facility_given = false;
  while (comma != std::string_view::npos) {
    size_t next = text.find(',', comma + 1);
    std::string_view option = text.substr(
        comma + 1, next == std::string_view::npos ? std::string_view::npos : next - comma - 1);
    if (!apply_option(option, &spec, &facility_given, &problem)) return fail();
    comma = next;
  }
  return spec;
}

AlertFormat resolved_format(const SinkSpec& spec, bool stdout_is_terminal) {
  if (spec.format) return *spec.format;
  return spec.kind == SinkKind::Stdout && stdout_is_terminal ? AlertFormat::Text
                                                             : AlertFormat::Json;
}

std::unique_ptr<AlertSink> make_sink(const SinkSpec& spec, std::string* error) {
  switch (spec.kind) {
    case SinkKind::Stdout: return std::make_unique<StdoutSink>();
    case SinkKind::File: return FileSink::open(spec.path, error);
    case SinkKind::Syslog: return SyslogSink::open(spec.path, spec.facility, error);
  }
  *error = "unknown output kind";
  return nullptr;
}

}  // namespace vigil::runtime
