// When the agent cannot keep up, the kernel never waits: it drops records
// and counts them. Here the agent is stopped (SIGSTOP) while a child opens
// many matching paths, so the ring buffer fills; after SIGCONT the agent must
// report every record it got, count the rest as dropped (alerts + dropped =
// opens), and raise a `vigil.events_dropped` agent alert.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/agent/agent_process.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(AgentDrops, AFullRingBufferIsCountedAndReported) {
  ASSERT_EQ(geteuid(), 0u) << "the agent loads BPF programs: run this test as root";
  fs::path work = fs::temp_directory_path() / ("vigil-drops-" + std::to_string(getpid()));
  std::string base = "/tmp/vigil-drops-gen-" + std::to_string(getpid());
  fs::remove_all(work);
  fs::create_directories(work / "policies");
  std::ofstream(work / "policies" / "drops.vigil")
      << "rule drops_open {\n  on file.open\n  when file.path startswith \"" << base << "/\"\n}\n";
  testing::AgentProcess agent(
      work, {"--policies", (work / "policies").string(), "--no-watch", "--ring-buffer-mib", "4"});
  ASSERT_TRUE(agent.wait_for_log("generation 1 live")) << agent.log();
  EXPECT_EQ(agent.status().value("ring_buffer_bytes", 0ull), 4ull << 20)
      << "--ring-buffer-mib did not size the ring buffer";

  // A 4 MiB ring holds under 2,000 records: 40,000 overflow it.
  constexpr int kOpens = 40'000;
  agent.signal(SIGSTOP);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (int i = 0; i < kOpens; ++i) {
      int fd = open((base + "/" + std::to_string(i)).c_str(), O_RDONLY);
      if (fd >= 0) close(fd);
    }
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  agent.signal(SIGCONT);

  json status;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  size_t rule_alerts = 0, drop_alerts = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    rule_alerts = drop_alerts = 0;
    for (const json& alert : agent.alerts()) {
      if (alert["rule"] == "drops_open") ++rule_alerts;
      if (alert["rule"] == "vigil.events_dropped") ++drop_alerts;
    }
    status = agent.status();
    if (drop_alerts > 0 && status.is_object() &&
        rule_alerts + status.value("kernel_dropped", 0ull) >= static_cast<size_t>(kOpens))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(status.is_object());
  uint64_t dropped = status["kernel_dropped"];
  EXPECT_GT(dropped, 0u) << "the ring buffer never filled";
  EXPECT_GT(rule_alerts, 0u);
  EXPECT_EQ(rule_alerts + dropped, static_cast<size_t>(kOpens))
      << rule_alerts << " alerts + " << dropped << " dropped";
  EXPECT_GE(drop_alerts, 1u) << "no vigil.events_dropped alert";
  for (const json& alert : agent.alerts()) {
    if (alert["rule"] != "vigil.events_dropped") continue;
    EXPECT_EQ(alert["origin"], "agent");
    EXPECT_EQ(alert["severity"], "high");
    EXPECT_NE(alert["output"].get<std::string>().find("lost"), std::string::npos);
  }
  EXPECT_EQ(agent.stop(), 0) << agent.log();
  fs::remove_all(work);
}

}  // namespace
}  // namespace vigil
