#include "bench/syscall_loops.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace vigil::bench {

namespace {

using Clock = std::chrono::steady_clock;

double ns_per_call(Clock::time_point start, long iterations) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / iterations;
}

double open_loop(const std::string& path, long iterations) {
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) close(fd);
  }
  return ns_per_call(start, iterations);
}

// posix_spawn: glibc's clone(CLONE_VM | CLONE_VFORK) + execve, the cheapest
// fork + exec there is, so the loop is mostly the exec itself.
double exec_loop(const std::string& binary, long iterations, std::string* error) {
  char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    pid_t child = 0;
    int failed = posix_spawn(&child, binary.c_str(), nullptr, nullptr, argv, environ);
    if (failed) {
      *error = "posix_spawn " + binary + ": " + std::strerror(failed);
      return -1;
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      *error = binary + " did not exit 0";
      return -1;
    }
  }
  return ns_per_call(start, iterations);
}

double connect_loop(uint16_t port, long iterations, std::string* error) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto start = Clock::now();
  for (long i = 0; i < iterations; ++i) {
    if (connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) != 0) {
      *error = std::string("connect: ") + std::strerror(errno);
      close(fd);
      return -1;
    }
  }
  double ns = ns_per_call(start, iterations);
  close(fd);
  return ns;
}

}  // namespace

std::optional<LoopEvent> parse_loop_event(const std::string& name) {
  if (name == "file.open") return LoopEvent::FileOpen;
  if (name == "exec") return LoopEvent::Exec;
  if (name == "net.connect") return LoopEvent::NetConnect;
  return std::nullopt;
}

const char* loop_event_name(LoopEvent event) {
  switch (event) {
    case LoopEvent::FileOpen: return "file.open";
    case LoopEvent::Exec: return "exec";
    case LoopEvent::NetConnect: return "net.connect";
  }
  return "?";
}

double loop_ns(LoopEvent event, const LoopTarget& target, long iterations, std::string* error) {
  switch (event) {
    case LoopEvent::FileOpen: return open_loop(target.open_path, iterations);
    case LoopEvent::Exec: return exec_loop(target.exec_binary, iterations, error);
    case LoopEvent::NetConnect: return connect_loop(target.connect_port, iterations, error);
  }
  return -1;
}

}  // namespace vigil::bench
