// AgentStatus to JSON and back, as the status socket and `vigil status` use it.
#include "runtime/agent_status_json.h"

#include <gtest/gtest.h>

namespace vigil::runtime {
namespace {

AgentStatus full_status() {
  AgentStatus status;
  status.version = "0.1.0";
  status.started_unix_ns = 1714567890'123456789;
  status.pid = 812;
  status.source = "/etc/vigil/policies";
  status.generation = 7;
  status.rules = 42;
  status.hooks = {"tp/syscalls/sys_enter_openat", "tp_btf/sched_process_exec"};
  status.events = {{"exec", 20}, {"file.open", 18446744073709551615ull}};
  status.records = 1000;
  status.records_malformed = 2;
  status.kernel_submitted = 1066;
  status.kernel_dropped = 66;
  status.ring_buffer_bytes = 64u << 20;
  status.kernel_killed = 4;
  status.alerts = 17;
  status.rule_counters = {{"shell_from_web_server", 12, 0}, {"ssh_key_read", 5, 9}};
  status.last_reload = ReloadResult{.generation = 7,
                                    .ok = true,
                                    .trigger = "SIGHUP",
                                    .error = "",
                                    .finished_unix_ns = 1714567990'000000001,
                                    .duration_us = 35000};
  status.last_failure = ReloadResult{.generation = 6,
                                     .ok = false,
                                     .trigger = "policy change",
                                     .error = "web.vigil:3:5: unknown field `parent.com`",
                                     .finished_unix_ns = 1714567900'000000000,
                                     .duration_us = 1200};
  return status;
}

std::optional<AgentStatus> from_text(const std::string& text, std::string* error) {
  return agent_status_from_json(nlohmann::json::parse(text), error);
}

TEST(AgentStatusJson, RoundTripThroughText) {
  AgentStatus status = full_status();
  nlohmann::json json = agent_status_to_json(status);
  std::string error;
  std::optional<AgentStatus> back = from_text(json.dump(2), &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(agent_status_to_json(*back), json);
  EXPECT_EQ(back->pid, 812);
  EXPECT_EQ(back->events[1].seen, 18446744073709551615ull);
  EXPECT_EQ(back->rule_counters[1].completed_false, 9u);
  ASSERT_TRUE(back->last_failure);
  EXPECT_EQ(back->last_failure->error, "web.vigil:3:5: unknown field `parent.com`");
  EXPECT_EQ(back->last_reload->finished_unix_ns, 1714567990'000000001);
  EXPECT_EQ(back->ring_buffer_bytes, 64u << 20);
  EXPECT_EQ(json["kernel_dropped"], 66);
  EXPECT_EQ(json["ring_buffer_bytes"], 64u << 20);
  EXPECT_EQ(json["kernel_killed"], 4);
  EXPECT_EQ(json["events"][0], (nlohmann::json{{"event", "exec"}, {"seen", 20}}));
}

TEST(AgentStatusJson, ReloadsNotYetHappenedAreNull) {
  AgentStatus status;
  nlohmann::json json = agent_status_to_json(status);
  EXPECT_TRUE(json["last_reload"].is_null());
  EXPECT_TRUE(json["last_failure"].is_null());
  std::string error;
  std::optional<AgentStatus> back = agent_status_from_json(json, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_FALSE(back->last_reload);
  EXPECT_FALSE(back->last_failure);
}

TEST(AgentStatusJson, MissingKeysKeepDefaults) {
  std::string error;
  std::optional<AgentStatus> status = from_text(R"({"generation": 4, "future_key": [1]})", &error);
  ASSERT_TRUE(status) << error;
  EXPECT_EQ(status->generation, 4u);
  EXPECT_EQ(status->version, "");
  EXPECT_TRUE(status->events.empty());
}

TEST(AgentStatusJson, WrongShapesAreErrorsNamingTheKey) {
  auto error_of = [](const std::string& text) {
    std::string error;
    EXPECT_EQ(from_text(text, &error), std::nullopt) << text;
    return error;
  };
  EXPECT_EQ(error_of("[1, 2]"), "the status is not an object");
  EXPECT_EQ(error_of(R"({"generation": "7"})"), "generation is not an integer in range");
  EXPECT_EQ(error_of(R"({"generation": -1})"), "generation is not an integer in range");
  EXPECT_EQ(error_of(R"({"pid": 4294967296})"), "pid is not an integer in range");
  EXPECT_EQ(error_of(R"({"generation": 1.5})"), "generation is not an integer in range");
  EXPECT_EQ(error_of(R"({"version": 1})"), "version is not a string");
  EXPECT_EQ(error_of(R"({"hooks": "tp/x"})"), "hooks is not an array");
  EXPECT_EQ(error_of(R"({"hooks": ["a", 2]})"), "hooks[1] is not a string");
  EXPECT_EQ(error_of(R"({"rule_counters": [{"rule": "a"}, {"alerts": true}]})"),
            "rule_counters[1].alerts is not an integer in range");
  EXPECT_EQ(error_of(R"({"events": [7]})"), "events[0] is not an object");
  EXPECT_EQ(error_of(R"({"last_reload": {"ok": 1}})"), "last_reload.ok is not a boolean");
  EXPECT_EQ(error_of(R"({"last_failure": "yesterday"})"), "last_failure is not an object");
}

}  // namespace
}  // namespace vigil::runtime
