// OCSF 1.1 rendering of alerts. The event-kind mapping is the table below;
// the builders only read its `target` column, so a new event kind whose
// target has an existing shape is one new row.
#include "runtime/alert_ocsf.h"

#include <array>
#include <optional>
#include <string>

#include "compiler/version.h"
#include "runtime/alert_format.h"
#include "runtime/alert_json.h"

namespace vigil::runtime {

namespace {

using C = OcsfClass;
using T = OcsfTarget;

constexpr std::array kClasses = {
    OcsfClassInfo{C::FileSystemActivity, 1001, "File System Activity", 1, "System Activity"},
    OcsfClassInfo{C::KernelExtensionActivity, 1002, "Kernel Extension Activity", 1,
                  "System Activity"},
    OcsfClassInfo{C::KernelActivity, 1003, "Kernel Activity", 1, "System Activity"},
    OcsfClassInfo{C::ProcessActivity, 1007, "Process Activity", 1, "System Activity"},
    OcsfClassInfo{C::NetworkActivity, 4001, "Network Activity", 4, "Network Activity"},
};

// OCSF file type_id values used below.
constexpr uint32_t kUnknownType = 0, kRegularFile = 1, kFolder = 2, kSymbolicLink = 7,
                   kOtherType = 99;

// One row per EventKind, in its order. docs/alerts.md has the reasons.
constexpr std::array kMappings = {
    OcsfMapping{EventKind::Exec, C::ProcessActivity, 1, "Launch", T::LaunchedProcess, 0},
    OcsfMapping{EventKind::Exit, C::ProcessActivity, 2, "Terminate", T::SelfProcess, 0},
    OcsfMapping{EventKind::Fork, C::ProcessActivity, 1, "Launch", T::ForkedChild, 0},
    OcsfMapping{EventKind::FileOpen, C::FileSystemActivity, 14, "Open", T::FileAtPath,
                kUnknownType},
    OcsfMapping{EventKind::FileRename, C::FileSystemActivity, 5, "Rename", T::RenamedFile,
                kUnknownType},
    OcsfMapping{EventKind::FileUnlink, C::FileSystemActivity, 4, "Delete", T::FileAtPath,
                kUnknownType},
    // Mode bits and owner are a Unix file's security, not its attributes.
    OcsfMapping{EventKind::FileChmod, C::FileSystemActivity, 7, "Set Security", T::FileAtPath,
                kUnknownType},
    OcsfMapping{EventKind::FileChown, C::FileSystemActivity, 7, "Set Security", T::FileAtPath,
                kUnknownType},
    OcsfMapping{EventKind::FileLink, C::FileSystemActivity, 1, "Create", T::FileAtNewPath,
                kUnknownType},
    OcsfMapping{EventKind::FileSymlink, C::FileSystemActivity, 1, "Create", T::FileAtNewPath,
                kSymbolicLink},
    OcsfMapping{EventKind::FileMkdir, C::FileSystemActivity, 1, "Create", T::FileAtPath, kFolder},
    OcsfMapping{EventKind::NetConnect, C::NetworkActivity, 1, "Open", T::OutboundConnection, 0},
    // OCSF 1.1 has no Bind or Listen activity (Listen came in 1.2).
    OcsfMapping{EventKind::NetBind, C::NetworkActivity, 99, "Bind", T::LocalEndpoint, 0},
    OcsfMapping{EventKind::NetListen, C::NetworkActivity, 99, "Listen", T::LocalEndpoint, 0},
    OcsfMapping{EventKind::NetAccept, C::NetworkActivity, 1, "Open", T::InboundConnection, 0},
    OcsfMapping{EventKind::ProcessSetuid, C::ProcessActivity, 5, "Set User ID", T::SelfProcess, 0},
    OcsfMapping{EventKind::ProcessSetgid, C::ProcessActivity, 99, "Set Group ID", T::SelfProcess,
                0},
    // Attaching to a process is the Unix form of opening it; whether the
    // request then injects (PTRACE_POKE*) is only in ptrace.request.
    OcsfMapping{EventKind::ProcessPtrace, C::ProcessActivity, 3, "Open", T::TracedProcess, 0},
    OcsfMapping{EventKind::KernelModuleLoad, C::KernelExtensionActivity, 1, "Load", T::KernelModule,
                kRegularFile},
    // Per kind, not per command: bpf(BPF_PROG_LOAD) is not told apart here.
    OcsfMapping{EventKind::Bpf, C::KernelActivity, 4, "Invoke", T::SystemCall, 0},
    OcsfMapping{EventKind::Mount, C::FileSystemActivity, 12, "Mount", T::MountPoint, kFolder},
    // An anonymous file, the usual first step of fileless execution.
    OcsfMapping{EventKind::ProcessMemfdCreate, C::FileSystemActivity, 1, "Create", T::MemfdFile,
                kOtherType},
};
static_assert(kMappings.size() == kEventKindCount, "every event kind needs an OCSF mapping");

constexpr bool mappings_in_kind_order() {
  for (size_t i = 0; i < kMappings.size(); ++i)
    if (static_cast<size_t>(kMappings[i].kind) != i) return false;
  return true;
}
static_assert(mappings_in_kind_order(), "kMappings rows must follow EventKind order");

// ---- Values from the event ---------------------------------------------------------

const Value* field_value(const Event& event, std::string_view name) {
  const std::optional<FieldId> id = find_field(name);
  if (!id) return nullptr;
  const std::span<const Value> values = event.get(*id);
  return values.empty() ? nullptr : &values.front();
}

std::string string_field(const Event& event, std::string_view name) {
  const Value* value = field_value(event, name);
  const auto* text = value ? std::get_if<std::string>(value) : nullptr;
  return text ? *text : std::string();
}

std::optional<int64_t> int_field(const Event& event, std::string_view name) {
  const Value* value = field_value(event, name);
  const auto* number = value ? std::get_if<int64_t>(value) : nullptr;
  return number ? std::optional<int64_t>(*number) : std::nullopt;
}

// Milliseconds since the epoch, floored, as OCSF timestamps are.
int64_t unix_ms(int64_t unix_ns) {
  return unix_ns / 1'000'000 - (unix_ns % 1'000'000 < 0 ? 1 : 0);
}

// ---- Objects ---------------------------------------------------------------------

std::string_view file_type_name(uint32_t type_id) {
  switch (type_id) {
    case kRegularFile: return "Regular File";
    case kFolder: return "Folder";
    case kSymbolicLink: return "Symbolic Link";
    case kOtherType: return "Other";
    default: return "Unknown";
  }
}

std::string base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || path.size() == 1) return std::string(path);
  return std::string(path.substr(slash + 1));
}

