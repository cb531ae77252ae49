// One system-call loop of bench/syscall_loops.h, timed, for the end-to-end
// overhead benchmark (`bench/run overhead`): the same loop is run with no
// agent, with vigil and with bpftrace, and the ratios come from these lines.
// Prints one JSON object: {"event", "iterations", "ns_per_call"}.
//
//   vigil-bench-syscall-loop --event file.open|exec|net.connect --iterations N
//                            [--dir DIR]   (file.open: opens DIR/no-such-file)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "bench/syscall_loops.h"

namespace {

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "vigil-bench-syscall-loop: " << problem << "\n";
  std::cerr << "usage: vigil-bench-syscall-loop --event file.open|exec|net.connect "
               "--iterations N [--dir DIR]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<vigil::bench::LoopEvent> event;
  long iterations = 0;
  std::string dir = "/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return usage(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--event") {
      event = vigil::bench::parse_loop_event(value);
      if (!event) return usage("bad --event " + value);
    } else if (flag == "--iterations") {
      char* end = nullptr;
      iterations = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || iterations < 1)
        return usage("--iterations must be a number >= 1");
    } else if (flag == "--dir") {
      dir = value;
    } else {
      return usage("unknown option " + flag);
    }
  }
  if (!event || iterations == 0) return usage("");
  vigil::bench::LoopTarget target;
  target.open_path = (std::filesystem::path(dir) / "no-such-file").string();
  std::string error;
  // Warm up (page cache, dentry cache, the binary's pages), then time.
  double ns = vigil::bench::loop_ns(*event, target, std::max(1L, iterations / 10), &error);
  if (ns >= 0) ns = vigil::bench::loop_ns(*event, target, iterations, &error);
  if (ns < 0) {
    std::cerr << "vigil-bench-syscall-loop: " << error << "\n";
    return 1;
  }
  std::printf("{\"event\": \"%s\", \"iterations\": %ld, \"ns_per_call\": %.1f}\n",
              vigil::bench::loop_event_name(*event), iterations, ns);
  return 0;
}
