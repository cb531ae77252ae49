// One bundle, compiled here, on other kernels: the real agent (`vigil run
// --bundle`) runs in QEMU guests booted from Debian's 6.1 and 6.12 kernels,
// with the real syscalls of tests/e2e/real_syscalls.h performed in the guest;
// every rule's alert must come with the exact fields, and SIGTERM must stop
// the agent cleanly. The host's own kernel is covered by tests/agent/. Also:
// the BPF LSM is active in the guest when the kernel command line asks for it.
// Needs qemu-system-x86, busybox-static, cpio, and the kernels (fetched from
// Debian's archive into the cache on first use: docs/kernels.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/real_syscalls.h"
#include "tests/qemu/guest_run.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kTag = "vigil-qemu";
constexpr int kPort = 39317;
constexpr const char* kGuestSyscalls = "/usr/local/bin/vigil-guest-syscalls";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

fs::path work_dir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("vigil-qemu-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<json> alerts_of(const std::vector<json>& alerts, const std::string& rule) {
  std::vector<json> found;
  for (const json& alert : alerts)
    if (alert.value("rule", "") == rule) found.push_back(alert);
  return found;
}

// "6.1" -> "6_1": a test name.
std::string kernel_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

// Guest script lines that start `vigil run` on a bundle in the background
// ($agent, alerts in $R/alerts.jsonl, its log in $R/agent.log) and wait until
// it is live; the script fails, showing the log, if it exits or never is.
std::string start_agent(const std::string& bundle, const std::string& options) {
  return R"(R="$GUEST_RESULTS"
vigil run --bundle )" +
         bundle + " " + options + R"( --output "file:$R/alerts.jsonl,format=json" \
  --status-socket /run/vigil.sock --no-watch 2>"$R/agent.log" &
agent=$!
tries=0
while ! grep -q "generation 1 live" "$R/agent.log"; do
  kill -0 "$agent" 2>/dev/null || { cat "$R/agent.log"; exit 1; }
  tries=$((tries + 1)); [ $tries -lt 3000 ] || { cat "$R/agent.log"; exit 1; }
  sleep 0.2
done
)";
}

class GuestKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(GuestKernel, AgentRunsTheHostBundleAndReportsEveryEventKind) {
  const std::string kernel = GetParam();
  fs::path work = work_dir("agent-" + kernel);
  fs::create_directories(work / "policies");
  std::ofstream(work / "policies" / "real_syscalls.vigil")
      << testing::real_syscalls_policy(kTag, kPort);
  fs::path bundle = work / "pack.bpf.o";
  std::string compile = std::string(VIGIL_BINARY) + " compile " + (work / "policies").string() +
                        " -o " + bundle.string();
  ASSERT_EQ(std::system(compile.c_str()), 0) << compile;

  const std::map<std::string, size_t> expected_counts = {
      {"e2e_exec", 1},   {"e2e_exit", 1},    {"e2e_fork", 2},        {"e2e_open_for_writing", 1},
      {"e2e_rename", 1}, {"e2e_unlink", 1},  {"e2e_chmod", 1},       {"e2e_chown", 1},
      {"e2e_link", 1},   {"e2e_symlink", 1}, {"e2e_mkdir", 1},       {"e2e_connect", 1},
      {"e2e_bind", 1},   {"e2e_listen", 1},  {"e2e_accept", 1},      {"e2e_setuid", 1},
      {"e2e_setgid", 1}, {"e2e_ptrace", 1},  {"e2e_module_load", 1}, {"e2e_bpf", 1},
      {"e2e_mount", 1},  {"e2e_memfd", 1},
  };
  size_t total = 0;
  for (const auto& [rule, count] : expected_counts) total += count;

