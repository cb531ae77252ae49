// Runs a shell script inside a QEMU guest booted from a Debian kernel, through
// scripts/qemu/run-guest (docs/kernels.md): the tests here use it to run the
// real agent on other kernels. A test gives the kernel, the kernel command
// line, the host binaries and files to put in the guest, and the script; it
// gets the script's exit status, the console, and what the script left in
// $GUEST_RESULTS (/results), copied back to the host.
#pragma once

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vigil::testing {

struct GuestRun {
  std::string kernel;              // 6.1, 6.12, a linux-image-... package or a vmlinuz path
  std::string append;              // more kernel command line
  std::vector<std::string> bins;   // HOST[:GUEST]: executables with their shared libraries
  std::vector<std::string> files;  // HOST:GUEST: files or directories as they are
  std::string script;              // the guest script's text (busybox sh)
  int timeout_seconds = 900;       // the whole boot, under emulation
  int memory_mib = 1024;
};

struct GuestResult {
  // The script's exit status; 124: the timeout passed; 125: the guest or the
  // harness failed before the script's status was known (the console says why).
  int exit_status = -1;
  std::string console;
  std::filesystem::path results;  // the guest's /results, on the host
  double seconds = 0;

  // A file the script wrote under $GUEST_RESULTS ("" if it did not).
  std::string file(const std::string& name) const {
    std::ifstream in(results / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

// Boots the guest and waits for it. `work` is a scratch directory (created;
// the results land in work/results). The console streams to this process's
// stdout as it comes, so a test's log shows the guest.
inline GuestResult run_guest(const GuestRun& run, const std::filesystem::path& work) {
  namespace fs = std::filesystem;
  fs::create_directories(work);
  GuestResult result;
  result.results = work / "results";
  fs::remove_all(result.results);
  fs::path script = work / "guest.sh";
  fs::path console = work / "console.log";
  std::ofstream(script) << run.script;

  std::vector<std::string> argv = {VIGIL_SOURCE_DIR "/scripts/qemu/run-guest",
                                   "--kernel",
                                   run.kernel,
                                   "--script",
                                   script.string(),
                                   "--results",
                                   result.results.string(),
                                   "--console",
                                   console.string(),
                                   "--timeout",
                                   std::to_string(run.timeout_seconds),
                                   "--memory",
                                   std::to_string(run.memory_mib)};
  if (!run.append.empty()) argv.insert(argv.end(), {"--append", run.append});
  for (const std::string& bin : run.bins) argv.insert(argv.end(), {"--bin", bin});
  for (const std::string& file : run.files) argv.insert(argv.end(), {"--file", file});

  auto started = std::chrono::steady_clock::now();
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // run-guest stops its guest if the test dies
    std::vector<char*> raw;
    for (std::string& argument : argv) raw.push_back(argument.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(125);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::ifstream in(console);
  result.console.assign(std::istreambuf_iterator<char>(in), {});
  return result;
}

}  // namespace vigil::testing
