// Where alerts go. The agent renders each alert once per format
// (alert_format.h) and hands every sink its already formatted line together
// with the alert itself (a sink may need fields of it: syslog's severity and
// MSGID). Sinks are used from the agent's loop thread only: none is
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "runtime/alert.h"

namespace vigil::runtime {

class AlertSink {
 public:
  virtual ~AlertSink() = default;

  // Writes one alert. `line` is the formatted alert without a trailing
  // newline; the sink adds its own framing. False and `error` if the alert
  // did not reach its destination (it is not retried). A sink may hold the
  // line until flush() (line_buffer.h).
  virtual bool write(const Alert& alert, std::string_view line, std::string* error) = 0;

  // Writes out what write() held back. The agent calls it at the end of
  // every turn of its loop and before it stops. False and `error` if alerts
  // were lost.
  virtual bool flush(std::string* error) {
    (void)error;
    return true;
  }

  // Reopens the destination after it was moved away (logrotate, on SIGUSR1).
  // Sinks without a file to reopen have nothing to do.
  virtual bool reopen(std::string* error) {
    (void)error;
    return true;
  }

  // Where the sink writes, for logs and errors: "stdout", "file /var/log/vigil/alerts.json".
  virtual std::string describe() const = 0;
};

}  // namespace vigil::runtime
