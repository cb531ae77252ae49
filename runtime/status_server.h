// The agent's control socket: `vigil status` (and anything else run as root)
// asks the running agent for its status or its metrics.
//
// Protocol: a unix stream socket; the client sends one request line,
// "status" or "metrics"; the agent answers and closes the connection.
//   status   → AgentStatus as JSON (agent_status_json.h)
//   metrics  → the Prometheus text format (prometheus.h)
// A refused or unknown request is answered with one line "error: ...".
//
// Access: the socket's directory is created 0700, the socket is 0600, and
// the peer's credentials (SO_PEERCRED) must be root's (or the agent's own
// user, for an agent run unprivileged in tests): the status names every rule
// and the metrics every counter.
//
// The server never blocks the agent. It lives in the agent's epoll loop
// through one descriptor, fd() (an epoll set of its own holding the
// listening socket, its clients and a deadline timer); handle_ready() does
// whatever is ready without waiting. A client gets 2 seconds from connect
// to request and read its answer, at most 16 are served at once, and a
// request line is at most 256 bytes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/agent_status.h"

namespace vigil::runtime {

inline constexpr const char* kDefaultStatusSocket = "/run/vigil/vigil.sock";

class StatusServer {
 public:
  using StatusSource = std::function<AgentStatus()>;

  // Serves at `socket_path`: creates its directory (0700) if missing, and
  // removes a stale socket left by an agent that died. nullptr and `error` if
  // the directory is writable by others, the path is not a socket, another
  // agent answers there, or the socket cannot be made.
  static std::unique_ptr<StatusServer> start(const std::string& socket_path, StatusSource source,
                                             std::string* error);
  // Closes every connection and removes the socket file (if it is still ours).
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Readable when handle_ready() has something to do: add it to the
  // agent's epoll set (EPOLLIN).
  int fd() const { return epoll_fd_; }
  // Accepts, reads, answers and expires clients, without blocking.
  void handle_ready();

  const std::string& path() const { return path_; }
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    std::string request;
    std::string response;
    size_t sent = 0;
    bool answering = false;
    int64_t deadline_ns = 0;  // CLOCK_MONOTONIC
  };

  StatusServer(std::string path, StatusSource source) : path_(std::move(path)), source_(source) {}
  bool listen_at(std::string* error);
  void accept_clients();
  void read_request(int client_fd, Client& client);
  void answer(int client_fd, Client& client, std::string response);
  void send_response(int client_fd, Client& client);
  void close_client(int client_fd);
  void expire_clients();
  void arm_timer();
  std::string respond_to(std::string_view request);

  std::string path_;
  StatusSource source_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  dev_t socket_device_ = 0;  // the socket file we made, so we remove only it
  ino_t socket_inode_ = 0;
  std::map<int, Client> clients_;
};

// Why query_agent failed.
enum class QueryFailure { NoAgent, PermissionDenied, Other };

// Sends `request` ("status", "metrics") to the agent at `socket_path` and
// returns its answer. nullopt, `error` and `failure` if there is no agent
// ("no agent is running (no socket at /run/vigil/vigil.sock)"), it refuses
// ("permission denied ..."), does not answer within 5 seconds, or answers
// "error: ...".
std::optional<std::string> query_agent(const std::string& socket_path, std::string_view request,
                                       std::string* error, QueryFailure* failure = nullptr);

}  // namespace vigil::runtime
