#include "runtime/status_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/agent_status_json.h"
#include "runtime/prometheus.h"

namespace vigil::runtime {
namespace {

constexpr int64_t kClientTimeoutNs = 2'000'000'000;
constexpr size_t kMaxClients = 16;
constexpr size_t kMaxRequestBytes = 256;
constexpr int kQueryTimeoutSeconds = 5;
constexpr size_t kMaxAnswerBytes = 64 << 20;
constexpr std::string_view kErrorPrefix = "error: ";

int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

bool unix_address(const std::string& path, sockaddr_un* address, std::string* error) {
  *address = sockaddr_un{};
  address->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address->sun_path) {
    *error = "socket path must be 1 to " + std::to_string(sizeof address->sun_path - 1) +
             " bytes: `" + path + "`";
    return false;
  }
  std::memcpy(address->sun_path, path.c_str(), path.size() + 1);
  return true;
}

std::string parent_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The socket's directory: made 0700 if missing; if present, it must be ours
// and not writable by others (who could replace the socket with theirs).
bool prepare_directory(const std::string& directory, std::string* error) {
  if (::mkdir(directory.c_str(), 0700) == 0) return true;
  if (errno != EEXIST) {
    *error = "cannot create " + directory + ": " + std::strerror(errno);
    return false;
  }
  struct stat info{};
  if (::stat(directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    *error = directory + " is not a directory";
    return false;
  }
  if (info.st_uid != ::geteuid() || (info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    *error = "refusing to put the status socket in " + directory +
             ": it is writable by other users or not owned by this one";
    return false;
  }
  return true;
}

// A socket file at `path`: removed if nobody answers there (an agent died),
// an error if an agent does or if it is something else.
bool remove_stale_socket(const std::string& path, const sockaddr_un& address, std::string* error) {
  struct stat info{};
  if (::lstat(path.c_str(), &info) != 0) return true;  // nothing there
  if (!S_ISSOCK(info.st_mode)) {
    *error = path + " exists and is not a socket; remove it or choose another --socket";
    return false;
  }
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) {
    *error = std::string("cannot create a socket: ") + std::strerror(errno);
    return false;
  }
  bool answered =
      ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  int connect_error = errno;
  ::close(probe);
  if (answered) {
    *error = "another vigil agent is already running (it answers at " + path + ")";
    return false;
  }
  if (connect_error != ECONNREFUSED) {
    *error =
        "cannot tell whether an agent answers at " + path + ": " + std::strerror(connect_error);
    return false;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    *error = "cannot remove the stale socket " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool peer_allowed(int fd) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return false;
  return peer.uid == 0 || peer.uid == ::geteuid();
}

// Closes a connection after reading what the client sent and we did not
// read (up to a bound): closing a unix socket with unread data makes the
// client's next read fail with ECONNRESET instead of seeing the end.
void close_quietly(int fd) {
  char buffer[4096];
  for (int chunk = 0; chunk < 16 && ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0; ++chunk) {
  }
  ::close(fd);
}

// A request quoted in an error: printable, short.
std::string quoted_request(std::string_view request) {
  std::string quoted;
  for (char c : request.substr(0, 40)) quoted.push_back(c >= 32 && c < 127 ? c : '?');
  return quoted;
}

}  // namespace

std::unique_ptr<StatusServer> StatusServer::start(const std::string& socket_path,
                                                  StatusSource source, std::string* error) {
  std::unique_ptr<StatusServer> server(new StatusServer(socket_path, std::move(source)));
  if (!server->listen_at(error)) return nullptr;
  return server;
}

bool StatusServer::listen_at(std::string* error) {
  sockaddr_un address;
  if (!unix_address(path_, &address, error)) return false;
  if (!prepare_directory(parent_directory(path_), error)) return false;
  if (!remove_stale_socket(path_, address, error)) return false;

  auto system_error = [&](const std::string& what) {
    *error = what + ": " + std::strerror(errno);
    return false;
  };
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return system_error("cannot create the status socket");
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
    return system_error("cannot bind the status socket at " + path_);
  struct stat info{};
  if (::stat(path_.c_str(), &info) == 0) {
    socket_device_ = info.st_dev;
    socket_inode_ = info.st_ino;
  }
  // Before listen(): until then a connect is refused, so nobody connects
  // while the mode is still the umask's.
  if (::chmod(path_.c_str(), 0600) != 0) return system_error("cannot chmod " + path_);
  if (::listen(listen_fd_, static_cast<int>(kMaxClients)) != 0)
    return system_error("cannot listen on " + path_);

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return system_error("cannot create an epoll set");
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return system_error("cannot create a timer");
  for (int fd : {listen_fd_, timer_fd_}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0)
      return system_error("cannot watch the status socket");
  }
  return true;
}

StatusServer::~StatusServer() {
  while (!clients_.empty()) close_client(clients_.begin()->first);
  for (int fd : {listen_fd_, epoll_fd_, timer_fd_})
    if (fd >= 0) ::close(fd);
  // Only the socket we made: a newer agent may have replaced it.
  struct stat info{};
  if (listen_fd_ >= 0 && ::lstat(path_.c_str(), &info) == 0 && info.st_dev == socket_device_ &&
      info.st_ino == socket_inode_)
    ::unlink(path_.c_str());
}

void StatusServer::handle_ready() {
  epoll_event events[32];
  int count = ::epoll_wait(epoll_fd_, events, 32, 0);
  for (int i = 0; i < count; ++i) {
    int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      accept_clients();
    } else if (fd == timer_fd_) {
      uint64_t expirations;
      while (::read(timer_fd_, &expirations, sizeof expirations) > 0) {
      }
    } else if (auto client = clients_.find(fd); client != clients_.end()) {
      if (client->second.answering)
        send_response(fd, client->second);
      else
        read_request(fd, client->second);
    }
  }
  expire_clients();
  arm_timer();
}

