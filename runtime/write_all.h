// Writing a whole buffer to a file descriptor: write(2) may write less than
// asked (pipes, signals, a full disk) and fail with EINTR.
#pragma once

#include <string_view>

namespace vigil::runtime {

// Writes all of `data` to `fd`, continuing after partial writes and EINTR.
// On a non-blocking descriptor that is full, waits up to `full_timeout_ms`
// for room. Returns 0, or the errno that stopped it (ETIMEDOUT when the
// descriptor stayed full). EPIPE comes back only if SIGPIPE is ignored (the
// agent ignores it); otherwise the signal ends the process first.
int write_all(int fd, std::string_view data, int full_timeout_ms = 1000);

}  // namespace vigil::runtime
