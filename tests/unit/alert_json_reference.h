// The nlohmann-tree implementation of format_alert_json (and the printf
// format_rfc3339_ns) that the direct writer (runtime/json_writer.h)
// replaced, kept as the oracle the new one is compared with byte for byte
// (alert_json_equivalence_test.cpp) and as the baseline of
// bench/alert_format_bench.cpp. Not used by the agent. The tree pieces it
// shares with the OCSF form (alert_json.h) are the ones it always used.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "runtime/alert.h"
#include "runtime/alert_json.h"

namespace vigil::runtime::reference {

// format_rfc3339_ns as it was: civil date from chrono, text from printf.
inline std::string format_rfc3339_ns(int64_t unix_ns) {
  using namespace std::chrono;
  constexpr int64_t kNsPerDay = 86'400'000'000'000;
  int64_t ns_of_day = unix_ns % kNsPerDay;
  int64_t day_number = unix_ns / kNsPerDay;
  if (ns_of_day < 0) {
    ns_of_day += kNsPerDay;
    --day_number;
  }
  const year_month_day date{sys_days{days{day_number}}};
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()),
                static_cast<long long>(ns_of_day / 3'600'000'000'000),
                static_cast<long long>(ns_of_day / 60'000'000'000 % 60),
                static_cast<long long>(ns_of_day / 1'000'000'000 % 60),
                static_cast<long long>(ns_of_day % 1'000'000'000));
  return text;
}

inline AlertJson process_json(const ProcessContext& process, const Event* event) {
  AlertJson json = AlertJson::object();
  json["pid"] = process.pid;
  json["tgid"] = process.tgid;
  json["ppid"] = process.ppid;
  json["uid"] = process.uid;
  json["euid"] = process.euid;
  json["gid"] = process.gid;
  json["user"] = process.user_name;
  json["comm"] = process.comm;
  json["exe"] = process.exe;
  json["cmdline"] = process.cmdline;
  if (event) {
    if (std::optional<FieldId> args = find_field("process.args"))
      json["args"] = alert_field_json(*event, *args);
  }
  json["tty"] = process.tty;
  json["cgroup_id"] = process.cgroup_id;
  json["container_id"] = process.container_id;
  json["start_time"] = process.start_time_unix_ns != 0
                           ? AlertJson(format_rfc3339_ns(process.start_time_unix_ns))
                           : AlertJson(nullptr);
  AlertJson ancestors = AlertJson::array();
  for (const AncestorInfo& ancestor : process.ancestors)
    ancestors.push_back({{"pid", ancestor.pid}, {"comm", ancestor.comm}, {"exe", ancestor.exe}});
  json["ancestors"] = std::move(ancestors);
  return json;
}

inline std::string format_alert_json(const Alert& alert) {
  AlertJson json = AlertJson::object();
  json["time"] = format_rfc3339_ns(alert.time_unix_ns);
  json["host"] = alert.host;
  json.update(alert_rule_json(alert));
  json["output"] = alert.output;
  if (alert.event) {
    json["event"] = {{"type", event_info(alert.event->kind()).name},
                     {"fields", alert_event_fields_json(*alert.event)}};
  }
  if (alert.process)
    json["process"] = process_json(*alert.process, alert.event ? &*alert.event : nullptr);
  return dump_alert_json(json);
}

}  // namespace vigil::runtime::reference