AlertJson file_json(std::string_view path, uint32_t type_id) {
  return {{"name", base_name(path)},
          {"path", path},
          {"type_id", type_id},
          {"type", file_type_name(type_id)}};
}

AlertJson user_json(const ProcessContext& process) {
  AlertJson user = {{"uid", std::to_string(process.uid)}};
  if (!process.user_name.empty()) user["name"] = process.user_name;
  return user;
}

AlertJson parent_json(const ProcessContext& process) {
  AlertJson parent = {{"pid", process.ppid}};
  if (!process.ancestors.empty()) {
    const AncestorInfo& first = process.ancestors.front();
    parent["name"] = first.comm;
    if (!first.exe.empty()) parent["file"] = file_json(first.exe, kRegularFile);
  }
  return parent;
}

AlertJson process_json(const ProcessContext& process) {
  AlertJson json = AlertJson::object();
  json["pid"] = process.tgid;
  json["tid"] = process.pid;
  json["name"] = process.comm;
  json["cmd_line"] = process.cmdline;
  if (!process.exe.empty()) json["file"] = file_json(process.exe, kRegularFile);
  if (process.start_time_unix_ns != 0) json["created_time"] = unix_ms(process.start_time_unix_ns);
  json["user"] = user_json(process);
  json["parent_process"] = parent_json(process);
  AlertJson lineage = AlertJson::array();
  for (const AncestorInfo& ancestor : process.ancestors) lineage.push_back(ancestor.exe);
  json["lineage"] = std::move(lineage);
  if (!process.container_id.empty()) json["container"] = {{"uid", process.container_id}};
  return json;
}

