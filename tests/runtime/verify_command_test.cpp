// `vigil verify` as a user runs it: on bundles written to disk, its report,
// exit codes and JSON. Needs root.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/runtime/test_bundles.h"

namespace vigil::runtime {
namespace {

struct VigilRun {
  int exit_code = -1;
  std::string out, err;
};

class VerifyCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the runtime tests must run as root: vigil verify loads programs";
    directory_ = std::filesystem::temp_directory_path() /
                 ("vigil-verify-test-" + std::to_string(getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string write(const codegen::Bundle& bundle, const std::string& name = "policy.bpf.o") {
    std::string path = (directory_ / name).string();
    std::string error;
    EXPECT_TRUE(codegen::write_bundle(bundle, path, &error)) << error;
    return path;
  }

  static std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Runs vigil with `arguments` (already shell-quoted), after `prefix` (a wrapper command).
  VigilRun vigil(const std::string& arguments, const std::string& prefix = "") {
    std::filesystem::path out = directory_ / "stdout", err = directory_ / "stderr";
    std::string command = prefix + "'" VIGIL_BINARY "' " + arguments + " >'" + out.string() +
                          "' 2>'" + err.string() + "'";
    int status = std::system(command.c_str());
    VigilRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = slurp(out);
    run.err = slurp(err);
    return run;
  }

  std::filesystem::path directory_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    result.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

TEST_F(VerifyCommand, AcceptedBundleGetsATableAndTheSkippedPrograms) {
  VigilRun run = vigil("verify '" + write(test::loader_bundle()) + "'");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::vector<std::string> out = lines(run.out);
  ASSERT_EQ(out.size(), 4u) << run.out;
  EXPECT_EQ(out[0].substr(0, 7), "program");
  for (const char* column : {"event", "section", "rules", "verified insns", "xlated insns",
                             "jited bytes", "load ms", "state"})
    EXPECT_NE(out[0].find(column), std::string::npos) << column;
  EXPECT_EQ(out[1].rfind("vigil_file_open_openat  file.open  tp/syscalls/sys_enter_openat", 0), 0u)
      << out[1];
  EXPECT_EQ(out[1].substr(out[1].size() - 6), "loaded");
  EXPECT_EQ(out[2],
            "skipped vigil_kernel_module_load (tp/syscalls/sys_enter_vigil_no_such_syscall): "
            "tracepoint syscalls/sys_enter_vigil_no_such_syscall does not exist on this kernel");
  EXPECT_EQ(out[3].rfind("verified 1 program in ", 0), 0u) << out[3];
  EXPECT_EQ(run.err, "");
}

TEST_F(VerifyCommand, RejectionNamesTheRuleAndQuotesTheVerifier) {
  codegen::Bundle bundle = test::rejected_bundle();
  uint32_t line = test::line_of(bundle.c_source, "// OUT_OF_BOUNDS");
  VigilRun run = vigil("verify '" + write(bundle) + "'");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::vector<std::string> err = lines(run.err);
  ASSERT_GE(err.size(), 7u) << run.err;
  EXPECT_EQ(err[0], "error: program vigil_file_open_openat was rejected by the kernel verifier");
  EXPECT_EQ(err[1], "  rule: reads_past_value (policies/files.vigil:7)");
  EXPECT_EQ(err[2],
            "  at policy.bpf.c:" + std::to_string(line) + ": return words[3];  // OUT_OF_BOUNDS");
  EXPECT_EQ(err[3], "  verifier: invalid access to map value, value_size=8 off=12 size=4");
  EXPECT_EQ(err[4], "            R1 min value is outside of the allowed memory range");
  EXPECT_EQ(err[5], "  last instructions verified:");
  EXPECT_EQ(err.back(), "    10: (61) r0 = *(u32 *)(r1 +12)");
  // The table still reports the programs the kernel accepted.
  std::vector<std::string> out = lines(run.out);
  ASSERT_EQ(out.size(), 4u) << run.out;
  EXPECT_EQ(out[1].rfind("vigil_exec ", 0), 0u);
  EXPECT_EQ(out[1].substr(out[1].size() - 6), "loaded");
  EXPECT_EQ(out[2].rfind("vigil_file_open_openat ", 0), 0u);
  EXPECT_EQ(out[2].substr(out[2].size() - 8), "rejected");
  EXPECT_EQ(out[3].substr(out[3].size() - 6), "loaded");
}

TEST_F(VerifyCommand, UnmappedLineListsTheProgramsRules) {
  codegen::Bundle bundle = test::rejected_bundle();
  bundle.rule_lines.clear();
  VigilRun run = vigil("verify '" + write(bundle) + "'");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::vector<std::string> err = lines(run.err);
  ASSERT_GE(err.size(), 4u) << run.err;
  EXPECT_EQ(err[0], "error: program vigil_file_open_openat was rejected by the kernel verifier");
  EXPECT_EQ(err[1], "  the failing line belongs to no single rule; the program's rules:");
  EXPECT_EQ(err[2], "    reads_past_value (policies/files.vigil:7)");
  EXPECT_EQ(err[3], "    opens_state (policies/files.vigil:20)");
}

TEST_F(VerifyCommand, JsonReport) {
  codegen::Bundle bundle = test::rejected_bundle();
  uint32_t line = test::line_of(bundle.c_source, "// OUT_OF_BOUNDS");
  VigilRun run = vigil("verify --json '" + write(bundle) + "'");
  EXPECT_EQ(run.exit_code, 1) << run.err;
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(report["error"], "program vigil_file_open_openat was rejected by the kernel verifier");
  ASSERT_EQ(report["programs"].size(), 3u);
  const nlohmann::json& exec = report["programs"][0];
  EXPECT_EQ(exec["name"], "vigil_exec");
  EXPECT_EQ(exec["event"], "exec");
  EXPECT_EQ(exec["state"], "loaded");
  EXPECT_GT(exec["xlated_insns"].get<int>(), 0);
  const nlohmann::json& open = report["programs"][1];
  EXPECT_EQ(open["state"], "rejected");
  EXPECT_EQ(open["rules"], nlohmann::json({"reads_past_value", "opens_state"}));
  const nlohmann::json& rejection = open["rejection"];
  EXPECT_EQ(rejection["rule_pinned"], true);
  EXPECT_EQ(rejection["rules"],
            nlohmann::json::parse(
                R"([{"name": "reads_past_value", "file": "policies/files.vigil", "line": 7}])"));
  EXPECT_EQ(rejection["failing_line"]["line"], line);
  EXPECT_EQ(rejection["failing_line"]["file"], "policy.bpf.c");
  EXPECT_EQ(rejection["error_lines"][0], "invalid access to map value, value_size=8 off=12 size=4");
  EXPECT_FALSE(rejection["context_lines"].empty());
  EXPECT_EQ(rejection["log_truncated"], false);
}

TEST_F(VerifyCommand, DamagedBundlesAreUsageErrors) {
  codegen::Bundle bundle = test::loader_bundle();
  bundle.object = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
  std::string path = write(bundle, "garbage.bpf.o");
  VigilRun run = vigil("verify '" + path + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "vigil: error: invalid BPF object: not an ELF file\n");

  std::string good = write(test::loader_bundle(), "good.bpf.o");
  std::filesystem::remove(good + ".json");
  run = vigil("verify '" + good + "'");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err, "vigil: error: cannot read " + good + ".json: No such file or directory\n");
}

TEST_F(VerifyCommand, WithoutPrivilegesSaysWhatIsNeeded) {
  std::string path = write(test::loader_bundle());
  // setpriv empties the capability bounding set: still uid 0 (so the binary
  // stays reachable wherever the build is), but without any capability.
  VigilRun run = vigil("verify '" + path + "'", "setpriv --bounding-set=-all --inh-caps=-all ");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.err,
            "vigil: error: vigil verify loads BPF programs into the kernel: it needs root, or the "
            "capabilities CAP_BPF and CAP_PERFMON (e.g. sudo vigil verify ...)\n");
}

TEST_F(VerifyCommand, ShippedPolicyPackVerifies) {
  VigilRun run = vigil("verify '" + std::string(VIGIL_RUNTIME_TEST_DIR) + "/../../policies'");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("verified "), std::string::npos) << run.out;
}

}  // namespace
}  // namespace vigil::runtime
