// Alerts appended to a file, one per line. The file is opened with O_APPEND
// and each alert is one write(2), so lines never interleave with other
// appenders and a reader never sees half a line unless the disk fills.
// No fsync per alert: the page cache is the agent's buffer, as for any log.
//
// Rotation (logrotate): move the file away, then send the agent SIGUSR1; the
// agent calls reopen(), which opens the path anew (creating it) and swaps
// descriptors. Alerts written between the move and the signal land in the
// moved file, none is lost. (`copytruncate` also works, without the signal.)
#pragma once

#include <memory>
#include <string>

#include "runtime/alert_sink.h"
#include "runtime/line_buffer.h"

namespace vigil::runtime {

class FileSink : public AlertSink {
 public:
  // Opens (creating with mode 0600: alerts carry command lines) `path` for
  // appending. nullptr and `error` if it cannot be opened.
  static std::unique_ptr<FileSink> open(const std::string& path, std::string* error);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  // Buffered: the line reaches the file at flush() or when the buffer is full.
  bool write(const Alert& alert, std::string_view line, std::string* error) override;
  bool flush(std::string* error) override;
  // Flushes, then opens the path again and writes there from now on. If that fails, keeps
  // writing to the file already open and returns false with `error`.
  bool reopen(std::string* error) override;
  std::string describe() const override { return "file " + path_; }

 private:
  FileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
  LineBuffer buffer_;
};

}  // namespace vigil::runtime
