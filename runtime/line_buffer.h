// Alert lines gathered for one write(2). The agent flushes its sinks once per
// turn of its loop (a turn drains up to 4,096 kernel records), so a busy
// agent makes one system call per batch of alerts instead of one per alert,
// and an idle one still writes each alert before it waits again.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vigil::runtime {

class LineBuffer {
 public:
  // Beyond this many bytes the sink writes without waiting for the turn to end.
  static constexpr size_t kFlushBytes = 64 * 1024;

  // Appends `line` and a newline. True when the buffer is due to be written.
  bool append(std::string_view line);

  // Writes the buffered lines to `fd` (write_all: partial writes, EINTR).
  // Returns 0 or the errno that stopped it; either way the buffer is empty
  // afterwards (alerts are not retried) and `*lines` says how many it held.
  int write_to(int fd, size_t* lines);

  bool empty() const { return lines_ == 0; }

 private:
  std::string data_;
  size_t lines_ = 0;
};

}  // namespace vigil::runtime
