// The agent's control socket: a real server on a scratch path, driven from
// the test thread by polling fd() as the agent's loop would, and the client
// (which blocks) on another thread.
#include "runtime/status_server.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <thread>

#include "runtime/agent_status_json.h"
#include "runtime/prometheus.h"
#include "tests/unit/sink_test_support.h"

namespace vigil::runtime {
namespace {

using namespace std::chrono_literals;
using testing::ScratchDirectory;

AgentStatus sample_status() {
  AgentStatus status;
  status.version = "0.1.0";
  status.pid = 812;
  status.source = "/etc/vigil/policies";
  status.generation = 5;
  status.hooks = {"tp/syscalls/sys_enter_openat"};
  status.events = {{"file.open", 99}};
  status.rule_counters = {{"ssh_key_read", 3, 1}};
  status.last_reload = ReloadResult{.generation = 5,
                                    .ok = true,
                                    .trigger = "start",
                                    .error = "",
                                    .finished_unix_ns = 1714567890'000000000,
                                    .duration_us = 900};
  return status;
}

// Runs the server's side until `done` is ready: what the agent's loop does.
template <typename T>
T serve_until(StatusServer& server, std::future<T>& done) {
  while (done.wait_for(0ms) != std::future_status::ready) {
    pollfd ready{server.fd(), POLLIN, 0};
    if (::poll(&ready, 1, 10) > 0) server.handle_ready();
  }
  return done.get();
}

struct Answer {
  std::optional<std::string> text;
  std::string error;
  QueryFailure failure = QueryFailure::Other;
};

Answer query(StatusServer& server, const std::string& request) {
  std::future<Answer> done = std::async(std::launch::async, [&] {
    Answer answer;
    answer.text = query_agent(server.path(), request, &answer.error, &answer.failure);
    return answer;
  });
  return serve_until(server, done);
}

std::unique_ptr<StatusServer> start_server(const std::string& path) {
  std::string error;
  std::unique_ptr<StatusServer> server = StatusServer::start(path, sample_status, &error);
  EXPECT_TRUE(server) << error;
  return server;
}

int connect_raw(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << std::strerror(errno);
  return fd;
}

TEST(StatusServer, StatusRoundTrip) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  Answer answer = query(*server, "status");
  ASSERT_TRUE(answer.text) << answer.error;
  std::string error;
  std::optional<AgentStatus> status =
      agent_status_from_json(nlohmann::json::parse(*answer.text), &error);
  ASSERT_TRUE(status) << error;
  EXPECT_EQ(agent_status_to_json(*status), agent_status_to_json(sample_status()));
  EXPECT_EQ(server->clients(), 0u);  // answered and closed
}

TEST(StatusServer, MetricsAreThePrometheusText) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  Answer answer = query(*server, "metrics");
  ASSERT_TRUE(answer.text) << answer.error;
  EXPECT_EQ(*answer.text, prometheus_metrics(sample_status()));
}

TEST(StatusServer, UnknownRequestIsAnsweredWithAnError) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  Answer answer = query(*server, "reload\x1b");
  EXPECT_FALSE(answer.text);
  EXPECT_EQ(answer.error,
            "the agent refused: unknown request `reload?`; expected status or metrics");
  EXPECT_EQ(answer.failure, QueryFailure::Other);
}

TEST(StatusServer, SocketIs0600InADirectoryMade0700AndRemovedAtTheEnd) {
  ScratchDirectory directory;
  std::string run = directory.file("run");
  std::string path = run + "/vigil.sock";
  {
    std::unique_ptr<StatusServer> server = start_server(path);
    ASSERT_TRUE(server);
    struct stat info{};
    ASSERT_EQ(::stat(run.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0700u);
    ASSERT_EQ(::lstat(path.c_str(), &info), 0);
    EXPECT_TRUE(S_ISSOCK(info.st_mode));
    EXPECT_EQ(info.st_mode & 07777, 0600u);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(StatusServer, RequestInPiecesAndSilentClientsDoNotBlockOthers) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  int silent = connect_raw(server->path());
  int slow = connect_raw(server->path());
  ASSERT_EQ(::send(slow, "sta", 3, 0), 3);
  server->handle_ready();
  EXPECT_EQ(server->clients(), 2u);

  // Another client is served meanwhile.
  Answer answer = query(*server, "status");
  EXPECT_TRUE(answer.text) << answer.error;

  ASSERT_EQ(::send(slow, "tus\n", 4, 0), 4);
  std::string received;
  char buffer[4096];
  while (true) {
    pollfd ready[2] = {{server->fd(), POLLIN, 0}, {slow, POLLIN, 0}};
    ASSERT_GT(::poll(ready, 2, 2000), 0);
    if (ready[0].revents) server->handle_ready();
    if (ready[1].revents) {
      ssize_t size = ::recv(slow, buffer, sizeof buffer, 0);
      if (size <= 0) break;
      received.append(buffer, size);
    }
  }
  EXPECT_TRUE(received.starts_with("{")) << received;
  EXPECT_EQ(server->clients(), 1u);  // the silent one
  ::close(slow);
  ::close(silent);
}

TEST(StatusServer, SilentClientsAreDroppedAfterTheirTime) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  int silent = connect_raw(server->path());
  auto start = std::chrono::steady_clock::now();
  // The server's timer wakes the loop at the client's deadline.
  while (std::chrono::steady_clock::now() - start < 5s) {
    pollfd ready{server->fd(), POLLIN, 0};
    if (::poll(&ready, 1, 5000) > 0) server->handle_ready();
    if (server->clients() == 0 && std::chrono::steady_clock::now() - start > 1s) break;
  }
  EXPECT_EQ(server->clients(), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1900ms);
  char byte;
  EXPECT_EQ(::recv(silent, &byte, 1, 0), 0);  // closed by the server
  ::close(silent);
}

TEST(StatusServer, OverlongRequestIsRefused) {
  ScratchDirectory directory;
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);
  Answer answer = query(*server, std::string(1000, 's'));
  EXPECT_FALSE(answer.text);
  EXPECT_EQ(answer.error, "the agent refused: request too long");
}