// The process that exec'd from the parent's point of view: what we know of
// the parent is its pid, name and executable (the first ancestor).
AlertJson parent_as_actor_json(const ProcessContext& process) {
  AlertJson json = parent_json(process);
  AlertJson lineage = AlertJson::array();
  for (size_t i = 1; i < process.ancestors.size(); ++i) lineage.push_back(process.ancestors[i].exe);
  json["lineage"] = std::move(lineage);
  return json;
}

// exit.code is a wait status; OCSF wants the exit code: the code if the
// process exited, 128 + signal (the shell's convention) if a signal killed it.
int64_t exit_code_of_status(int64_t status) {
  const int64_t signal = status & 0x7f;
  return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
}

AlertJson endpoint_json(const Event& event, std::string_view ip_field,
                        std::string_view port_field) {
  AlertJson endpoint = AlertJson::object();
  const std::string family = string_field(event, "net.family");
  if (family == "inet" || family == "inet6") {
    if (const Value* ip = field_value(event, ip_field)) endpoint["ip"] = alert_value_json(*ip);
    if (std::optional<int64_t> port = int_field(event, port_field)) endpoint["port"] = *port;
  }
  return endpoint;
}

AlertJson connection_info_json(const Event& event, OcsfTarget target) {
  AlertJson info = AlertJson::object();
  const std::string protocol = string_field(event, "net.protocol");
  if (!protocol.empty()) info["protocol_name"] = protocol;
  if (protocol == "tcp") info["protocol_num"] = 6;
  if (protocol == "udp") info["protocol_num"] = 17;
  const std::string family = string_field(event, "net.family");
  if (family == "inet") info["protocol_ver_id"] = 4;
  if (family == "inet6") info["protocol_ver_id"] = 6;
  // OCSF's direction is relative to the network; vigil sees it from this
  // host: it initiated connect, it was reached by accept.
  int direction_id = 0;
  std::string_view direction = "Unknown";
  if (target == T::OutboundConnection) {
    direction_id = 2;
    direction = "Outbound";
  }
  if (target == T::InboundConnection) {
    direction_id = 1;
    direction = "Inbound";
  }
  info["direction_id"] = direction_id;
  info["direction"] = direction;
  return info;
}

