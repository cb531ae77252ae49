// Runs the real `vigil run` as a child process for the agent's end-to-end
// tests: alerts go to a JSON Lines file, the agent's log to another; the
// test waits for log lines ("generation 2 live"), reads the alerts, and stops
// the agent with SIGTERM. The destructor kills an agent still running, so a
// failing test leaves nothing attached.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

class AgentProcess {
 public:
  // `arguments` follow `vigil run`; --output and the status socket are added.
  AgentProcess(const std::filesystem::path& work_dir, std::vector<std::string> arguments,
               std::vector<std::pair<std::string, std::string>> environment = {})
      : alerts_path_(work_dir / "alerts.jsonl"),
        log_path_(work_dir / "agent.log"),
        socket_path_(work_dir / "vigil.sock") {
    std::vector<std::string> argv = {VIGIL_BINARY, "run"};
    for (std::string& argument : arguments) argv.push_back(std::move(argument));
    argv.push_back("--output");
    argv.push_back("file:" + alerts_path_.string() + ",format=json");
    argv.push_back("--status-socket");
    argv.push_back(socket_path_.string());
    pid_ = fork();
    if (pid_ == 0) {
      for (const auto& [name, value] : environment) setenv(name.c_str(), value.c_str(), 1);
      FILE* log = std::freopen(log_path_.c_str(), "w", stderr);
      (void)log;
      std::vector<char*> raw;
      for (std::string& argument : argv) raw.push_back(argument.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }

  ~AgentProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits until the log holds `count` lines containing `text` (or the agent
  // exits, or the timeout passes). True if they appeared.
  bool wait_for_log(const std::string& text, size_t count = 1,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (count_in_log(text) >= count) return true;
      if (exited()) return count_in_log(text) >= count;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  size_t count_in_log(const std::string& text) const {
    std::string log = this->log();
    size_t count = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
    return count;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Every alert written so far. A line that is not JSON fails the caller's
  // expectations through `malformed`.
  std::vector<nlohmann::json> alerts(size_t* malformed = nullptr) const {
    std::vector<nlohmann::json> alerts;
    std::ifstream in(alerts_path_);
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json alert = nlohmann::json::parse(line, nullptr, false);
      if (alert.is_discarded()) {
        if (malformed) ++*malformed;
        continue;
      }
      alerts.push_back(std::move(alert));
    }
    return alerts;
  }

  // SIGTERM, then the exit status (-1 if it had to be killed after 20 s).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline && !exited())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return -1;
    }
    return exit_status_;
  }

  void signal(int number) const {
    if (pid_ > 0) kill(pid_, number);
  }

  bool exited() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return true;
    }
    return false;
  }

  // Runs `vigil status --json` against this agent; null if it fails.
  nlohmann::json status() const {
    std::string command =
        std::string(VIGIL_BINARY) + " status --json --socket " + socket_path_.string();
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return nullptr;
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) text.append(buffer, n);
    if (pclose(pipe) != 0) return nullptr;
    return nlohmann::json::parse(text, nullptr, false);
  }

  const std::filesystem::path& alerts_path() const { return alerts_path_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& socket_path() const { return socket_path_; }

 private:
  std::filesystem::path alerts_path_;
  std::filesystem::path log_path_;
  std::filesystem::path socket_path_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

}  // namespace vigil::testing