TEST(StatusServer, StaleSocketIsReplacedButALiveAgentIsNot) {
  ScratchDirectory directory;
  std::string path = directory.file("vigil.sock");
  {  // An agent that died: its socket file stays, nobody listens.
    int dead = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(dead, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(dead);
  }
  std::unique_ptr<StatusServer> server = start_server(path);
  ASSERT_TRUE(server);
  EXPECT_TRUE(query(*server, "status").text);

  std::string error;
  EXPECT_EQ(StatusServer::start(path, sample_status, &error), nullptr);
  EXPECT_EQ(error, "another vigil agent is already running (it answers at " + path + ")");
  EXPECT_TRUE(query(*server, "status").text);  // the first one is untouched
}

TEST(StatusServer, RefusesPathsThatAreNotSafe) {
  ScratchDirectory directory;
  std::string error;
  std::string file = directory.file("regular");
  std::ofstream(file) << "x";
  EXPECT_EQ(StatusServer::start(file, sample_status, &error), nullptr);
  EXPECT_EQ(error, file + " exists and is not a socket; remove it or choose another --socket");

  std::string shared = directory.file("shared");
  ASSERT_EQ(::mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  EXPECT_EQ(StatusServer::start(shared + "/vigil.sock", sample_status, &error), nullptr);
  EXPECT_EQ(error, "refusing to put the status socket in " + shared +
                       ": it is writable by other users or not owned by this one");

  EXPECT_EQ(StatusServer::start(directory.file(std::string(120, 'x')), sample_status, &error),
            nullptr);
  EXPECT_TRUE(error.starts_with("socket path must be 1 to 107 bytes")) << error;
}

TEST(StatusServer, NoAgent) {
  ScratchDirectory directory;
  std::string path = directory.file("vigil.sock");
  std::string error;
  QueryFailure failure = QueryFailure::Other;
  EXPECT_EQ(query_agent(path, "status", &error, &failure), std::nullopt);
  EXPECT_EQ(error, "no agent is running (no socket at " + path + ")");
  EXPECT_EQ(failure, QueryFailure::NoAgent);
}

// Even with the socket's mode loosened, a peer that is not root is refused
// (SO_PEERCRED). Needs root, to be another user.
TEST(StatusServer, PeersOtherThanRootAreRefused) {
  ASSERT_EQ(::geteuid(), 0u) << "run this test as root: it runs a client as another user";
  ScratchDirectory directory;
  ASSERT_EQ(::chmod(directory.path().c_str(), 0711), 0);
  std::unique_ptr<StatusServer> server = start_server(directory.file("vigil.sock"));
  ASSERT_TRUE(server);

  // Without the loosened mode, the file system refuses it first.
  auto run_as_nobody = [&] {
    std::future<int> done = std::async(std::launch::async, [&] {
      pid_t child = ::fork();
      if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0)
          ::_exit(10);
        std::string error;
        QueryFailure failure = QueryFailure::Other;
        std::optional<std::string> answer = query_agent(server->path(), "status", &error, &failure);
        if (answer) ::_exit(11);
        if (failure != QueryFailure::PermissionDenied) ::_exit(12);
        if (error == "the agent refused: permission denied: only root may query the agent")
          ::_exit(20);
        if (error.starts_with("permission denied connecting to the agent at ")) ::_exit(21);
        ::_exit(13);
      }
      int status = 0;
      ::waitpid(child, &status, 0);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    });
    return serve_until(*server, done);
  };
  EXPECT_EQ(run_as_nobody(), 21);
  ASSERT_EQ(::chmod(server->path().c_str(), 0666), 0);
  EXPECT_EQ(run_as_nobody(), 20);
  EXPECT_TRUE(query(*server, "status").text);  // root still is served
}

}  // namespace
}  // namespace vigil::runtime