  testing::GuestRun run;
  run.kernel = kernel;
  run.bins = {std::string(VIGIL_BINARY) + ":/usr/local/bin/vigil",
              std::string(VIGIL_GUEST_SYSCALLS) + ":" + kGuestSyscalls,
              // A real /bin/true (not busybox's applet) for the exec rule.
              "/usr/bin/true:/bin/true"};
  run.files = {bundle.string() + ":/bundle/pack.bpf.o",
               bundle.string() + ".json:/bundle/pack.bpf.o.json"};
  std::ostringstream script;
  script << "TAG=" << kTag << "\nPORT=" << kPort << "\nEXPECTED_ALERTS=" << total
         << "\nuname -r >\"$GUEST_RESULTS/release\"\n"
         << read_text(VIGIL_SOURCE_DIR "/tests/qemu/agent_in_guest.sh");
  run.script = script.str();
  testing::GuestResult guest = testing::run_guest(run, work / "guest");
  std::cout << "guest " << kernel << ": " << guest.seconds << " s in all, agent live after "
            << guest.file("live.seconds") << " s\n";
  const std::string agent_log = guest.file("agent.log");
  ASSERT_EQ(guest.exit_status, 0) << "the guest script failed; agent log:\n" << agent_log;
  EXPECT_TRUE(guest.file("release").starts_with(kernel + ".")) << guest.file("release");

  // The agent mounted what the guest lacked: tracefs, bpffs, cgroup v2.
  for (const char* type : {" tracefs ", " bpf ", " cgroup2 "}) {
    EXPECT_EQ(guest.file("mounts.before").find(type), std::string::npos) << type;
    EXPECT_NE(guest.file("mounts.after").find(type), std::string::npos)
        << type << "\n"
        << guest.file("mounts.after");
  }
  json status = json::parse(guest.file("status.json"), nullptr, false);
  ASSERT_TRUE(status.is_object()) << "vigil status: " << guest.file("status.json");
  EXPECT_EQ(status["generation"], 1);
  EXPECT_FALSE(status["hooks"].empty());

  int64_t child = 0, child_status = -1, shell = 0;
  std::istringstream(guest.file("syscalls")) >> child >> child_status >> shell;
  ASSERT_EQ(child_status, 0) << "vigil-guest-syscalls failed at step " << child_status;

