#include "runtime/write_all.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace vigil::runtime {

int write_all(int fd, std::string_view data, int full_timeout_ms) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written >= 0) {
      data.remove_prefix(static_cast<size_t>(written));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    pollfd ready{fd, POLLOUT, 0};
    int polled;
    do polled = ::poll(&ready, 1, full_timeout_ms);
    while (polled < 0 && errno == EINTR);
    if (polled == 0) return ETIMEDOUT;
    if (polled < 0) return errno;
  }
  return 0;
}

}  // namespace vigil::runtime
