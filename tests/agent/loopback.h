// Loopback TCP for the agent tests that need a real connect(2): a listener
// on 127.0.0.1 or ::1 at a port the kernel picks, and a connect to it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace vigil::testing {

// The loopback address of `family` (AF_INET or AF_INET6) at `port`.
inline socklen_t loopback_address(int family, uint16_t port, sockaddr_storage* address) {
  *address = {};
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(address);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in->sin_port = htons(port);
    return sizeof *in;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(address);
  in6->sin6_family = AF_INET6;
  in6->sin6_addr = in6addr_loopback;
  in6->sin6_port = htons(port);
  return sizeof *in6;
}

// connect(2) to the loopback address of `family` at `port`: 0 or the errno.
inline int connect_loopback(int family, uint16_t port) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_storage address;
  socklen_t length = loopback_address(family, port, &address);
  int result = connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 ? 0 : errno;
  close(fd);
  return result;
}

// A listening TCP socket; port stays 0 if it could not listen.
struct LoopbackListener {
  explicit LoopbackListener(int family = AF_INET) : family(family) {
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage address;
    socklen_t length = loopback_address(family, 0, &address);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd, 64) != 0) return;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  ~LoopbackListener() { close(fd); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int connect_once() const { return connect_loopback(family, port); }

  int family;
  int fd = -1;
  uint16_t port = 0;
};

}  // namespace vigil::testing
