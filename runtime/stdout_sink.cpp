#include "runtime/stdout_sink.h"

#include <cerrno>
#include <cstring>

#include "runtime/write_all.h"

namespace vigil::runtime {

bool StdoutSink::write(const Alert& /*alert*/, std::string_view line, std::string* error) {
  // One write for the line and its newline, so no other writer's output can
  // land between them.
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line).push_back('\n');
  int failure = write_all(fd_, framed);
  if (failure == 0) return true;
  if (failure == EPIPE)
    *error = "stdout is closed (its reader went away); alert not written";
  else
    *error = std::string("cannot write an alert to stdout: ") + std::strerror(failure);
  return false;
}

}  // namespace vigil::runtime
