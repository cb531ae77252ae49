// Alert rendering: JSON Lines, terminal text, OCSF (runtime/alert_format.h).
#include "runtime/alert_format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>

#include "runtime/alert_ocsf.h"

namespace vigil::runtime {
namespace {

using nlohmann::json;

// 2026-12-05T22:54:51.123456789Z
constexpr int64_t kTime = 1'796'511'291'123'456'789;

FieldId field(std::string_view name) {
  const std::optional<FieldId> id = find_field(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(0);
}

IpAddress ip(std::string_view text) {
  const std::optional<IpAddress> address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

ProcessContext shell_process() {
  ProcessContext process;
  process.pid = 4243;
  process.tgid = 4242;
  process.ppid = 4000;
  process.uid = 1000;
  process.euid = 0;
  process.gid = 1000;
  process.user_name = "alice";
  process.comm = "bash";
  process.exe = "/usr/bin/bash";
  process.cmdline = "bash -i";
  process.tty = "pts/3";
  process.cgroup_id = 7777;
  process.container_id = "3f2a9c";
  process.start_time_unix_ns = 1'796'511'000'000'000'001;
  process.ancestors = {{4000, "sshd", "/usr/sbin/sshd"},
                       {1, "systemd", "/usr/lib/systemd/systemd"}};
  return process;
}

// A rule alert for `event`, with every top-level field set.
Alert rule_alert(Event event) {
  event.set_values(field("process.args"), {std::string("bash"), std::string("-i")});
  Alert alert;
  alert.origin = AlertOrigin::Rule;
  alert.time_unix_ns = kTime;
  alert.host = "web-1";
  alert.generation = 3;
  alert.rule = "shadow_read";
  alert.rule_file = "policies/credentials.vigil";
  alert.rule_line = 12;
  alert.severity = Severity::High;
  alert.tags = {"T1003.008", "credentials"};
  alert.action = ActionTaken::Killed;
  alert.output = "shadow read by bash";
  alert.event = std::make_shared<const Event>(std::move(event));
  alert.process = std::make_shared<const ProcessContext>(shell_process());
  return alert;
}

// The alert's process, for a test to change (alerts share theirs as const).
ProcessContext& mutable_process(Alert& alert) {
  auto copy = std::make_shared<ProcessContext>(*alert.process);
  ProcessContext& process = *copy;
  alert.process = std::move(copy);
  return process;
}

Event file_open(std::string path) {
  Event event(EventKind::FileOpen);
  event.set(field("file.path"), std::move(path));
  event.set(field("file.flags"), int64_t{0101});
  event.set(field("file.write"), true);
  return event;
}

Event connect(std::string_view family, std::string_view saddr, int64_t sport,
              std::string_view daddr, int64_t dport, EventKind kind = EventKind::NetConnect) {
  Event event(kind);
  event.set(field("net.family"), std::string(family));
  event.set(field("net.protocol"), std::string("tcp"));
  event.set(field("net.saddr"), ip(saddr));
  event.set(field("net.sport"), sport);
  event.set(field("net.daddr"), ip(daddr));
  event.set(field("net.dport"), dport);
  return event;
}

Alert agent_alert() {
  Alert alert;
  alert.origin = AlertOrigin::Agent;
  alert.time_unix_ns = kTime;
  alert.host = "web-1";
  alert.generation = 3;
  alert.rule = "vigil.events_dropped";
  alert.severity = Severity::Medium;
  alert.output = "the kernel dropped 12 events";
  return alert;
}

json parse_line(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return json::parse(line);  // throws (fails the test) if not JSON
}

// ---- Names -------------------------------------------------------------------------

TEST(AlertFormatNames, FormatsAndActions) {
  EXPECT_EQ(find_alert_format("text"), AlertFormat::Text);
  EXPECT_EQ(find_alert_format("json"), AlertFormat::Json);
  EXPECT_EQ(find_alert_format("ocsf"), AlertFormat::Ocsf);
  EXPECT_FALSE(find_alert_format("JSON").has_value());
  EXPECT_FALSE(find_alert_format("").has_value());
  EXPECT_EQ(action_taken_name(ActionTaken::Alert), "alert");
  EXPECT_EQ(action_taken_name(ActionTaken::Killed), "killed");
  EXPECT_EQ(action_taken_name(ActionTaken::Denied), "denied");
  EXPECT_EQ(action_taken_name(ActionTaken::WouldKill), "would_kill");
  EXPECT_EQ(action_taken_name(ActionTaken::WouldDeny), "would_deny");
}

TEST(AlertFormatTime, Rfc3339WithNanoseconds) {
  EXPECT_EQ(format_rfc3339_ns(kTime), "2026-12-05T22:54:51.123456789Z");
  EXPECT_EQ(format_rfc3339_ns(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_rfc3339_ns(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(format_rfc3339_ns(951'782'400'000'000'007), "2000-02-29T00:00:00.000000007Z");
  // The ends of the range (no overflow near them).
  EXPECT_EQ(format_rfc3339_ns(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(format_rfc3339_ns(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
}

// ---- JSON --------------------------------------------------------------------------

TEST(AlertFormatJson, RuleAlertHasEveryTopLevelField) {
  const json alert = parse_line(format_alert_json(rule_alert(file_open("/etc/shadow"))));
  EXPECT_EQ(alert["time"], "2026-12-05T22:54:51.123456789Z");
  EXPECT_EQ(alert["host"], "web-1");
  EXPECT_EQ(alert["origin"], "rule");
  EXPECT_EQ(alert["generation"], 3);
  EXPECT_EQ(alert["rule"], "shadow_read");
  EXPECT_EQ(alert["policy"], json({{"file", "policies/credentials.vigil"}, {"line", 12}}));
  EXPECT_EQ(alert["severity"], "high");
  EXPECT_EQ(alert["tags"], json({"T1003.008", "credentials"}));
  EXPECT_EQ(alert["action"], "killed");
  EXPECT_EQ(alert["output"], "shadow read by bash");
}

TEST(AlertFormatJson, EventFieldsAreTypedAndExcludeTheProcessContext) {
  const json alert = parse_line(format_alert_json(rule_alert(file_open("/etc/shadow"))));
  EXPECT_EQ(alert["event"]["type"], "file.open");
  // Exactly the fields file.open carries beyond the process context; the
  // unset one (file.mode) holds its default.
  const json expected = {
      {"file.path", "/etc/shadow"}, {"file.flags", 65}, {"file.write", true}, {"file.mode", 0}};
  EXPECT_EQ(alert["event"]["fields"], expected);
  EXPECT_TRUE(alert["event"]["fields"]["file.flags"].is_number_integer());
  EXPECT_TRUE(alert["event"]["fields"]["file.write"].is_boolean());
}

TEST(AlertFormatJson, ProcessObject) {
  const json process =
      parse_line(format_alert_json(rule_alert(file_open("/etc/shadow"))))["process"];
  EXPECT_EQ(process["pid"], 4243);
  EXPECT_EQ(process["tgid"], 4242);
  EXPECT_EQ(process["ppid"], 4000);
  EXPECT_EQ(process["uid"], 1000);
  EXPECT_EQ(process["euid"], 0);
  EXPECT_EQ(process["gid"], 1000);
  EXPECT_EQ(process["user"], "alice");
  EXPECT_EQ(process["comm"], "bash");
  EXPECT_EQ(process["exe"], "/usr/bin/bash");
  EXPECT_EQ(process["cmdline"], "bash -i");
  EXPECT_EQ(process["args"], json({"bash", "-i"}));  // multi-valued: an array
  EXPECT_EQ(process["tty"], "pts/3");
  EXPECT_EQ(process["cgroup_id"], 7777);
  EXPECT_EQ(process["container_id"], "3f2a9c");
  EXPECT_EQ(process["start_time"], "2026-12-05T22:50:00.000000001Z");
  const json ancestors = {{{"pid", 4000}, {"comm", "sshd"}, {"exe", "/usr/sbin/sshd"}},
                          {{"pid", 1}, {"comm", "systemd"}, {"exe", "/usr/lib/systemd/systemd"}}};
  EXPECT_EQ(process["ancestors"], ancestors);
}

TEST(AlertFormatJson, UnknownStartTimeIsNull) {
  Alert alert = rule_alert(file_open("/x"));
  mutable_process(alert).start_time_unix_ns = 0;
  EXPECT_TRUE(parse_line(format_alert_json(alert))["process"]["start_time"].is_null());
}

TEST(AlertFormatJson, PortsAreNumbersAndAddressesStrings) {
  const json v4 = parse_line(
      format_alert_json(rule_alert(connect("inet", "10.0.0.5", 40222, "203.0.113.9", 443))));
  const json& fields = v4["event"]["fields"];
  EXPECT_EQ(v4["event"]["type"], "net.connect");
  EXPECT_EQ(fields["net.family"], "inet");
  EXPECT_EQ(fields["net.protocol"], "tcp");
  EXPECT_EQ(fields["net.saddr"], "10.0.0.5");
  EXPECT_EQ(fields["net.sport"], 40222);
  EXPECT_EQ(fields["net.daddr"], "203.0.113.9");
  EXPECT_EQ(fields["net.dport"], 443);
  EXPECT_TRUE(fields["net.dport"].is_number_integer());

  const json v6 = parse_line(
      format_alert_json(rule_alert(connect("inet6", "fe80::1", 5353, "2001:db8::7", 8443))));
  EXPECT_EQ(v6["event"]["fields"]["net.daddr"], "2001:db8::7");
  EXPECT_EQ(v6["event"]["fields"]["net.dport"], 8443);
}

TEST(AlertFormatJson, MappedAddressesRenderAsIpv4) {
  Event event = connect("inet6", "::", 0, "::", 0);
  IpAddress mapped;
  mapped.is_v4 = false;
  mapped.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  event.set(field("net.daddr"), mapped);
  const json alert = parse_line(format_alert_json(rule_alert(std::move(event))));
  EXPECT_EQ(alert["event"]["fields"]["net.daddr"], "192.0.2.1");
  EXPECT_EQ(alert["event"]["fields"]["net.saddr"], "::");
}

TEST(AlertFormatJson, HostileStringsStayOneLineOfValidJson) {
  // A quote, a newline, an escape sequence, invalid UTF-8, control bytes.
  const std::string hostile = "a\"b\nc\x1b[31m\xff\xfe/evil\t\x01\\";
  Alert alert = rule_alert(file_open(hostile));
  alert.output = hostile;
  const std::string line = format_alert_json(alert);
  for (unsigned char c : line) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << int(c);
  const json parsed = parse_line(line);
  // Valid parts round-trip exactly; each invalid byte becomes U+FFFD.
  const std::string replaced = "a\"b\nc\x1b[31m\xEF\xBF\xBD\xEF\xBF\xBD/evil\t\x01\\";
  EXPECT_EQ(parsed["event"]["fields"]["file.path"], replaced);
  EXPECT_EQ(parsed["output"], replaced);
}

TEST(AlertFormatJson, ValidUnicodeRoundTrips) {
  const std::string name = "/home/r\xc3\xa9sum\xc3\xa9 \xe4\xb8\xad\xe2\x80\xa8\xf0\x9f\x94\x91";
  const json parsed = parse_line(format_alert_json(rule_alert(file_open(name))));
  EXPECT_EQ(parsed["event"]["fields"]["file.path"], name);
}

TEST(AlertFormatJson, AgentAlertHasNoEventNorProcess) {
  const json alert = parse_line(format_alert_json(agent_alert()));
  EXPECT_EQ(alert["origin"], "agent");
  EXPECT_EQ(alert["rule"], "vigil.events_dropped");
  EXPECT_EQ(alert["output"], "the kernel dropped 12 events");
  EXPECT_EQ(alert["severity"], "medium");
  EXPECT_EQ(alert["action"], "alert");
  EXPECT_EQ(alert["tags"], json::array());
  EXPECT_FALSE(alert.contains("event"));
  EXPECT_FALSE(alert.contains("process"));
  EXPECT_FALSE(alert.contains("policy"));
}

TEST(AlertFormatJson, EveryEventKindRendersItsOwnFields) {
  for (const EventInfo& info : all_events()) {
    const json alert = parse_line(format_alert_json(rule_alert(Event(info.kind))));
    EXPECT_EQ(alert["event"]["type"], info.name);
    size_t expected = 0;
    for (const FieldInfo& field : all_fields()) {
      const bool own = (field.events & event_bit(info.kind)) != 0 &&
                       !field.name.starts_with("process.") && !field.name.starts_with("parent.") &&
                       !field.name.starts_with("user.");
      expected += own;
      EXPECT_EQ(alert["event"]["fields"].contains(std::string(field.name)), own)
          << info.name << " " << field.name;
    }
    EXPECT_EQ(alert["event"]["fields"].size(), expected) << info.name;
  }
}

// ---- Text --------------------------------------------------------------------------

TEST(AlertFormatText, OneReadableLine) {
  EXPECT_EQ(format_alert_text(rule_alert(file_open("/etc/shadow")), false),
            "22:54:51.123 HIGH     [killed] shadow_read: shadow read by bash "
            "(pid=4242 exe=/usr/bin/bash user=alice container=3f2a9c)");
  Alert plain = rule_alert(file_open("/etc/shadow"));
  plain.action = ActionTaken::Alert;
  mutable_process(plain).user_name.clear();
  mutable_process(plain).container_id.clear();
  EXPECT_EQ(format_alert_text(plain, false),
            "22:54:51.123 HIGH     shadow_read: shadow read by bash "
            "(pid=4242 exe=/usr/bin/bash user=1000)");
  EXPECT_EQ(format_alert_text(agent_alert(), false),
            "22:54:51.123 MEDIUM   vigil.events_dropped: the kernel dropped 12 events");
}

TEST(AlertFormatText, ColorOnlyAroundSeverityAndRule) {
  const std::string text = format_alert_text(rule_alert(file_open("/etc/shadow")), true);
  EXPECT_EQ(
      text,
      "22:54:51.123 \x1b[31mHIGH\x1b[0m     [killed] \x1b[1mshadow_read\x1b[0m: shadow read by "
      "bash (pid=4242 exe=/usr/bin/bash user=alice container=3f2a9c)");
}

TEST(AlertFormatText, HostileStringsCannotReachTheTerminal) {
  Alert alert = rule_alert(file_open("/x"));
  // ESC sequence (retitle + clear), newline forging a second alert, 8-bit
  // CSI as UTF-8 (U+009B), a right-to-left override, invalid UTF-8, a
  // backslash, and printable UTF-8 that must stay.
  alert.output =
      "open \x1b]0;pwned\x07\x1b[2J\nFAKE ALERT\r\xc2\x9b"
      "31m\xe2\x80\xaegpj.exe \xff\\ caf\xc3\xa9";
  mutable_process(alert).exe = "/tmp/\x1b[8mhidden";
  mutable_process(alert).user_name = "ro\not";
  alert.rule = "r\x1b[0m";
  const std::string text = format_alert_text(alert, true);
  // Only the renderer's own color sequences contain ESC.
  std::string stripped = text;
  for (std::string_view ours : {"\x1b[31m", "\x1b[0m", "\x1b[1m"}) {
    for (size_t at; (at = stripped.find(ours)) != std::string::npos;)
      stripped.erase(at, ours.size());
  }
  EXPECT_EQ(stripped.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos);

  const std::string plain = format_alert_text(alert, false);
  EXPECT_EQ(plain,
            "22:54:51.123 HIGH     [killed] r\\x1b[0m: open \\x1b]0;pwned\\x07\\x1b[2J\\nFAKE "
            "ALERT\\r\\u{009b}31m\\u{202e}gpj.exe \\xff\\\\ caf\xc3\xa9 "
            "(pid=4242 exe=/tmp/\\x1b[8mhidden user=ro\\not container=3f2a9c)");
}

TEST(AlertFormatText, TruncatedAndOverlongUtf8AreEscapedBytes) {
  Alert alert = agent_alert();
  // A truncated 3-byte sequence, an overlong '/', an encoded surrogate.
  alert.output = "\xe2\x82 \xc0\xaf \xed\xa0\x80";
  EXPECT_EQ(format_alert_text(alert, false),
            "22:54:51.123 MEDIUM   vigil.events_dropped: \\xe2\\x82 \\xc0\\xaf \\xed\\xa0\\x80");
}

// ---- OCSF --------------------------------------------------------------------------

TEST(AlertFormatOcsf, MappingTableCoversEveryEventKind) {
  ASSERT_EQ(ocsf_mappings().size(), kEventKindCount);
  for (const EventInfo& info : all_events()) {
    const OcsfMapping& mapping = ocsf_mapping(info.kind);
    EXPECT_EQ(mapping.kind, info.kind) << info.name;
    EXPECT_FALSE(mapping.activity_name.empty()) << info.name;
    const uint32_t class_uid = ocsf_class_info(mapping.ocsf_class).class_uid;
    const json event = parse_line(format_alert_ocsf(rule_alert(Event(info.kind))));
    EXPECT_EQ(event["class_uid"], class_uid) << info.name;
    EXPECT_EQ(event["category_uid"], class_uid / 1000) << info.name;
    EXPECT_EQ(event["activity_id"], mapping.activity_id) << info.name;
    EXPECT_EQ(event["type_uid"], class_uid * 100 + mapping.activity_id) << info.name;
    EXPECT_EQ(event["metadata"]["event_code"], info.name);
  }
}

// docs/alerts.md documents the mapping table row by row.
TEST(AlertFormatOcsf, DocumentedMappingMatchesTheTable) {
  std::ifstream file(std::string(VIGIL_SOURCE_DIR) + "/docs/alerts.md");
  ASSERT_TRUE(file) << "docs/alerts.md";
  const std::string docs((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  for (const OcsfMapping& mapping : ocsf_mappings()) {
    const OcsfClassInfo& info = ocsf_class_info(mapping.ocsf_class);
    const std::string activity =
        mapping.activity_id == 99 ? std::string("Other") : std::string(mapping.activity_name);
    const std::string row = "| `" + std::string(event_info(mapping.kind).name) + "` | " +
                            std::string(info.class_name) + " (" + std::to_string(info.class_uid) +
                            ") | " + activity + " (" + std::to_string(mapping.activity_id) +
                            ") | " + std::to_string(info.class_uid * 100 + mapping.activity_id) +
                            " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/alerts.md lacks the row " << row;
  }
}

TEST(AlertFormatOcsf, FileOpen) {
  const json event = parse_line(format_alert_ocsf(rule_alert(file_open("/etc/shadow"))));
  EXPECT_EQ(event["class_uid"], 1001);
  EXPECT_EQ(event["class_name"], "File System Activity");
  EXPECT_EQ(event["activity_id"], 14);
  EXPECT_EQ(event["activity_name"], "Open");
  EXPECT_EQ(event["type_uid"], 100114);
  EXPECT_EQ(event["type_name"], "File System Activity: Open");
  EXPECT_EQ(event["severity_id"], 4);
  EXPECT_EQ(event["severity"], "High");
  EXPECT_EQ(event["time"], 1'796'511'291'123);  // milliseconds
  EXPECT_EQ(event["message"], "shadow read by bash");
  EXPECT_EQ(event["metadata"]["version"], "1.1.0");
  EXPECT_EQ(event["metadata"]["product"]["name"], "vigil");
  EXPECT_EQ(event["metadata"]["profiles"], json({"host", "security_control", "container"}));
  EXPECT_EQ(event["device"]["hostname"], "web-1");
  EXPECT_EQ(event["file"]["path"], "/etc/shadow");
  EXPECT_EQ(event["file"]["name"], "shadow");
  const json& actor = event["actor"]["process"];
  EXPECT_EQ(actor["pid"], 4242);
  EXPECT_EQ(actor["tid"], 4243);
  EXPECT_EQ(actor["file"]["path"], "/usr/bin/bash");
  EXPECT_EQ(actor["created_time"], 1'796'511'000'000);
  EXPECT_EQ(actor["parent_process"]["pid"], 4000);
  EXPECT_EQ(actor["lineage"], json({"/usr/sbin/sshd", "/usr/lib/systemd/systemd"}));
  EXPECT_EQ(actor["container"]["uid"], "3f2a9c");
  EXPECT_EQ(event["actor"]["user"], json({{"uid", "1000"}, {"name", "alice"}}));
  // Killed: the activity was stopped by killing the process.
  EXPECT_EQ(event["action_id"], 2);
  EXPECT_EQ(event["disposition_id"], 99);
  EXPECT_EQ(event["disposition"], "Killed");
  const json attacks = {
      {{"technique", {{"uid", "T1003"}}}, {"sub_technique", {{"uid", "T1003.008"}}}}};
  EXPECT_EQ(event["attacks"], attacks);
  // The rule and vigil's own field names survive in `unmapped`.
  const json& vigil = event["unmapped"]["vigil"];
  EXPECT_EQ(vigil["rule"], "shadow_read");
  EXPECT_EQ(vigil["policy"]["line"], 12);
  EXPECT_EQ(vigil["time_ns"], kTime);
  EXPECT_EQ(vigil["event"]["fields"]["file.flags"], 65);
  EXPECT_EQ(vigil["process"]["tty"], "pts/3");
}

TEST(AlertFormatOcsf, ProcessActivities) {
  const json exec = parse_line(format_alert_ocsf(rule_alert(Event(EventKind::Exec))));
  EXPECT_EQ(exec["type_uid"], 100701);  // Process Activity: Launch
  EXPECT_EQ(exec["process"]["pid"], 4242);
  EXPECT_EQ(exec["actor"]["process"]["pid"], 4000);  // the parent launched it
  EXPECT_EQ(exec["actor"]["process"]["file"]["path"], "/usr/sbin/sshd");

  Event fork_event(EventKind::Fork);
  fork_event.set(field("fork.child_pid"), int64_t{5000});
  const json fork = parse_line(format_alert_ocsf(rule_alert(std::move(fork_event))));
  EXPECT_EQ(fork["type_uid"], 100701);
  EXPECT_EQ(fork["process"]["pid"], 5000);
  EXPECT_EQ(fork["actor"]["process"]["pid"], 4242);

  Event exit_event(EventKind::Exit);
  exit_event.set(field("exit.code"), int64_t{3 << 8});
  EXPECT_EQ(parse_line(format_alert_ocsf(rule_alert(std::move(exit_event))))["exit_code"], 3);
  Event killed_event(EventKind::Exit);
  killed_event.set(field("exit.code"), int64_t{9});  // SIGKILL
  const json killed = parse_line(format_alert_ocsf(rule_alert(std::move(killed_event))));
  EXPECT_EQ(killed["type_uid"], 100702);  // Terminate
  EXPECT_EQ(killed["exit_code"], 137);

  EXPECT_EQ(parse_line(format_alert_ocsf(rule_alert(Event(EventKind::ProcessSetuid))))["type_uid"],
            100705);  // Set User ID
  const json setgid = parse_line(format_alert_ocsf(rule_alert(Event(EventKind::ProcessSetgid))));
  EXPECT_EQ(setgid["type_uid"], 100799);
  EXPECT_EQ(setgid["activity_name"], "Set Group ID");
}

TEST(AlertFormatOcsf, NetworkEndpointsFollowTheDirection) {
  const json out = parse_line(
      format_alert_ocsf(rule_alert(connect("inet", "10.0.0.5", 40222, "203.0.113.9", 443))));
  EXPECT_EQ(out["type_uid"], 400101);
  EXPECT_EQ(out["src_endpoint"], json({{"ip", "10.0.0.5"}, {"port", 40222}}));
  EXPECT_EQ(out["dst_endpoint"], json({{"ip", "203.0.113.9"}, {"port", 443}}));
  EXPECT_EQ(out["connection_info"]["direction_id"], 2);
  EXPECT_EQ(out["connection_info"]["protocol_num"], 6);
  EXPECT_EQ(out["connection_info"]["protocol_ver_id"], 4);

  const json in = parse_line(format_alert_ocsf(rule_alert(
      connect("inet6", "2001:db8::1", 22, "2001:db8::99", 51000, EventKind::NetAccept))));
  EXPECT_EQ(in["type_uid"], 400101);
  EXPECT_EQ(in["src_endpoint"], json({{"ip", "2001:db8::99"}, {"port", 51000}}));
  EXPECT_EQ(in["dst_endpoint"], json({{"ip", "2001:db8::1"}, {"port", 22}}));
  EXPECT_EQ(in["connection_info"]["direction_id"], 1);

  const json listen = parse_line(format_alert_ocsf(
      rule_alert(connect("inet", "0.0.0.0", 8080, "0.0.0.0", 0, EventKind::NetListen))));
  EXPECT_EQ(listen["type_uid"], 400199);
  EXPECT_EQ(listen["activity_name"], "Listen");
  EXPECT_EQ(listen["dst_endpoint"]["port"], 8080);
  EXPECT_FALSE(listen.contains("src_endpoint"));
}

TEST(AlertFormatOcsf, KernelAndFileKinds) {
  Event module_event(EventKind::KernelModuleLoad);
  module_event.set(field("module.name"), std::string("rootkit"));
  module_event.set(field("module.path"), std::string("/tmp/rootkit.ko"));
  const json module = parse_line(format_alert_ocsf(rule_alert(std::move(module_event))));
  EXPECT_EQ(module["type_uid"], 100201);  // Kernel Extension Activity: Load
  EXPECT_EQ(module["driver"]["file"]["name"], "rootkit");
  EXPECT_EQ(module["driver"]["file"]["path"], "/tmp/rootkit.ko");

  const json bpf = parse_line(format_alert_ocsf(rule_alert(Event(EventKind::Bpf))));
  EXPECT_EQ(bpf["type_uid"], 100304);  // Kernel Activity: Invoke
  EXPECT_EQ(bpf["kernel"]["type_id"], 2);

  Event rename_event(EventKind::FileRename);
  rename_event.set(field("file.path"), std::string("/tmp/a"));
  rename_event.set(field("file.newpath"), std::string("/usr/bin/a"));
  const json rename = parse_line(format_alert_ocsf(rule_alert(std::move(rename_event))));
  EXPECT_EQ(rename["type_uid"], 100105);
  EXPECT_EQ(rename["file"]["path"], "/tmp/a");
  EXPECT_EQ(rename["file_result"]["path"], "/usr/bin/a");

  EXPECT_EQ(parse_line(format_alert_ocsf(rule_alert(Event(EventKind::FileChmod))))["type_uid"],
            100107);  // Set Security
  Event mkdir_event(EventKind::FileMkdir);
  mkdir_event.set(field("file.path"), std::string("/var/tmp/.x/"));
  const json mkdir = parse_line(format_alert_ocsf(rule_alert(std::move(mkdir_event))));
  EXPECT_EQ(mkdir["type_uid"], 100101);
  EXPECT_EQ(mkdir["file"]["name"], ".x");
  EXPECT_EQ(mkdir["file"]["type_id"], 2);  // Folder
}

TEST(AlertFormatOcsf, DispositionFollowsTheAction) {
  Alert alert = rule_alert(file_open("/x"));
  alert.action = ActionTaken::Denied;
  json event = parse_line(format_alert_ocsf(alert));
  EXPECT_EQ(event["action_id"], 2);
  EXPECT_EQ(event["disposition_id"], 2);  // Blocked
  alert.action = ActionTaken::WouldDeny;
  event = parse_line(format_alert_ocsf(alert));
  EXPECT_EQ(event["action_id"], 1);
  EXPECT_EQ(event["disposition_id"], 15);  // Detected
  EXPECT_EQ(event["unmapped"]["vigil"]["action"], "would_deny");
}

TEST(AlertFormatOcsf, AgentAlertIsABaseEvent) {
  const json event = parse_line(format_alert_ocsf(agent_alert()));
  EXPECT_EQ(event["class_uid"], 0);
  EXPECT_EQ(event["activity_id"], 99);
  EXPECT_EQ(event["type_uid"], 99);
  EXPECT_EQ(event["activity_name"], "vigil.events_dropped");
  EXPECT_EQ(event["message"], "the kernel dropped 12 events");
  EXPECT_EQ(event["severity_id"], 3);
  EXPECT_FALSE(event.contains("actor"));
  EXPECT_FALSE(event.contains("disposition_id"));
  EXPECT_EQ(event["metadata"]["profiles"], json({"host"}));
  EXPECT_FALSE(event["unmapped"]["vigil"].contains("event"));
  EXPECT_EQ(event["unmapped"]["vigil"]["origin"], "agent");
}

TEST(AlertFormatOcsf, HostileStringsStayOneLineOfValidJson) {
  const std::string hostile = "\"}\n{\"class_uid\":1\x1b\xff";
  Alert alert = rule_alert(file_open(hostile));
  alert.output = hostile;
  const json event = parse_line(format_alert_ocsf(alert));
  EXPECT_EQ(event["class_uid"], 1001);
  EXPECT_EQ(event["file"]["path"], "\"}\n{\"class_uid\":1\x1b\xEF\xBF\xBD");
}

TEST(AlertFormatOcsf, TimeIsFlooredMilliseconds) {
  Alert alert = agent_alert();
  alert.time_unix_ns = -1;
  EXPECT_EQ(parse_line(format_alert_ocsf(alert))["time"], -1);
  alert.time_unix_ns = INT64_MIN;
  EXPECT_EQ(parse_line(format_alert_ocsf(alert))["time"], INT64_MIN / 1'000'000 - 1);
  alert.time_unix_ns = 1'999'999;
  EXPECT_EQ(parse_line(format_alert_ocsf(alert))["time"], 1);
}

// Random bytes in every string field of every event kind: each form stays
// one line, JSON and OCSF parse and are ASCII, text holds no ESC of its own.
TEST(AlertFormatRandom, AnyBytesInAnyFieldStayContained) {
  std::mt19937 random(20261205);
  const auto bytes = [&](size_t max) {
    std::string text(random() % max, '\0');
    for (char& c : text) c = static_cast<char>(random() & 0xff);
    return text;
  };
  for (int round = 0; round < 300; ++round) {
    const auto kind = static_cast<EventKind>(round % kEventKindCount);
    Event event(kind);
    for (const FieldInfo& info : all_fields()) {
      if ((info.events & event_bit(kind)) == 0 || info.type != Type::String) continue;
      if (info.multi_valued)
        event.set_values(info.id, {bytes(40), bytes(40)});
      else
        event.set(info.id, bytes(60));
    }
    Alert alert = rule_alert(std::move(event));
    alert.rule = bytes(20);
    alert.output = bytes(80);
    alert.host = bytes(20);
    alert.tags = {bytes(12)};
    mutable_process(alert).exe = bytes(40);
    mutable_process(alert).user_name = bytes(10);
    mutable_process(alert).container_id = bytes(12);
    mutable_process(alert).ancestors = {{1, bytes(16), bytes(30)}};
    for (const std::string& line : {format_alert_json(alert), format_alert_ocsf(alert)}) {
      for (unsigned char c : line) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << line;
      ASSERT_TRUE(json::accept(line)) << line;
    }
    const std::string text = format_alert_text(alert, false);
    ASSERT_EQ(text.find_first_of("\n\r\x1b"), std::string::npos) << text;
  }
}

TEST(AlertFormatDispatch, FormatAlertPicksTheForm) {
  const Alert alert = agent_alert();
  EXPECT_EQ(format_alert(alert, AlertFormat::Json, false), format_alert_json(alert));
  EXPECT_EQ(format_alert(alert, AlertFormat::Text, true), format_alert_text(alert, true));
  EXPECT_EQ(format_alert(alert, AlertFormat::Ocsf, false), format_alert_ocsf(alert));
}

}  // namespace
}  // namespace vigil::runtime
