// Alerts on standard output, one per line: for a terminal, a pipe into
// another tool, or a service manager that collects stdout (journald).
#pragma once

#include <unistd.h>

#include "runtime/alert_sink.h"
#include "runtime/line_buffer.h"

namespace vigil::runtime {

class StdoutSink : public AlertSink {
 public:
  // `fd` is for tests; the agent writes to STDOUT_FILENO.
  explicit StdoutSink(int fd = STDOUT_FILENO) : fd_(fd) {}

  // The reader going away (`vigil run | head`) is an error ("stdout is
  // closed: Broken pipe"), not the death of the agent: the agent ignores
  // SIGPIPE, so write(2) returns EPIPE instead of raising it.
  // Buffered: the line is written at flush() or when the buffer is full.
  bool write(const Alert& alert, std::string_view line, std::string* error) override;
  bool flush(std::string* error) override;
  std::string describe() const override { return "stdout"; }
  ~StdoutSink() override;

 private:
  int fd_;
  LineBuffer buffer_;
};

}  // namespace vigil::runtime
