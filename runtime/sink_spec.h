// What `vigil run --output SPEC` names (repeatable: each alert goes to every
// output):
//
//   stdout                     standard output
//   file:PATH                  appended to PATH (absolute); reopened on SIGUSR1
//   syslog                     the local syslog daemon at /dev/log (RFC 5424)
//   syslog:SOCKET              a syslog daemon at another unix socket (absolute path)
//
// followed by options, each `,key=value`:
//
//   format=json|text|ocsf      how alerts are rendered (alert_format.h); default
//                              json, but text for stdout when it is a terminal
//   facility=NAME              syslog only: authpriv (default), auth, daemon,
//                              user, local0..local7
//
// e.g. `stdout,format=text`, `file:/var/log/vigil/alerts.json`,
// `syslog,format=text,facility=local3`. Everything after the first comma is
// options, so a path cannot contain a comma.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/alert_format.h"
#include "runtime/alert_sink.h"
#include "runtime/syslog_sink.h"

namespace vigil::runtime {

enum class SinkKind { Stdout, File, Syslog };

struct SinkSpec {
  SinkKind kind = SinkKind::Stdout;
  std::string path;  // file: the file; syslog: the socket (kDefaultSyslogSocket unless given)
  std::optional<AlertFormat> format;       // nullopt: the default (resolved_format)
  int facility = kSyslogFacilityAuthpriv;  // syslog only

  bool operator==(const SinkSpec&) const = default;
};

// Parses an --output value. nullopt and `error` (naming the spec and what
// was expected) if it is not one.
std::optional<SinkSpec> parse_sink_spec(std::string_view text, std::string* error);

// The format a sink writes: the one the spec names, else text for stdout on
// a terminal, else json.
AlertFormat resolved_format(const SinkSpec& spec, bool stdout_is_terminal);

// "json", "text", "ocsf".
std::string_view alert_format_spec_name(AlertFormat format);

// Opens the sink a spec names. nullptr and `error` if it cannot (the file
// cannot be opened, no syslog daemon listens at the socket).
std::unique_ptr<AlertSink> make_sink(const SinkSpec& spec, std::string* error);

}  // namespace vigil::runtime
