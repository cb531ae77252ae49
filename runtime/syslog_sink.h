// Alerts to the local syslog daemon as RFC 5424 messages over its unix
// datagram socket (/dev/log):
//
//   <PRI>1 TIMESTAMP HOSTNAME vigil PID MSGID - MSG
//   <83>1 2024-05-01T12:34:56.123456Z web-1 vigil 812 shell_from_web_server - {"rule":...}
//
// - PRI = facility * 8 + severity. The facility is authpriv (10) by default:
//   alerts are security events and carry command lines, and syslog
//   configurations route authpriv to a restricted file (/var/log/auth.log on
//   Debian) that security tooling already watches. `facility=` in the
//   --output spec picks another (daemon, auth, local0..local7, user).
// - Severity: critical→crit(2), high→err(3), medium→warning(4),
//   low→notice(5), info→info(6).
// - TIMESTAMP: when the event happened, UTC, microseconds.
// - HOSTNAME: the alert's host; MSGID: the rule name (agent alerts:
//   "vigil.events_dropped"), both cut to printable ASCII without spaces
//   (others become '_'), MSGID to 32 characters.
// - No structured data; MSG is the formatted alert, without a BOM.
//
// rsyslog and syslog-ng parse RFC 5424; journald's /dev/log takes the PRI
// but may keep the rest of the header in MESSAGE.
//
// The agent never waits for syslog: sends are non-blocking and an alert the
// socket has no room for is dropped and counted (dropped()). When the daemon
// restarts (its socket is replaced) the sink connects again on the next alert.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/alert_sink.h"

namespace vigil::runtime {

inline constexpr const char* kDefaultSyslogSocket = "/dev/log";
inline constexpr int kSyslogFacilityAuthpriv = 10;

// "authpriv" → 10, "daemon" → 3, "local0" → 16, ...; nullopt if unknown.
std::optional<int> find_syslog_facility(std::string_view name);
// The names find_syslog_facility knows, for error messages: "auth, authpriv, daemon, ...".
std::string syslog_facility_names();
// RFC 5424 severity of an alert severity (critical → 2 ... info → 6).
int syslog_severity(Severity severity);

struct SyslogHeader {
  int facility = kSyslogFacilityAuthpriv;
  std::string hostname;  // used when the alert has no host
  std::string app_name = "vigil";
  int64_t pid = 0;
};

// The datagram for an alert (what the sink sends).
std::string format_syslog_message(const Alert& alert, std::string_view line,
                                  const SyslogHeader& header);

class SyslogSink : public AlertSink {
 public:
  // Connects to `socket_path`. nullptr and `error` if it cannot: no syslog
  // daemon listening there is a configuration error worth failing the start.
  static std::unique_ptr<SyslogSink> open(const std::string& socket_path, int facility,
                                          std::string* error);
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  bool write(const Alert& alert, std::string_view line, std::string* error) override;
  std::string describe() const override { return "syslog " + socket_path_; }

  // Alerts dropped since the start: socket full, gone, or the alert too large.
  uint64_t dropped() const { return dropped_; }

 private:
  SyslogSink(std::string socket_path, SyslogHeader header)
      : socket_path_(std::move(socket_path)), header_(std::move(header)) {}
  bool connect_socket(std::string* error);
  bool drop(std::string message, std::string* error);

  std::string socket_path_;
  SyslogHeader header_;
  int fd_ = -1;
  uint64_t dropped_ = 0;
};

}  // namespace vigil::runtime