// The objects describing what the event acted on, and the actor.
void add_target(AlertJson& json, const OcsfMapping& mapping, const Event& event,
                const ProcessContext* process) {
  AlertJson actor = AlertJson::object();
  if (process) {
    if (mapping.target == T::LaunchedProcess) {
      actor["process"] = parent_as_actor_json(*process);
    } else {
      actor["process"] = process_json(*process);
      actor["user"] = user_json(*process);
    }
  }
  json["actor"] = std::move(actor);

  switch (mapping.target) {
    case T::LaunchedProcess:
    case T::SelfProcess:
      if (process) json["process"] = process_json(*process);
      if (mapping.kind == EventKind::Exit) {
        if (std::optional<int64_t> status = int_field(event, "exit.code"))
          json["exit_code"] = exit_code_of_status(*status);
      }
      break;
    case T::ForkedChild: {
      AlertJson child = {{"pid", int_field(event, "fork.child_pid").value_or(0)}};
      if (process) {
        // A fork's child runs the parent's image until it execs.
        child["name"] = process->comm;
        if (!process->exe.empty()) child["file"] = file_json(process->exe, kRegularFile);
        child["user"] = user_json(*process);
        child["parent_process"] = {{"pid", process->tgid}, {"name", process->comm}};
      }
      json["process"] = std::move(child);
      break;
    }
    case T::TracedProcess:
      json["process"] = {{"pid", int_field(event, "ptrace.target_pid").value_or(0)}};
      break;
    case T::FileAtPath:
      json["file"] = file_json(string_field(event, "file.path"), mapping.file_type_id);
      break;
    case T::FileAtNewPath:
      json["file"] = file_json(string_field(event, "file.newpath"), mapping.file_type_id);
      break;
    case T::RenamedFile:
      json["file"] = file_json(string_field(event, "file.path"), mapping.file_type_id);
      json["file_result"] = file_json(string_field(event, "file.newpath"), mapping.file_type_id);
      break;
    case T::MemfdFile: {
      AlertJson file = {{"name", "memfd:" + string_field(event, "memfd.name")},
                        {"type_id", mapping.file_type_id},
                        {"type", "memfd"}};
      json["file"] = std::move(file);
      break;
    }
    case T::MountPoint:
      json["file"] = file_json(string_field(event, "mount.target"), mapping.file_type_id);
      break;
    case T::OutboundConnection:
      json["src_endpoint"] = endpoint_json(event, "net.saddr", "net.sport");
      json["dst_endpoint"] = endpoint_json(event, "net.daddr", "net.dport");
      json["connection_info"] = connection_info_json(event, mapping.target);
      break;
    case T::InboundConnection:
      json["src_endpoint"] = endpoint_json(event, "net.daddr", "net.dport");
      json["dst_endpoint"] = endpoint_json(event, "net.saddr", "net.sport");
      json["connection_info"] = connection_info_json(event, mapping.target);
      break;
    case T::LocalEndpoint:
      json["dst_endpoint"] = endpoint_json(event, "net.saddr", "net.sport");
      json["connection_info"] = connection_info_json(event, mapping.target);
      break;
    case T::KernelModule: {
      const std::string path = string_field(event, "module.path");
      const std::string name = string_field(event, "module.name");
      AlertJson file = file_json(path, path.empty() ? kUnknownType : mapping.file_type_id);
      if (!name.empty()) file["name"] = name;
      if (path.empty()) file.erase("path");
      json["driver"] = {{"file", std::move(file)}};
      break;
    }
    case T::SystemCall:
      json["kernel"] = {{"name", event_info(mapping.kind).name},
                        {"system_call", event_info(mapping.kind).name},
                        {"type_id", 2},
                        {"type", "System Call"}};
      break;
  }
}

uint32_t severity_id(Severity severity) {
  switch (severity) {
    case Severity::Info: return 1;
    case Severity::Low: return 2;
    case Severity::Medium: return 3;
    case Severity::High: return 4;
    case Severity::Critical: return 5;
  }
  return 0;
}

std::string_view severity_caption(Severity severity) {
  static constexpr std::array<std::string_view, 6> kCaptions = {
      "Unknown", "Informational", "Low", "Medium", "High", "Critical"};
  return kCaptions[severity_id(severity)];
}

// Security control profile: whether the activity went ahead, and what vigil did.
void add_disposition(AlertJson& json, ActionTaken action) {
  struct Outcome {
    int action_id;
    std::string_view action;
    int disposition_id;
    std::string_view disposition;
  };
  Outcome outcome{1, "Allowed", 15, "Detected"};  // alert, would_kill, would_deny
  if (action == ActionTaken::Denied) outcome = {2, "Denied", 2, "Blocked"};
  if (action == ActionTaken::Killed) outcome = {2, "Denied", 99, "Killed"};
  json["action_id"] = outcome.action_id;
  json["action"] = outcome.action;
  json["disposition_id"] = outcome.disposition_id;
  json["disposition"] = outcome.disposition;
}

// MITRE ATT&CK technique tags ("T1059" or "T1059.004", optionally
// "attack."-prefixed) as OCSF attack objects.
AlertJson attacks_json(const std::vector<std::string>& tags) {
  AlertJson attacks = AlertJson::array();
  for (std::string_view tag : tags) {
    if (tag.starts_with("attack.")) tag.remove_prefix(7);
    const auto digits = [](std::string_view text) {
      return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    };
    const size_t dot = tag.find('.');
    const std::string_view technique = tag.substr(0, dot);
    if (technique.size() != 5 || technique[0] != 'T' || !digits(technique.substr(1))) continue;
    AlertJson attack = {{"technique", {{"uid", technique}}}};
    if (dot != std::string_view::npos) {
      if (!digits(tag.substr(dot + 1))) continue;
      attack["sub_technique"] = {{"uid", tag}};
    }
    attacks.push_back(std::move(attack));
  }
  return attacks;
}

}  // namespace