void StatusServer::accept_clients() {
  // A bounded batch per call: a flood of connections waits for the next turn
  // of the agent's loop instead of holding it.
  for (size_t accepted = 0; accepted < kMaxClients; ++accepted) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: none left; other errors concern that one client
    if (!peer_allowed(fd)) {
      constexpr std::string_view kRefusal =
          "error: permission denied: only root may query the agent\n";
      ::send(fd, kRefusal.data(), kRefusal.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      close_quietly(fd);
      continue;
    }
    if (clients_.size() >= kMaxClients) {
      constexpr std::string_view kBusy = "error: the agent is busy with other clients\n";
      ::send(fd, kBusy.data(), kBusy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      close_quietly(fd);
      continue;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      continue;
    }
    Client& client = clients_[fd];
    client.deadline_ns = monotonic_ns() + kClientTimeoutNs;
    read_request(fd, client);  // the request is often there already
  }
}

void StatusServer::read_request(int client_fd, Client& client) {
  char buffer[kMaxRequestBytes];
  while (true) {
    ssize_t received = ::recv(client_fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (received < 0 && errno == EINTR) continue;
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // later
    if (received < 0) return close_client(client_fd);
    client.request.append(buffer, static_cast<size_t>(received));
    size_t newline = client.request.find('\n');
    bool complete = newline != std::string::npos || received == 0;  // EOF ends it too
    if (!complete && client.request.size() <= kMaxRequestBytes) continue;
    if (!complete) return answer(client_fd, client, "error: request too long\n");
    std::string line = client.request.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return answer(client_fd, client, respond_to(line));
  }
}

std::string StatusServer::respond_to(std::string_view request) {
  if (request == "status")
    return agent_status_to_json(source_()).dump(2, ' ', false,
                                                nlohmann::json::error_handler_t::replace) +
           "\n";
  if (request == "metrics") return prometheus_metrics(source_());
  return "error: unknown request `" + quoted_request(request) + "`; expected status or metrics\n";
}

void StatusServer::answer(int client_fd, Client& client, std::string response) {
  client.response = std::move(response);
  client.answering = true;
  epoll_event event{};
  event.events = EPOLLOUT;
  event.data.fd = client_fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, client_fd, &event) != 0) return close_client(client_fd);
  send_response(client_fd, client);
}

