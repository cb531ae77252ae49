// Load for agent benchmarks: opens numbered, nonexistent paths DIR/0, DIR/1, ...
// at a fixed rate (or as fast as one thread can) for a fixed time, then
// prints one JSON line: {"opens": N, "seconds": S, "rate": R}.
// Each open is one file.open event; a rule on `file.path startswith "DIR/"`
// turns every one into an alert.
//   vigil-bench-open-load --dir /tmp/vigil-load --rate 50000 --seconds 3
//   (--rate 0: no pacing, as fast as possible)
// SIGINT or SIGTERM stops it early, with the same report (`bench/run swaps`
// runs it until its reloads are done).
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

// Opens between two looks at the clock: small enough that pacing stays
// smooth at 25,000/s (20 ms), large enough that the clock costs nothing.
constexpr uint64_t kBatch = 500;

volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) {
  stop_requested = 1;
}

bool parse_number(const char* text, double* out) {
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || value < 0) return false;
  *out = value;
  return true;
}

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "vigil-bench-open-load: " << problem << "\n";
  std::cerr << "usage: vigil-bench-open-load --dir DIR --rate PER_SECOND (0: max) --seconds S\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  double rate = -1, seconds = -1;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage(flag + " needs a value");
    const char* value = argv[++i];
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--rate") {
      if (!parse_number(value, &rate)) return usage("--rate must be a number >= 0");
    } else if (flag == "--seconds") {
      if (!parse_number(value, &seconds) || seconds == 0)
        return usage("--seconds must be a number > 0");
    } else {
      return usage("unknown option " + flag);
    }
  }
  if (dir.empty() || rate < 0 || seconds < 0) return usage("");
  if (dir.size() > 4000) return usage("--dir is too long");

  // The name rules and alerts see as process.comm.
  prctl(PR_SET_NAME, "vigil-loadgen");
  struct sigaction on_stop{};
  on_stop.sa_handler = request_stop;  // looked at after each batch
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);

  char path[4096 + 32];
  std::memcpy(path, dir.data(), dir.size());
  path[dir.size()] = '/';
  char* number = path + dir.size() + 1;

  uint64_t opens = 0;
  Clock::time_point start = Clock::now();
  Clock::time_point end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (;;) {
    for (uint64_t i = 0; i < kBatch; ++i) {
      std::snprintf(number, 24, "%lu", static_cast<unsigned long>(opens++));
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(fd);
    }
    Clock::time_point now = Clock::now();
    if (now >= end || stop_requested) break;
    if (rate > 0) {
      Clock::time_point due =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(opens) / rate));
      if (due > end) due = end;
      std::this_thread::sleep_until(due);
      if (due == end) break;
    }
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"opens\": %lu, \"seconds\": %.3f, \"rate\": %.0f}\n",
              static_cast<unsigned long>(opens), elapsed, static_cast<double>(opens) / elapsed);
  return 0;
}