std::span<const OcsfMapping> ocsf_mappings() {
  return kMappings;
}

const OcsfMapping& ocsf_mapping(EventKind kind) {
  return kMappings[static_cast<size_t>(kind)];
}

const OcsfClassInfo& ocsf_class_info(OcsfClass ocsf_class) {
  return kClasses[static_cast<size_t>(ocsf_class)];
}

std::string format_alert_ocsf(const Alert& alert) {
  AlertJson json = AlertJson::object();
  const OcsfMapping* mapping = alert.event ? &ocsf_mapping(alert.event->kind()) : nullptr;

  // Classification. Without an event (agent alerts) there is no activity
  // class: the Base Event (class 0) with activity Other.
  uint32_t class_uid = 0, category_uid = 0, activity_id = 99;
  std::string_view class_name = "Base Event", category_name = "Uncategorized";
  std::string activity_name = alert.rule;
  if (mapping) {
    const OcsfClassInfo& info = ocsf_class_info(mapping->ocsf_class);
    class_uid = info.class_uid;
    class_name = info.class_name;
    category_uid = info.category_uid;
    category_name = info.category_name;
    activity_id = mapping->activity_id;
    activity_name = mapping->activity_name;
  }
  json["activity_id"] = activity_id;
  json["activity_name"] = activity_name;
  json["category_uid"] = category_uid;
  json["category_name"] = category_name;
  json["class_uid"] = class_uid;
  json["class_name"] = class_name;
  json["type_uid"] = uint64_t{class_uid} * 100 + activity_id;
  json["type_name"] = std::string(class_name) + ": " + activity_name;
  json["severity_id"] = severity_id(alert.severity);
  json["severity"] = severity_caption(alert.severity);
  json["time"] = unix_ms(alert.time_unix_ns);
  json["message"] = alert.output;

  // Only a rule is a security control; an agent alert reports on vigil itself.
  const bool from_rule = alert.origin == AlertOrigin::Rule;
  AlertJson profiles = AlertJson::array({"host"});
  if (from_rule) profiles.push_back("security_control");
  if (alert.process && !alert.process->container_id.empty()) profiles.push_back("container");
  json["metadata"] = {
      {"version", kOcsfSchemaVersion},
      {"product", {{"name", "vigil"}, {"vendor_name", "vigil"}, {"version", kVersion}}},
      {"profiles", std::move(profiles)},
      {"labels", alert.tags},
  };
  if (mapping) json["metadata"]["event_code"] = event_info(mapping->kind).name;
  json["device"] = {{"hostname", alert.host}, {"type_id", 0}, {"type", "Unknown"}};

  if (mapping) add_target(json, *mapping, *alert.event, alert.process ? &*alert.process : nullptr);
  if (from_rule) add_disposition(json, alert.action);
  if (AlertJson attacks = attacks_json(alert.tags); !attacks.empty())
    json["attacks"] = std::move(attacks);

  // What OCSF has no place for, losslessly: the rule, the event's own fields
  // as vigil names them, and process details outside the process object.
  AlertJson vigil = alert_rule_json(alert);
  vigil["time_ns"] = alert.time_unix_ns;
  if (alert.event) {
    vigil["event"] = {{"type", event_info(alert.event->kind()).name},
                      {"fields", alert_event_fields_json(*alert.event)}};
  }
  if (alert.process) {
    vigil["process"] = {{"uid", alert.process->uid},
                        {"euid", alert.process->euid},
                        {"gid", alert.process->gid},
                        {"tty", alert.process->tty},
                        {"cgroup_id", alert.process->cgroup_id}};
  }
  json["unmapped"] = {{"vigil", std::move(vigil)}};
  return dump_alert_json(json);
}

}  // namespace vigil::runtime