  std::vector<json> alerts;
  size_t malformed = 0;
  std::istringstream lines(guest.file("alerts.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    json alert = json::parse(line, nullptr, false);
    if (alert.is_discarded())
      ++malformed;
    else
      alerts.push_back(std::move(alert));
  }
  EXPECT_EQ(malformed, 0u);
  for (const auto& [rule, count] : expected_counts)
    EXPECT_EQ(alerts_of(alerts, rule).size(), count) << rule << "\n" << agent_log;
  EXPECT_TRUE(alerts_of(alerts, "e2e_open_elsewhere").empty());
  EXPECT_EQ(alerts.size(), total);

  const std::string base = std::string("/tmp/") + kTag;
  for (const json& alert : alerts) {
    SCOPED_TRACE(alert.dump());
    EXPECT_EQ(alert["generation"], 1);
    EXPECT_EQ(alert["origin"], "rule");
    EXPECT_EQ(alert["action"], "alert");
    const json& process = alert["process"];
    if (process["tgid"] == child) {
      EXPECT_EQ(process["ppid"], shell);
      EXPECT_EQ(process["comm"], kTag);
      EXPECT_EQ(process["exe"], kGuestSyscalls);
      EXPECT_EQ(process["user"], "root");
      ASSERT_FALSE(process["ancestors"].empty());
      EXPECT_EQ(process["ancestors"][0]["pid"], shell);
      EXPECT_EQ(process["ancestors"][0]["exe"], "/bin/busybox");
    } else {
      EXPECT_EQ(process["ppid"], child) << "a grandchild of the shell";
    }
  }
  auto field = [&](const std::string& rule, const std::string& name) -> json {
    std::vector<json> found = alerts_of(alerts, rule);
    return found.empty() ? json() : found[0]["event"]["fields"].value(name, json());
  };
  auto process_of = [&](const std::string& rule) -> json {
    std::vector<json> found = alerts_of(alerts, rule);
    return found.empty() ? json() : found[0]["process"];
  };
  EXPECT_EQ(field("e2e_open_for_writing", "file.path"), base + "/open");
  EXPECT_EQ(field("e2e_open_for_writing", "file.write"), true);
  EXPECT_EQ(field("e2e_rename", "file.path"), base + "/rename-src");
  EXPECT_EQ(field("e2e_rename", "file.newpath"), base + "/rename-dst");
  EXPECT_EQ(field("e2e_unlink", "file.path"), base + "/sub/unlink-me");
  EXPECT_EQ(field("e2e_chmod", "file.path"), base + "/chmod");
  EXPECT_EQ(field("e2e_chmod", "file.mode"), 0700);
  EXPECT_EQ(field("e2e_chown", "file.uid"), 0);
  EXPECT_EQ(field("e2e_link", "file.newpath"), base + "/link-dst");
  EXPECT_EQ(field("e2e_symlink", "file.newpath"), base + "/symlink-dst");
  EXPECT_EQ(field("e2e_mkdir", "file.path"), base + "/dir");
  EXPECT_EQ(field("e2e_connect", "net.daddr"), "127.0.0.1");
  EXPECT_EQ(field("e2e_connect", "net.dport"), kPort);
  EXPECT_EQ(field("e2e_connect", "net.protocol"), "tcp");
  EXPECT_EQ(field("e2e_bind", "net.sport"), kPort);
  EXPECT_EQ(field("e2e_accept", "net.daddr"), "127.0.0.1");
  EXPECT_EQ(field("e2e_setuid", "setuid.uid"), 0);
  EXPECT_EQ(field("e2e_setgid", "setgid.gid"), 0);
  EXPECT_EQ(field("e2e_ptrace", "ptrace.request"), 0);
  EXPECT_EQ(field("e2e_bpf", "bpf.cmd"), 4242);
  EXPECT_EQ(field("e2e_mount", "mount.target"), base + "/mnt");
  EXPECT_EQ(field("e2e_mount", "mount.fstype"), "tmpfs");
  EXPECT_EQ(field("e2e_memfd", "memfd.name"), kTag);
  EXPECT_EQ(field("e2e_exit", "exit.code"), 3 << 8);
  EXPECT_EQ(process_of("e2e_exec")["exe"], "/bin/true");
  EXPECT_EQ(process_of("e2e_exec")["ppid"], child);
  EXPECT_NE(process_of("e2e_exec")["args"].dump().find(std::string(kTag) + "-arg"),
            std::string::npos);
  EXPECT_GT(field("e2e_fork", "fork.child_pid").get<int64_t>(), child);

  EXPECT_EQ(guest.file("agent.status"), "0\n") << agent_log;
  EXPECT_NE(agent_log.find("stopping (SIGTERM)"), std::string::npos) << agent_log;
  fs::remove_all(work);
}

// The lead's enforcement tests need the BPF LSM: booted with it in `lsm=`, the
// guest kernel lists it as active.
TEST_P(GuestKernel, BpfLsmIsActiveWhenTheCommandLineAsksForIt) {
  const std::string kernel = GetParam();
  fs::path work = work_dir("lsm-" + kernel);
  testing::GuestRun run;
  run.kernel = kernel;
  run.append = "lsm=lockdown,capability,landlock,bpf";
  run.script =
      "mount -t securityfs securityfs /sys/kernel/security || exit 1\n"
      "cat /sys/kernel/security/lsm >\"$GUEST_RESULTS/lsm\"\n"
      "echo; echo \"active LSMs: $(cat /sys/kernel/security/lsm)\"\n";
  run.timeout_seconds = 300;
  testing::GuestResult guest = testing::run_guest(run, work);
  ASSERT_EQ(guest.exit_status, 0);
  std::string lsm = guest.file("lsm");
  std::cout << "guest " << kernel << ": active LSMs " << lsm << " (" << guest.seconds << " s)\n";
  std::vector<std::string> names;
  std::istringstream list(lsm);
  for (std::string name; std::getline(list, name, ',');) names.push_back(name);
  EXPECT_NE(std::find(names.begin(), names.end(), "bpf"), names.end()) << lsm;
  fs::remove_all(work);
}

// `action deny` on exec and file.open through BPF LSM, compiled here and
// enforced in a guest booted with it: the exec and the open fail with EPERM
// before anything happens, other execs and opens work, and each refusal is
// one `denied` alert with the exact path. A threshold on file.open counts
// each open once, though both the tracepoint and the LSM program see it.
TEST_P(GuestKernel, LsmDenyRefusesTheExecAndTheOpenAndNothingElse) {
  const std::string kernel = GetParam();
  fs::path work = work_dir("lsm-deny-" + kernel);
  fs::create_directories(work / "policies");
  std::ofstream(work / "policies" / "deny.vigil")
      << "rule deny_victim {\n  on exec\n  when process.exe == \"/tmp/t/victim\"\n"
         "  action deny\n}\n"
         "rule deny_secret {\n  on file.open\n  when file.path == \"/tmp/t/secret\"\n"
         "  action deny\n}\n"
         // Counted once per open although the LSM program sees each open too.
         "rule third_open {\n  on file.open\n  when file.path startswith \"/tmp/t/count\"\n"
         "  threshold 3 within 1m by process.tgid\n  output \"{file.path}\"\n}\n";
  fs::path bundle = work / "deny.bpf.o";
  std::string compile = std::string(VIGIL_BINARY) + " compile " + (work / "policies").string() +
                        " -o " + bundle.string();
  ASSERT_EQ(std::system(compile.c_str()), 0) << compile;

  testing::GuestRun run;
  run.kernel = kernel;
  run.append = "lsm=lockdown,capability,landlock,bpf";
  run.bins = {std::string(VIGIL_BINARY) + ":/usr/local/bin/vigil", "/usr/bin/true:/bin/true"};
  run.files = {bundle.string() + ":/bundle/deny.bpf.o",
               bundle.string() + ".json:/bundle/deny.bpf.o.json"};
  run.script =
      std::string(R"(mkdir -p /tmp/t && cp /bin/true /tmp/t/victim && chmod 755 /tmp/t/victim
echo secret >/tmp/t/secret; echo public >/tmp/t/public
for i in 1 2 3 4; do echo $i >/tmp/t/count$i; done
)") + start_agent("/bundle/deny.bpf.o", "") +
      R"(/tmp/t/victim 2>"$R/victim.err"; echo "victim $?" >>"$R/outcomes"
/bin/true; echo "true $?" >>"$R/outcomes"
cat /tmp/t/secret >/dev/null 2>"$R/secret.err"; echo "secret $?" >>"$R/outcomes"
cat /tmp/t/public >/dev/null; echo "public $?" >>"$R/outcomes"
for i in 1 2 3 4; do read line </tmp/t/count$i; done
sleep 2
kill -TERM "$agent"; wait "$agent"; echo $? >"$R/agent.status"
cat "$R/outcomes"
)";
  testing::GuestResult guest = testing::run_guest(run, work / "guest");
  const std::string agent_log = guest.file("agent.log");
  ASSERT_EQ(guest.exit_status, 0) << "the guest script failed; agent log:\n" << agent_log;
  std::map<std::string, int> outcome;
  std::istringstream outcomes(guest.file("outcomes"));
  for (std::string name; outcomes >> name;) outcomes >> outcome[name];
  EXPECT_NE(outcome["victim"], 0) << guest.file("victim.err");
  EXPECT_NE(guest.file("victim.err").find("not permitted"), std::string::npos)
      << guest.file("victim.err");
  EXPECT_EQ(outcome["true"], 0);
  EXPECT_EQ(outcome["secret"], 1);
  EXPECT_NE(guest.file("secret.err").find("not permitted"), std::string::npos)
      << guest.file("secret.err");
  EXPECT_EQ(outcome["public"], 0);

