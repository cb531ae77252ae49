// The parent side of the worker protocol: spawn, feed, collect, reap.
#include "compiler/bpfcc/isolated_compile.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "compiler/bpfcc/worker_location.h"

extern char** environ;

namespace vigil::bpfcc {
namespace {

constexpr std::size_t kMaxCapturedStderr = 16 << 10;
constexpr std::size_t kReadChunk = 64 << 10;

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string describe_errno(int error) {
  char buffer[256];
  // GNU strerror_r returns the message, which may or may not be `buffer`.
  return strerror_r(error, buffer, sizeof buffer);
}

std::string describe_signal(int signal) {
  const char* description = sigdescr_np(signal);
  return "signal " + std::to_string(signal) + " (" +
         (description ? description : "unknown signal") + ")";
}

// Moves `fd` above the standard streams, so the worker's dup2 onto 0, 1 and 2
// cannot clobber it when the parent runs with a standard stream closed.
bool keep_above_stdio(FileDescriptor& fd) {
  if (fd.get() > 2) return true;
  int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

bool set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by design
#else
  (void)pid;
  return -1;
#endif
}

struct SpawnedWorker {
  pid_t pid = -1;
  FileDescriptor channel;  // the worker's stdin and stdout
  FileDescriptor errors;   // the worker's stderr
};

// Returns an empty string on success, else why the worker could not start.
std::string spawn_worker(const IsolationOptions& options, SpawnedWorker& worker) {
  int sockets[2], pipe_ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    return "socketpair: " + describe_errno(errno);
  worker.channel.reset(sockets[0]);
  FileDescriptor child_channel(sockets[1]);
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) return "pipe: " + describe_errno(errno);
  worker.errors.reset(pipe_ends[0]);
  FileDescriptor child_errors(pipe_ends[1]);
  if (!keep_above_stdio(child_channel) || !keep_above_stdio(child_errors) ||
      !keep_above_stdio(worker.channel) || !keep_above_stdio(worker.errors))
    return "fcntl: " + describe_errno(errno);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, child_channel.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, child_channel.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, child_errors.get(), 2);
  // Descriptors the host application opened without O_CLOEXEC stay behind too.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t no_signals, all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setsigdefault(&attributes, &all_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(options.worker_executable.c_str()));
  for (const std::string& argument : options.worker_arguments)
    argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  int status = posix_spawn(&worker.pid, options.worker_executable.c_str(), &actions, &attributes,
                           argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (status != 0) {
    worker.pid = -1;
    return "cannot start the BPF compiler worker '" + options.worker_executable +
           "': " + describe_errno(status);
  }
  if (!set_nonblocking(worker.channel.get()) || !set_nonblocking(worker.errors.get()))
    return "fcntl: " + describe_errno(errno);
  return {};
}

// What came back from a worker run.
struct Exchange {
  std::string result_frame;
  std::string errors;
  bool errors_truncated = false;
  bool timed_out = false;
  std::string failure;  // a local I/O problem, or an oversized result
};

// Sends `request` and collects stdout and stderr until the worker has exited
// and closed both, or the deadline passes. Handles short writes, EINTR, and a
// worker that dies before reading everything (EPIPE, no SIGPIPE).
Exchange exchange(SpawnedWorker& worker, const std::string& request,
                  std::chrono::milliseconds timeout) {
  Exchange out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  FileDescriptor pidfd(open_pidfd(worker.pid));
  std::size_t sent = 0;
  bool sending = true, channel_open = true, errors_open = true, exited = pidfd.get() < 0;
  std::string chunk(kReadChunk, '\0');
  while (channel_open || errors_open || !exited) {
    pollfd fds[3];
    nfds_t count = 0;
    int channel_index = -1, errors_index = -1, pid_index = -1;
    if (channel_open) {
      channel_index = static_cast<int>(count);
      fds[count++] = {worker.channel.get(), static_cast<short>(POLLIN | (sending ? POLLOUT : 0)),
                      0};
    }
    if (errors_open) {
      errors_index = static_cast<int>(count);
      fds[count++] = {worker.errors.get(), POLLIN, 0};
    }
    if (!exited) {
      pid_index = static_cast<int>(count);
      fds[count++] = {pidfd.get(), POLLIN, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      return out;
    }
    int ready = poll(fds, count, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      out.failure = "poll: " + describe_errno(errno);
      return out;
    }
    if (ready == 0) continue;  // the deadline check above ends the loop

    if (channel_index >= 0 && (fds[channel_index].revents & POLLOUT) && sending) {
      ssize_t written = send(worker.channel.get(), request.data() + sent, request.size() - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
      if (written > 0) sent += static_cast<std::size_t>(written);
      if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        sending = false;  // the worker is gone; its exit status will tell why
      if (sent == request.size()) {
        sending = false;
        shutdown(worker.channel.get(), SHUT_WR);  // lets a truncated-request reader see EOF
      }
    }
    if (channel_index >= 0 && (fds[channel_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(worker.channel.get(), chunk.data(), chunk.size());
      if (got > 0) {
        out.result_frame.append(chunk.data(), static_cast<std::size_t>(got));
        if (out.result_frame.size() > kFrameHeaderBytes + kMaxFramePayloadBytes) {
          out.failure = "the worker's result is over the size limit";
          return out;
        }
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        channel_open = sending = false;
      }
    }
    if (errors_index >= 0 && (fds[errors_index].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = read(worker.errors.get(), chunk.data(), chunk.size());
      if (got > 0) {
        std::size_t room = kMaxCapturedStderr - std::min(kMaxCapturedStderr, out.errors.size());
        out.errors.append(chunk.data(), std::min(room, static_cast<std::size_t>(got)));
        if (static_cast<std::size_t>(got) > room) out.errors_truncated = true;
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        errors_open = false;
      }
    }
    if (pid_index >= 0 && (fds[pid_index].revents & (POLLIN | POLLHUP | POLLERR))) exited = true;
  }
  return out;
}

int reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;  // ECHILD: SIGCHLD ignored by the host, status lost
  }
  return status;
}

std::string with_stderr(std::string message, const Exchange& exchange) {
  std::string errors = exchange.errors;
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
  if (!errors.empty()) message += "\nworker stderr:\n" + errors;
  if (exchange.errors_truncated) message += "\n[stderr truncated]";
  return message;
}

BpfCompileResult run_isolated(const BpfCompileRequest& request, IsolationOptions options) {
  BpfCompileResult result;
  if (options.worker_executable.empty()) {
    WorkerLookup worker = default_compile_worker();
    if (!worker.error.empty()) {
      result.error = worker.error;
      return result;
    }
    options.worker_executable = worker.executable;
  }
  std::string frame = encode_worker_request({options.task, options.memory_limit_bytes, request});
  SpawnedWorker worker;
  std::string problem = spawn_worker(options, worker);
  if (!problem.empty()) {
    if (worker.pid > 0) {
      kill(worker.pid, SIGKILL);
      reap(worker.pid);
    }
    result.error = "BPF compiler worker: " + problem;
    return result;
  }
  Exchange exchanged = exchange(worker, frame, options.timeout);
  worker.channel.reset();
  worker.errors.reset();
  if (exchanged.timed_out || !exchanged.failure.empty()) kill(worker.pid, SIGKILL);
  int status = reap(worker.pid);

  if (exchanged.timed_out) {
    result.error = with_stderr(
        "BPF compiler timed out after " + std::to_string(options.timeout.count()) + " ms",
        exchanged);
  } else if (!exchanged.failure.empty()) {
    result.error = with_stderr("BPF compiler worker: " + exchanged.failure, exchanged);
  } else if (status != -1 && WIFSIGNALED(status)) {
    result.error =
        with_stderr("BPF compiler crashed: " + describe_signal(WTERMSIG(status)), exchanged);
  } else if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    result.error = with_stderr(
        "BPF compiler worker failed with exit status " + std::to_string(WEXITSTATUS(status)),
        exchanged);
  } else {
    std::string decode_error;
    if (!decode_worker_result(exchanged.result_frame, result, decode_error)) {
      result = BpfCompileResult{};
      result.error =
          with_stderr("BPF compiler worker sent a malformed result: " + decode_error, exchanged);
    }
  }
  return result;
}

}  // namespace

BpfCompileResult compile_bpf_isolated(const BpfCompileRequest& request,
                                      const IsolationOptions& options) {
  auto start = std::chrono::steady_clock::now();
  BpfCompileResult result;
  try {
    result = run_isolated(request, options);
  } catch (const std::exception& error) {  // std::bad_alloc
    result = BpfCompileResult{};
    result.error = std::string("BPF compiler worker: ") + error.what();
  }
  result.total_time = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

}  // namespace vigil::bpfcc
