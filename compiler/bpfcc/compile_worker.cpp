// The worker side of the protocol (`vigil-compile-worker __compile-worker`).
#include "compiler/bpfcc/compile_worker.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "compiler/bpfcc/bpf_compiler.h"
#include "compiler/bpfcc/worker_location.h"
#include "compiler/bpfcc/worker_protocol.h"

#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_BPFCC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_BPFCC_ASAN 1
#endif
#endif

namespace vigil::bpfcc {
namespace {

bool read_exact(int fd, std::string& out, std::size_t size) {
  std::size_t start = out.size();
  out.resize(start + size);
  std::size_t done = 0;
  while (done < size) {
    ssize_t got = read(fd, out.data() + start + done, size - done);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got == 0 || errno != EINTR) {
      return false;
    }
  }
  return true;
}

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t written = write(fd, data.data() + done, data.size() - done);
    if (written > 0) {
      done += static_cast<std::size_t>(written);
    } else if (written < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "vigil compile worker: %s\n", message.c_str());
  return code;
}

int serve() {
  int result_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (result_fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    return fail("cannot set up the result channel", 3);
  struct rlimit no_core_dumps = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core_dumps);  // a crash is reported, not dumped
  prctl(PR_SET_PDEATHSIG, SIGKILL);        // never outlive the compiling thread

  std::string frame, error;
  if (!read_exact(STDIN_FILENO, frame, kFrameHeaderBytes)) return fail("no request on stdin", 2);
  std::optional<std::uint64_t> size = decode_frame_header(frame, kRequestMagic, error);
  if (!size) return fail(error, 2);
  if (!read_exact(STDIN_FILENO, frame, *size)) return fail("truncated request", 2);
  WorkerRequest request;
  if (!decode_worker_request(frame, request, error)) return fail(error, 2);
  frame = std::string();

#ifndef VIGIL_BPFCC_ASAN
  if (request.memory_limit_bytes != 0) {
    struct rlimit limit = {request.memory_limit_bytes, request.memory_limit_bytes};
    setrlimit(RLIMIT_AS, &limit);
  }
#endif
  switch (request.task) {
    case WorkerTask::Compile: break;
    case WorkerTask::FaultAbort: std::abort();
    case WorkerTask::FaultHang:
      for (;;) pause();
  }
  std::string encoded = encode_worker_result(compile_bpf(request.compile));
  if (!write_all(result_fd, encoded)) return fail("cannot write the result", 4);
  close(result_fd);
  return 0;
}

}  // namespace

void run_compile_worker() {
  int status;
  try {
    status = serve();
  } catch (const std::exception& error) {  // std::bad_alloc, e.g. under the memory limit
    status = fail(error.what(), 5);
  }
  std::fflush(stderr);
  _exit(status);
}

void act_as_own_compile_worker(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == kCompileWorkerArgument) run_compile_worker();
  set_default_compile_worker("/proc/self/exe");
}

}  // namespace vigil::bpfcc