  std::vector<json> alerts;
  std::istringstream lines(guest.file("alerts.jsonl"));
  for (std::string line; std::getline(lines, line);) alerts.push_back(json::parse(line));
  std::vector<json> victim = alerts_of(alerts, "deny_victim");
  std::vector<json> secret = alerts_of(alerts, "deny_secret");
  ASSERT_EQ(victim.size(), 1u) << guest.file("alerts.jsonl") << agent_log;
  ASSERT_EQ(secret.size(), 1u) << guest.file("alerts.jsonl") << agent_log;
  EXPECT_EQ(victim[0]["action"], "denied");
  EXPECT_EQ(victim[0]["process"]["exe"], "/tmp/t/victim");
  EXPECT_EQ(secret[0]["action"], "denied");
  EXPECT_EQ(secret[0]["event"]["fields"]["file.path"], "/tmp/t/secret");
  std::vector<json> third = alerts_of(alerts, "third_open");
  ASSERT_EQ(third.size(), 1u) << guest.file("alerts.jsonl");
  EXPECT_EQ(third[0]["output"], "/tmp/t/count3");
  EXPECT_EQ(alerts.size(), 3u) << guest.file("alerts.jsonl");
  EXPECT_EQ(guest.file("agent.status"), "0\n") << agent_log;
  fs::remove_all(work);
}

