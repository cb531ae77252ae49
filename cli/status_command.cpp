// `vigil status`: ask the running agent, over its control socket, what it is
// doing — the policy generation in force, the last reload and the last
// failed one, hooks attached, events seen, kernel drops, alerts per rule.
// Exit 0 with an answer, 1 if no agent is running, 2 for other failures.
#include <time.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "runtime/agent_status_json.h"
#include "runtime/status_server.h"

namespace vigil::cli {
namespace {

using runtime::AgentStatus;
using runtime::ReloadResult;

constexpr int kExitNoAgent = 1;

struct StatusOptions {
  std::string socket = runtime::kDefaultStatusSocket;
  bool json = false;
  bool prometheus = false;
};

std::string utc_time(int64_t unix_ns) {
  if (unix_ns <= 0) return "-";
  time_t seconds = static_cast<time_t>(unix_ns / 1'000'000'000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

std::string uptime(int64_t started_unix_ns) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  int64_t seconds = now.tv_sec - started_unix_ns / 1'000'000'000;
  if (started_unix_ns <= 0 || seconds < 0) return "-";
  int64_t days = seconds / 86400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60;
  if (days > 0) return std::to_string(days) + "d " + std::to_string(hours) + "h";
  if (hours > 0) return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
  if (minutes > 0) return std::to_string(minutes) + "m " + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds) + "s";
}

std::string milliseconds(uint64_t microseconds) {
  return std::to_string(microseconds / 1000) + "." + std::to_string(microseconds % 1000 / 100) +
         " ms";
}

std::string describe_reload(const ReloadResult& reload) {
  std::string text =
      "generation " + std::to_string(reload.generation) + (reload.ok ? " ok" : " failed") +
      (reload.trigger.empty() ? "" : " (" + reload.trigger + ")") + " at " +
      utc_time(reload.finished_unix_ns) + ", took " + milliseconds(reload.duration_us);
  if (!reload.ok && !reload.error.empty()) {
    // A multi-line error (a diagnostic with its source line) stays aligned.
    std::string error;
    for (char c : reload.error) {
      error.push_back(c);
      if (c == '\n') error += std::string(15, ' ');
    }
    text += ":\n" + std::string(15, ' ') + error;
  }
  return text;
}

void print_field(const std::string& name, const std::string& value) {
  std::cout << name << std::string(name.size() < 15 ? 15 - name.size() : 1, ' ') << value << "\n";
}

// Columns left-aligned but numbers (every column after the first) right-aligned.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const std::vector<std::string>& row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string padding(widths[i] - row[i].size(), ' ');
      line += i == 0 ? row[i] + padding : padding + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

void print_status(const AgentStatus& status) {
  using std::to_string;
  std::cout << "vigil " << status.version << ", pid " << status.pid << ", up "
            << uptime(status.started_unix_ns) << " (since " << utc_time(status.started_unix_ns)
            << ")\n";
  print_field("policies", status.source + ": generation " + to_string(status.generation) + ", " +
                              to_string(status.rules) + " rule" + (status.rules == 1 ? "" : "s"));
  print_field("last reload", status.last_reload ? describe_reload(*status.last_reload) : "none");
  print_field("last failure", status.last_failure ? describe_reload(*status.last_failure) : "none");
  print_field("records", to_string(status.records) + " read, " +
                             to_string(status.records_malformed) + " malformed");
  print_field("kernel", to_string(status.kernel_submitted) + " submitted, " +
                            to_string(status.kernel_dropped) + " dropped (ring buffer of " +
                            to_string(status.ring_buffer_bytes >> 20) + " MiB full), " +
                            to_string(status.kernel_killed) + " processes killed");
  print_field("alerts", to_string(status.alerts));
  print_field("hooks", to_string(status.hooks.size()) + " attached");
  for (const std::string& hook : status.hooks) std::cout << "  " << hook << "\n";

  if (!status.events.empty()) {
    std::vector<std::vector<std::string>> rows = {{"event", "seen"}};
    for (const runtime::EventCounters& event : status.events)
      rows.push_back({event.event, to_string(event.seen)});
    std::cout << "\n";
    print_table(rows);
  }
  if (!status.rule_counters.empty()) {
    std::vector<std::vector<std::string>> rows = {{"rule", "alerts", "rejected in user space"}};
    for (const runtime::RuleCounters& rule : status.rule_counters)
      rows.push_back({rule.rule, to_string(rule.alerts), to_string(rule.completed_false)});
    std::cout << "\n";
    print_table(rows);
  }
}

int run_status(const StatusOptions& options) {
  std::string error;
  runtime::QueryFailure failure = runtime::QueryFailure::Other;
  std::optional<std::string> answer = runtime::query_agent(
      options.socket, options.prometheus ? "metrics" : "status", &error, &failure);
  if (!answer) {
    std::cerr << "vigil: error: " << error << "\n";
    return failure == runtime::QueryFailure::NoAgent ? kExitNoAgent : kExitUsageOrIo;
  }
  if (options.prometheus || options.json) {
    std::cout << *answer;
    return kExitOk;
  }
  nlohmann::json json = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  std::optional<AgentStatus> status;
  if (!json.is_discarded()) status = runtime::agent_status_from_json(json, &error);
  if (!status) {
    std::cerr << "vigil: error: the agent's answer is not a status"
              << (json.is_discarded() ? " (not JSON)" : ": " + error) << "\n";
    return kExitUsageOrIo;
  }
  print_status(*status);
  return kExitOk;
}

}  // namespace

Command register_status(CLI::App& app) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* command = app.add_subcommand("status", "Show what the running agent is doing");
  command->add_option("--socket", options->socket, "The agent's control socket")
      ->capture_default_str();
  CLI::Option* json = command->add_flag("--json", options->json, "Print the status as JSON");
  command->add_flag("--prometheus", options->prometheus, "Print the Prometheus metrics")
      ->excludes(json);
  // The options write into *options while parsing, so the runner keeps it alive.
  return {command, [options] { return run_status(*options); }};
}

}  // namespace vigil::cli
