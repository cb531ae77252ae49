#include "runtime/prometheus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/write_all.h"

namespace vigil::runtime {
namespace {

// Exact decimal seconds from an integer count of 1/`per_second` units:
// 1714567890123456789 ns → "1714567890.123456789", 35000 µs → "0.035".
std::string seconds(int64_t units, int64_t per_second, int digits) {
  bool negative = units < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  std::string text = (negative ? "-" : "") + std::to_string(magnitude / per_second);
  uint64_t fraction = magnitude % per_second;
  if (fraction == 0) return text;
  char digits_text[24];
  std::snprintf(digits_text, sizeof digits_text, "%0*llu", digits,
                static_cast<unsigned long long>(fraction));
  std::string decimals = digits_text;
  while (decimals.back() == '0') decimals.pop_back();
  return text + "." + decimals;
}
std::string seconds_from_ns(int64_t ns) {
  return seconds(ns, 1'000'000'000, 9);
}
std::string seconds_from_us(uint64_t us) {
  return seconds(static_cast<int64_t>(us), 1'000'000, 6);
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    text_ += "# HELP " + name_ + " " + std::string(help) + "\n";
    text_ += "# TYPE " + name_ + " " + std::string(type) + "\n";
  }
  void sample(const std::string& value) { text_ += name_ + " " + value + "\n"; }
  void sample(std::string_view label, std::string_view label_value, const std::string& value) {
    text_ += name_ + "{" + std::string(label) + "=\"" + escape_prometheus_label(label_value) +
             "\"} " + value + "\n";
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
  std::string name_;
};

}  // namespace

std::string escape_prometheus_label(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': escaped += "\\\\"; break;
      case '"': escaped += "\\\""; break;
      case '\n': escaped += "\\n"; break;
      default: escaped.push_back(c);
    }
  }
  return escaped;
}

std::string prometheus_metrics(const AgentStatus& status) {
  using std::to_string;
  Exposition out;
  out.family("vigil_build_info", "gauge", "The agent's version; always 1.");
  out.sample("version", status.version, "1");
  out.family("vigil_start_time_seconds", "gauge",
             "When the agent started, in seconds since the Unix epoch.");
  out.sample(seconds_from_ns(status.started_unix_ns));
  out.family("vigil_policy_generation", "gauge", "The policy generation in force.");
  out.sample(to_string(status.generation));
  out.family("vigil_rules", "gauge", "Enabled rules in force.");
  out.sample(to_string(status.rules));
  out.family("vigil_hooks_attached", "gauge", "Kernel hooks attached.");
  out.sample(to_string(status.hooks.size()));

  out.family("vigil_events_seen_total", "counter",
             "Events the kernel built and matched, by event kind.");
  for (const EventCounters& event : status.events)
    out.sample("event", event.event, to_string(event.seen));
  out.family("vigil_records_total", "counter", "Records read from the ring buffer.");
  out.sample(to_string(status.records));
  out.family("vigil_records_malformed_total", "counter",
             "Records read from the ring buffer that could not be decoded.");
  out.sample(to_string(status.records_malformed));
  out.family("vigil_kernel_submitted_total", "counter",
             "Records the kernel wrote to the ring buffer.");
  out.sample(to_string(status.kernel_submitted));
  out.family("vigil_kernel_dropped_total", "counter",
             "Records lost because the ring buffer was full.");
  out.sample(to_string(status.kernel_dropped));
  out.family("vigil_ring_buffer_bytes", "gauge",
             "Size of the ring buffer between the kernel and the agent.");
  out.sample(to_string(status.ring_buffer_bytes));
  out.family("vigil_kernel_killed_total", "counter",
             "Processes the kernel killed for a kill rule (or a deny's fallback kill).");
  out.sample(to_string(status.kernel_killed));

  out.family("vigil_alerts_emitted_total", "counter", "Alerts emitted, the agent's own included.");
  out.sample(to_string(status.alerts));
  out.family("vigil_alerts_total", "counter", "Alerts emitted, by rule.");
  for (const RuleCounters& rule : status.rule_counters)
    out.sample("rule", rule.rule, to_string(rule.alerts));
  out.family("vigil_rule_completed_false_total", "counter",
             "Kernel matches pending user-space completion that it rejected, by rule.");
  for (const RuleCounters& rule : status.rule_counters)
    out.sample("rule", rule.rule, to_string(rule.completed_false));

  if (const std::optional<ReloadResult>& reload = status.last_reload) {
    out.family("vigil_last_reload_success", "gauge",
               "Whether the newest policy reload succeeded (1) or failed (0).");
    out.sample(reload->ok ? "1" : "0");
    out.family("vigil_last_reload_generation", "gauge",
               "The generation the newest policy reload produced or tried to.");
    out.sample(to_string(reload->generation));
    out.family("vigil_last_reload_timestamp_seconds", "gauge",
               "When the newest policy reload finished, in seconds since the Unix epoch.");
    out.sample(seconds_from_ns(reload->finished_unix_ns));
    out.family("vigil_last_reload_duration_seconds", "gauge",
               "How long the newest policy reload took, from its trigger to live or failure.");
    out.sample(seconds_from_us(reload->duration_us));
  }
  if (const std::optional<ReloadResult>& failure = status.last_failure) {
    out.family("vigil_last_reload_failure_timestamp_seconds", "gauge",
               "When the newest failed policy reload finished, in seconds since the Unix epoch.");
    out.sample(seconds_from_ns(failure->finished_unix_ns));
  }
  return out.take();
}

bool write_metrics_file(const std::string& path, std::string_view text, std::string* error) {
  std::string temporary = path + ".XXXXXX";
  int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot create a temporary file beside " + path + ": " + std::strerror(errno);
    return false;
  }
  int failure = write_all(fd, text);
  if (failure == 0 && ::fchmod(fd, 0644) != 0) failure = errno;
  // Durable before the rename, so a crash leaves the old file or the new one.
  if (failure == 0 && ::fsync(fd) != 0) failure = errno;
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) failure = errno;
  if (failure != 0) {
    ::unlink(temporary.c_str());
    *error = "cannot write metrics to " + path + ": " + std::strerror(failure);
    return false;
  }
  return true;
}

}  // namespace vigil::runtime
