// The Prometheus exposition of an agent status, exactly, and the atomic
// metrics file for node_exporter's textfile collector.
#include "runtime/prometheus.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/unit/sink_test_support.h"

namespace vigil::runtime {
namespace {

AgentStatus small_status() {
  AgentStatus status;
  status.version = "0.1.0";
  status.started_unix_ns = 1714567890'500000000;
  status.generation = 3;
  status.rules = 2;
  status.hooks = {"tp/syscalls/sys_enter_openat", "tp/sched/sched_process_exec"};
  status.events = {{"exec", 12}, {"file.open", 3400}};
  status.records = 40;
  status.records_malformed = 1;
  status.kernel_submitted = 45;
  status.kernel_dropped = 5;
  status.kernel_killed = 3;
  status.ring_buffer_bytes = 32u << 20;
  status.alerts = 9;
  status.rule_counters = {{"shell_from_web_server", 7, 0}, {"ssh_key_read", 2, 31}};
  status.last_reload = ReloadResult{.generation = 3,
                                    .ok = false,
                                    .trigger = "SIGHUP",
                                    .error = "web.vigil:3:5: unknown field",
                                    .finished_unix_ns = 1714567990'000000000,
                                    .duration_us = 35250};
  status.last_failure = status.last_reload;
  return status;
}

TEST(Prometheus, ExactExposition) {
  EXPECT_EQ(prometheus_metrics(small_status()),
            R"(# HELP vigil_build_info The agent's version; always 1.
# TYPE vigil_build_info gauge
vigil_build_info{version="0.1.0"} 1
# HELP vigil_start_time_seconds When the agent started, in seconds since the Unix epoch.
# TYPE vigil_start_time_seconds gauge
vigil_start_time_seconds 1714567890.5
# HELP vigil_policy_generation The policy generation in force.
# TYPE vigil_policy_generation gauge
vigil_policy_generation 3
# HELP vigil_rules Enabled rules in force.
# TYPE vigil_rules gauge
vigil_rules 2
# HELP vigil_hooks_attached Kernel hooks attached.
# TYPE vigil_hooks_attached gauge
vigil_hooks_attached 2
# HELP vigil_events_seen_total Events the kernel built and matched, by event kind.
# TYPE vigil_events_seen_total counter
vigil_events_seen_total{event="exec"} 12
vigil_events_seen_total{event="file.open"} 3400
# HELP vigil_records_total Records read from the ring buffer.
# TYPE vigil_records_total counter
vigil_records_total 40
# HELP vigil_records_malformed_total Records read from the ring buffer that could not be decoded.
# TYPE vigil_records_malformed_total counter
vigil_records_malformed_total 1
# HELP vigil_kernel_submitted_total Records the kernel wrote to the ring buffer.
# TYPE vigil_kernel_submitted_total counter
vigil_kernel_submitted_total 45
# HELP vigil_kernel_dropped_total Records lost because the ring buffer was full.
# TYPE vigil_kernel_dropped_total counter
vigil_kernel_dropped_total 5
# HELP vigil_ring_buffer_bytes Size of the ring buffer between the kernel and the agent.
# TYPE vigil_ring_buffer_bytes gauge
vigil_ring_buffer_bytes 33554432
# HELP vigil_kernel_killed_total Processes the kernel killed for a kill rule (or a deny's fallback kill).
# TYPE vigil_kernel_killed_total counter
vigil_kernel_killed_total 3
# HELP vigil_alerts_emitted_total Alerts emitted, the agent's own included.
# TYPE vigil_alerts_emitted_total counter
vigil_alerts_emitted_total 9
# HELP vigil_alerts_total Alerts emitted, by rule.
# TYPE vigil_alerts_total counter
vigil_alerts_total{rule="shell_from_web_server"} 7
vigil_alerts_total{rule="ssh_key_read"} 2
# HELP vigil_rule_completed_false_total Kernel matches pending user-space completion that it rejected, by rule.
# TYPE vigil_rule_completed_false_total counter
vigil_rule_completed_false_total{rule="shell_from_web_server"} 0
vigil_rule_completed_false_total{rule="ssh_key_read"} 31
# HELP vigil_last_reload_success Whether the newest policy reload succeeded (1) or failed (0).
# TYPE vigil_last_reload_success gauge
vigil_last_reload_success 0
# HELP vigil_last_reload_generation The generation the newest policy reload produced or tried to.
# TYPE vigil_last_reload_generation gauge
vigil_last_reload_generation 3
# HELP vigil_last_reload_timestamp_seconds When the newest policy reload finished, in seconds since the Unix epoch.
# TYPE vigil_last_reload_timestamp_seconds gauge
vigil_last_reload_timestamp_seconds 1714567990
# HELP vigil_last_reload_duration_seconds How long the newest policy reload took, from its trigger to live or failure.
# TYPE vigil_last_reload_duration_seconds gauge
vigil_last_reload_duration_seconds 0.03525
# HELP vigil_last_reload_failure_timestamp_seconds When the newest failed policy reload finished, in seconds since the Unix epoch.
# TYPE vigil_last_reload_failure_timestamp_seconds gauge
vigil_last_reload_failure_timestamp_seconds 1714567990
)");
}

TEST(Prometheus, NoReloadFamiliesBeforeTheFirstReload) {
  AgentStatus status = small_status();
  status.last_reload.reset();
  status.last_failure.reset();
  std::string text = prometheus_metrics(status);
  EXPECT_EQ(text.find("vigil_last_reload"), std::string::npos);
  EXPECT_TRUE(text.ends_with("vigil_rule_completed_false_total{rule=\"ssh_key_read\"} 31\n"));
}

TEST(Prometheus, NanosecondTimesAreExactDecimals) {
  AgentStatus status;
  status.started_unix_ns = 1714567890'123456789;
  EXPECT_NE(prometheus_metrics(status).find("\nvigil_start_time_seconds 1714567890.123456789\n"),
            std::string::npos);
  status.started_unix_ns = 1714567890'000000007;
  EXPECT_NE(prometheus_metrics(status).find("\nvigil_start_time_seconds 1714567890.000000007\n"),
            std::string::npos);
}

TEST(Prometheus, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_prometheus_label(R"(a\b"c)"
                                    "\n"
                                    "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_prometheus_label("plain.event_1"), "plain.event_1");
  AgentStatus status;
  status.events = {{"we\"ird\\\n", 1}};
  EXPECT_NE(
      prometheus_metrics(status).find("\nvigil_events_seen_total{event=\"we\\\"ird\\\\\\n\"} 1\n"),
      std::string::npos);
}

TEST(Prometheus, MetricsFileIsReplacedAtomically) {
  testing::ScratchDirectory directory;
  std::string path = directory.file("vigil.prom");
  std::string error;
  ASSERT_TRUE(write_metrics_file(path, "first 1\n", &error)) << error;
  ASSERT_TRUE(write_metrics_file(path, "second 2\n", &error)) << error;
  EXPECT_EQ(testing::read_file(path), "second 2\n");
  struct stat info{};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0644u);
  // No temporary left beside it.
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory.path()))
    ++files;
  EXPECT_EQ(files, 1u);
}

TEST(Prometheus, MetricsFileInAMissingDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(write_metrics_file("/nonexistent-vigil-dir/vigil.prom", "x 1\n", &error));
  EXPECT_EQ(error,
            "cannot create a temporary file beside /nonexistent-vigil-dir/vigil.prom: No such "
            "file or directory");
}

}  // namespace
}  // namespace vigil::runtime