void StatusServer::send_response(int client_fd, Client& client) {
  while (client.sent < client.response.size()) {
    ssize_t sent = ::send(client_fd, client.response.data() + client.sent,
                          client.response.size() - client.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // when it has room
    if (sent < 0) break;                                                // the client left
    client.sent += static_cast<size_t>(sent);
  }
  close_client(client_fd);
}

void StatusServer::close_client(int client_fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, client_fd, nullptr);
  close_quietly(client_fd);
  clients_.erase(client_fd);
}

void StatusServer::expire_clients() {
  int64_t now = monotonic_ns();
  for (auto client = clients_.begin(); client != clients_.end();) {
    int fd = client->first;
    ++client;  // close_client erases the current one
    if (clients_.at(fd).deadline_ns <= now) close_client(fd);
  }
}

void StatusServer::arm_timer() {
  itimerspec timer{};  // all zero: disarmed
  int64_t earliest = 0;
  for (const auto& [fd, client] : clients_)
    if (earliest == 0 || client.deadline_ns < earliest) earliest = client.deadline_ns;
  if (earliest != 0) {
    timer.it_value.tv_sec = earliest / 1'000'000'000;
    timer.it_value.tv_nsec = earliest % 1'000'000'000;
  }
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &timer, nullptr);
}

std::optional<std::string> query_agent(const std::string& socket_path, std::string_view request,
                                       std::string* error, QueryFailure* failure) {
  QueryFailure ignored;
  if (!failure) failure = &ignored;
  *failure = QueryFailure::Other;
  sockaddr_un address;
  if (!unix_address(socket_path, &address, error)) return std::nullopt;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("cannot create a socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  auto fail = [&](std::string message) -> std::optional<std::string> {
    ::close(fd);
    *error = std::move(message);
    return std::nullopt;
  };
  timeval timeout{kQueryTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);

  int connected;
  do connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  while (connected != 0 && errno == EINTR);
  if (connected != 0) {
    int reason = errno;
    struct stat info{};
    if (reason == ECONNREFUSED && ::stat(socket_path.c_str(), &info) == 0 &&
        !S_ISSOCK(info.st_mode))
      return fail(socket_path + " is not a socket (is --socket right?)");
    if (reason == ENOENT || reason == ECONNREFUSED) {
      *failure = QueryFailure::NoAgent;
      return fail("no agent is running (" +
                  std::string(reason == ENOENT ? "no socket at " : "nobody answers at ") +
                  socket_path + ")");
    }
    if (reason == EACCES || reason == EPERM) {
      *failure = QueryFailure::PermissionDenied;
      return fail("permission denied connecting to the agent at " + socket_path + " (run as root)");
    }
    if (reason == EAGAIN || reason == ETIMEDOUT)
      return fail("the agent at " + socket_path + " is not accepting connections (timed out)");
    return fail("cannot connect to the agent at " + socket_path + ": " + std::strerror(reason));
  }

  std::string line = std::string(request) + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t written = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) break;  // the agent may have answered (refused) already: read it
    sent += static_cast<size_t>(written);
  }

  std::string answer;
  char buffer[65536];
  while (true) {
    ssize_t received = ::recv(fd, buffer, sizeof buffer, 0);
    if (received < 0 && errno == EINTR) continue;
    // The agent closed before reading all we sent (a refusal): what it
    // answered came before the reset.
    if (received < 0 && errno == ECONNRESET && !answer.empty()) break;
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return fail("the agent at " + socket_path + " did not answer within " +
                  std::to_string(kQueryTimeoutSeconds) + " seconds");
    if (received < 0)
      return fail("cannot read the agent's answer: " + std::string(std::strerror(errno)));
    if (received == 0) break;
    answer.append(buffer, static_cast<size_t>(received));
    if (answer.size() > kMaxAnswerBytes) return fail("the agent's answer is too large");
  }
  ::close(fd);
  if (answer.empty()) {
    *error = "the agent at " + socket_path + " closed the connection without answering";
    return std::nullopt;
  }
  if (answer.starts_with(kErrorPrefix)) {
    while (!answer.empty() && answer.back() == '\n') answer.pop_back();
    if (answer.find("permission denied") != std::string::npos)
      *failure = QueryFailure::PermissionDenied;
    *error = "the agent refused: " + answer.substr(kErrorPrefix.size());
    return std::nullopt;
  }
  return answer;
}

}  // namespace vigil::runtime
