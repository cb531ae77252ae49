#include "runtime/agent_status_json.h"

#include <limits>
#include <type_traits>

namespace vigil::runtime {
namespace {

using nlohmann::json;

json reload_to_json(const std::optional<ReloadResult>& reload) {
  if (!reload) return nullptr;
  return {{"generation", reload->generation},
          {"ok", reload->ok},
          {"trigger", reload->trigger},
          {"error", reload->error},
          {"finished_unix_ns", reload->finished_unix_ns},
          {"duration_us", reload->duration_us}};
}

// Reads JSON back into the structs, key by key, remembering the first
// problem with the path to it ("rule_counters[2].alerts").
class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}
  bool failed() const { return failed_; }

  // `object` must be a JSON object (at `where`).
  bool expect_object(const json& object, const std::string& where) {
    if (object.is_object()) return true;
    return fail(where + " is not an object");
  }

  template <typename T>
  void read(const json& object, const char* key, const std::string& where, T* out) {
    auto found = object.find(key);
    if (failed_ || found == object.end() || found->is_null()) return;
    read_value(*found, where.empty() ? key : where + "." + key, out);
  }

 private:
  bool fail(std::string message) {
    if (!failed_) *error_ = std::move(message);
    failed_ = true;
    return false;
  }

  bool read_value(const json& value, const std::string& path, std::string* out) {
    if (!value.is_string()) return fail(path + " is not a string");
    *out = value.get<std::string>();
    return true;
  }
  bool read_value(const json& value, const std::string& path, bool* out) {
    if (!value.is_boolean()) return fail(path + " is not a boolean");
    *out = value.get<bool>();
    return true;
  }
  template <typename T>
    requires std::is_integral_v<T>
  bool read_value(const json& value, const std::string& path, T* out) {
    bool fits = false;
    if (value.is_number_unsigned()) {
      fits = value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    } else if (value.is_number_integer()) {
      int64_t number = value.get<int64_t>();
      if (number >= 0)
        fits =
            static_cast<uint64_t>(number) <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      else if constexpr (std::is_signed_v<T>)
        fits = number >= static_cast<int64_t>(std::numeric_limits<T>::min());
    }
    if (!fits) return fail(path + " is not an integer in range");
    *out = value.get<T>();
    return true;
  }
  bool read_value(const json& value, const std::string& path, EventCounters* out) {
    if (!expect_object(value, path)) return false;
    read(value, "event", path, &out->event);
    read(value, "seen", path, &out->seen);
    return !failed_;
  }
  bool read_value(const json& value, const std::string& path, RuleCounters* out) {
    if (!expect_object(value, path)) return false;
    read(value, "rule", path, &out->rule);
    read(value, "alerts", path, &out->alerts);
    read(value, "completed_false", path, &out->completed_false);
    return !failed_;
  }
  bool read_value(const json& value, const std::string& path, std::optional<ReloadResult>* out) {
    if (!expect_object(value, path)) return false;
    ReloadResult reload;
    read(value, "generation", path, &reload.generation);
    read(value, "ok", path, &reload.ok);
    read(value, "trigger", path, &reload.trigger);
    read(value, "error", path, &reload.error);
    read(value, "finished_unix_ns", path, &reload.finished_unix_ns);
    read(value, "duration_us", path, &reload.duration_us);
    if (failed_) return false;
    *out = std::move(reload);
    return true;
  }
  template <typename T>
  bool read_value(const json& value, const std::string& path, std::vector<T>* out) {
    if (!value.is_array()) return fail(path + " is not an array");
    out->clear();
    for (size_t i = 0; i < value.size(); ++i) {
      T element{};
      if (!read_value(value[i], path + "[" + std::to_string(i) + "]", &element)) return false;
      out->push_back(std::move(element));
    }
    return true;
  }

  std::string* error_;
  bool failed_ = false;
};

}  // namespace

json agent_status_to_json(const AgentStatus& status) {
  json events = json::array();
  for (const EventCounters& event : status.events)
    events.push_back({{"event", event.event}, {"seen", event.seen}});
  json rules = json::array();
  for (const RuleCounters& rule : status.rule_counters)
    rules.push_back(
        {{"rule", rule.rule}, {"alerts", rule.alerts}, {"completed_false", rule.completed_false}});
  return {{"version", status.version},
          {"started_unix_ns", status.started_unix_ns},
          {"pid", status.pid},
          {"source", status.source},
          {"generation", status.generation},
          {"rules", status.rules},
          {"hooks", status.hooks},
          {"events", std::move(events)},
          {"records", status.records},
          {"records_malformed", status.records_malformed},
          {"kernel_submitted", status.kernel_submitted},
          {"kernel_dropped", status.kernel_dropped},
          {"ring_buffer_bytes", status.ring_buffer_bytes},
          {"kernel_killed", status.kernel_killed},
          {"alerts", status.alerts},
          {"rule_counters", std::move(rules)},
          {"last_reload", reload_to_json(status.last_reload)},
          {"last_failure", reload_to_json(status.last_failure)}};
}

std::optional<AgentStatus> agent_status_from_json(const json& value, std::string* error) {
  AgentStatus status;
  Reader reader(error);
  if (!reader.expect_object(value, "the status")) return std::nullopt;
  reader.read(value, "version", "", &status.version);
  reader.read(value, "started_unix_ns", "", &status.started_unix_ns);
  reader.read(value, "pid", "", &status.pid);
  reader.read(value, "source", "", &status.source);
  reader.read(value, "generation", "", &status.generation);
  reader.read(value, "rules", "", &status.rules);
  reader.read(value, "hooks", "", &status.hooks);
  reader.read(value, "events", "", &status.events);
  reader.read(value, "records", "", &status.records);
  reader.read(value, "records_malformed", "", &status.records_malformed);
  reader.read(value, "kernel_submitted", "", &status.kernel_submitted);
  reader.read(value, "kernel_dropped", "", &status.kernel_dropped);
  reader.read(value, "ring_buffer_bytes", "", &status.ring_buffer_bytes);
  reader.read(value, "kernel_killed", "", &status.kernel_killed);
  reader.read(value, "alerts", "", &status.alerts);
  reader.read(value, "rule_counters", "", &status.rule_counters);
  reader.read(value, "last_reload", "", &status.last_reload);
  reader.read(value, "last_failure", "", &status.last_failure);
  if (reader.failed()) return std::nullopt;
  return status;
}

}  // namespace vigil::runtime
