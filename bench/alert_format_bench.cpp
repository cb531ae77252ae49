// ns per alert of the JSON Lines form: the direct writer (format_alert_json)
// against the nlohmann tree it replaced (tests/unit/alert_json_reference.h),
// on a realistic file.open alert with full process context. OCSF for scale.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "runtime/alert_format.h"
#include "tests/unit/alert_json_reference.h"

namespace vigil::runtime {
namespace {

FieldId field(std::string_view name) {
  const std::optional<FieldId> id = find_field(name);
  if (!id) {
    std::fprintf(stderr, "no field %.*s in the schema\n", static_cast<int>(name.size()),
                 name.data());
    std::abort();
  }
  return *id;
}

// What the agent writes when a shell in a container reads /etc/shadow.
Alert file_open_alert() {
  Event event(EventKind::FileOpen);
  event.set(field("file.path"), std::string("/etc/shadow"));
  event.set(field("file.flags"), int64_t{0100000});
  event.set(field("file.write"), false);
  event.set(field("file.mode"), int64_t{0});
  event.set_values(field("process.args"),
                   {std::string("cat"), std::string("/etc/shadow"), std::string("--show-all")});

  ProcessContext process;
  process.pid = 48213;
  process.tgid = 48213;
  process.ppid = 48190;
  process.uid = 1000;
  process.euid = 0;
  process.gid = 1000;
  process.user_name = "alice";
  process.comm = "cat";
  process.exe = "/usr/bin/cat";
  process.cmdline = "cat /etc/shadow --show-all";
  process.tty = "pts/3";
  process.cgroup_id = 10'847;
  process.container_id = "3f2a9c7e1b4d5a6f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f";
  process.start_time_unix_ns = 1'796'511'280'004'211'937;
  process.ancestors = {{48190, "bash", "/usr/bin/bash"},
                       {48101, "sshd", "/usr/sbin/sshd"},
                       {812, "sshd", "/usr/sbin/sshd"},
                       {1, "systemd", "/usr/lib/systemd/systemd"}};

  Alert alert;
  alert.origin = AlertOrigin::Rule;
  alert.time_unix_ns = 1'796'511'291'123'456'789;
  alert.host = "web-1.prod.example.com";
  alert.generation = 17;
  alert.rule = "shadow_read";
  alert.rule_file = "policies/credentials.vigil";
  alert.rule_line = 12;
  alert.severity = Severity::High;
  alert.tags = {"attack.T1003.008", "credentials"};
  alert.action = ActionTaken::Alert;
  alert.output = "/etc/shadow opened by cat (uid 1000, euid 0) in container 3f2a9c7e1b4d";
  alert.event = std::make_shared<const Event>(std::move(event));
  alert.process = std::make_shared<const ProcessContext>(std::move(process));
  return alert;
}

void BM_FormatAlertJson_NlohmannReference(benchmark::State& state) {
  const Alert alert = file_open_alert();
  for (auto _ : state) benchmark::DoNotOptimize(reference::format_alert_json(alert));
}
BENCHMARK(BM_FormatAlertJson_NlohmannReference);

void BM_FormatAlertJson_DirectWriter(benchmark::State& state) {
  const Alert alert = file_open_alert();
  if (format_alert_json(alert) != reference::format_alert_json(alert)) {
    state.SkipWithError("the writer's output differs from the reference");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(format_alert_json(alert));
}
BENCHMARK(BM_FormatAlertJson_DirectWriter);

void BM_FormatAlertOcsf(benchmark::State& state) {
  const Alert alert = file_open_alert();
  for (auto _ : state) benchmark::DoNotOptimize(format_alert_ocsf(alert));
}
BENCHMARK(BM_FormatAlertOcsf);

}  // namespace
}  // namespace vigil::runtime

BENCHMARK_MAIN();
