#include "runtime/stdout_sink.h"

#include <cerrno>
#include <cstring>

namespace vigil::runtime {

StdoutSink::~StdoutSink() {
  std::string ignored;
  flush(&ignored);
}

bool StdoutSink::write(const Alert& /*alert*/, std::string_view line, std::string* error) {
  return !buffer_.append(line) || flush(error);
}

bool StdoutSink::flush(std::string* error) {
  // Whole lines in one write, so no other writer's output lands inside one.
  size_t lines = 0;
  int failure = buffer_.write_to(fd_, &lines);
  if (failure == 0) return true;
  std::string alerts = std::to_string(lines) + " alert(s)";
  if (failure == EPIPE)
    *error = "stdout is closed (its reader went away); " + alerts + " not written";
  else
    *error = "cannot write " + alerts + " to stdout: " + std::strerror(failure);
  return false;
}

}  // namespace vigil::runtime