// The default policy pack, compiled here, loads on each kernel: every one of
// its programs passes that kernel's verifier, the agent goes live with all
// its rules, and a rule of it reports a real event in the guest.
TEST_P(GuestKernel, DefaultPackLoadsAndReports) {
  const std::string kernel = GetParam();
  fs::path work = work_dir("pack-" + kernel);
  fs::path bundle = work / "pack.bpf.o";
  std::string compile = std::string(VIGIL_BINARY) + " compile " + VIGIL_SOURCE_DIR "/policies" +
                        " -o " + bundle.string();
  ASSERT_EQ(std::system(compile.c_str()), 0) << compile;
  std::ifstream manifest_file(bundle.string() + ".json");
  json manifest = json::parse(manifest_file, nullptr, false);
  ASSERT_TRUE(manifest.is_object());

  testing::GuestRun run;
  run.kernel = kernel;
  run.bins = {std::string(VIGIL_BINARY) + ":/usr/local/bin/vigil"};
  run.files = {bundle.string() + ":/bundle/pack.bpf.o",
               bundle.string() + ".json:/bundle/pack.bpf.o.json"};
  run.script = start_agent("/bundle/pack.bpf.o", "--audit") + R"(cat /etc/shadow >/dev/null 2>&1
sleep 2
kill -TERM "$agent"; wait "$agent"; echo $? >"$R/agent.status"
)";
  testing::GuestResult guest = testing::run_guest(run, work / "guest");
  const std::string agent_log = guest.file("agent.log");
  ASSERT_EQ(guest.exit_status, 0) << "the guest script failed; agent log:\n" << agent_log;
  size_t rules = manifest.value("rules", json::array()).size();
  EXPECT_GE(rules, 50u);
  EXPECT_NE(agent_log.find("generation 1 live: " + std::to_string(rules) + " rules"),
            std::string::npos)
      << agent_log;
  std::vector<json> alerts;
  std::istringstream lines(guest.file("alerts.jsonl"));
  for (std::string line; std::getline(lines, line);) alerts.push_back(json::parse(line));
  EXPECT_FALSE(alerts_of(alerts, "shadow_file_read").empty()) << guest.file("alerts.jsonl");
  EXPECT_EQ(guest.file("agent.status"), "0\n") << agent_log;
  fs::remove_all(work);
}

INSTANTIATE_TEST_SUITE_P(Debian, GuestKernel, ::testing::Values("6.1", "6.12"), kernel_name);

}  // namespace
}  // namespace vigil
