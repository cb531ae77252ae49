// `vigil test` with threshold and sequence rules: each case is one stream of
// events through a fresh stateful evaluator, `time:` drives the windows, and
// failures show what each event did to the rule's state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/frontend.h"
#include "compiler/policy_test.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(VIGIL_SOURCE_DIR) / "tests" / "unit" / "data" / "stateful";

struct TestRun {
  std::string output;
  PolicyTestSummary summary;
};

TestRun run_tests(const std::vector<std::string>& test_files) {
  FrontEndResult front = run_front_end({kData.string()});
  EXPECT_TRUE(front.policy) << "the sample policy does not compile";
  if (!front.policy) return {};
  std::ostringstream out;
  TestRun run;
  run.summary = run_policy_tests(*front.policy, front.sources, test_files, out, false);
  run.output = out.str();
  for (size_t at; (at = run.output.find(kData.string())) != std::string::npos;)
    run.output.replace(at, kData.string().size(), "D");
  return run;
}

// A test file of its own, next to nothing else.
class TestFile {
 public:
  explicit TestFile(const std::string& contents) {
    path_ = (fs::temp_directory_path() / ("vigil-stateful-" + std::to_string(::getpid()) + "-" +
                                          std::to_string(counter_++) + ".test.yaml"))
                .string();
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TestFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  static inline int counter_ = 0;
};

std::string without_path(std::string text, const std::string& path) {
  for (size_t at; (at = text.find(path)) != std::string::npos;) text.replace(at, path.size(), "T");
  return text;
}

TEST(StatefulPolicyTests, SampleFixturesPass) {
  TestRun run = run_tests(find_policy_test_files({kData.string()}));
  EXPECT_EQ(run.output,
            "D/stateful.test.yaml\n"
            "  PASS the third sudo -S within a minute fires\n"
            "  PASS two users are counted apart\n"
            "  PASS the window ends and the quiet period suppresses\n"
            "  PASS download, chmod, run\n"
            "  PASS steps out of order do not fire\n"
            "  PASS too slow\n"
            "6 passed, 0 failed\n");
  EXPECT_EQ(run.summary.failed, 0u);
  EXPECT_EQ(run.summary.errors, 0u);
}

TEST(StatefulPolicyTests, EachCaseStartsWithFreshState) {
  // Two sudo -S in one case and one in the next: three in all, but no case
  // reaches the threshold of 3.
  TestFile file(
      "cases:\n"
      "  - name: two\n"
      "    events:\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "    expect: none\n"
      "  - name: one more\n"
      "    events:\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "    expect: none\n");
  TestRun run = run_tests({file.path()});
  EXPECT_EQ(run.summary.passed, 2u) << run.output;
  EXPECT_EQ(run.summary.failed, 0u) << run.output;
}

TEST(StatefulPolicyTests, EventsWithoutTimeShareThePreviousTime) {
  // All at 0s, then one at 1m: the fourth event is in a new window.
  TestFile file(
      "cases:\n"
      "  - name: same instant\n"
      "    events:\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "      - {event: exec, time: 1m, process.exe: /usr/bin/sudo, process.args: [-S], "
      "process.uid: 5}\n"
      "      - {event: exec, process.exe: /usr/bin/sudo, process.args: [-S], process.uid: 5}\n"
      "    expect: none\n");
  TestRun run = run_tests({file.path()});
  EXPECT_EQ(run.summary.passed, 1u) << run.output;
}

TEST(StatefulPolicyTests, FailuresShowTheState) {
  TestFile file(
      "cases:\n"
      "  - name: expected too early\n"
      "    events:\n"
      "      - {event: exec, time: 0s, process.exe: /usr/bin/sudo, process.args: [-S], "
      "process.uid: 5}\n"
      "      - {event: exec, time: 1s, process.exe: /usr/bin/sudo, process.args: [-S], "
      "process.uid: 5}\n"
      "    expect: [{rule: sudo_password_guessing, event: 2}]\n"
      "  - name: sequence not expected\n"
      "    events:\n"
      "      - {event: exec, time: 0s, process.comm: curl, process.uid: 9}\n"
      "      - {event: file.chmod, time: 1s, file.path: /tmp/x, process.uid: 9}\n"
      "      - {event: exec, time: 2s, process.exe: /tmp/x, process.uid: 9}\n"
      "    expect: none\n");
  TestRun run = run_tests({file.path()});
  EXPECT_EQ(
      without_path(run.output, file.path()),
      "T\n"
      "  FAIL expected too early\n"
      "    event 2 (exec): rule `sudo_password_guessing` was expected to match, but did not\n"
      "      fields: process.exe = \"/usr/bin/sudo\", process.args = [\"-S\"], process.uid = 5\n"
      "      why: D/stateful.vigil:6:8: process.exe = \"/usr/bin/sudo\"; == \"/usr/bin/sudo\" -> "
      "true\n"
      "           D/stateful.vigil:6:43: process.args = [\"-S\"]; contains \"-S\" -> true\n"
      "           D/stateful.vigil:7:10: except: process.uid = 5; == 0 -> false\n"
      "      state: threshold: key process.uid = 5: counted 2 of 3 (window from 0ms)\n"
      "      output: sudo -S run 3 times by uid 5\n"
      "  FAIL sequence not expected\n"
      "    event 3 (exec): rule `download_then_exec` matched, but no match was expected\n"
      "      fields: process.exe = \"/tmp/x\", process.uid = 9\n"
      "      why: D/stateful.vigil:17:16: step 1: process.comm = \"\"; in [\"curl\", \"wget\"] "
      "-> false\n"
      "           D/stateful.vigil:19:21: step 3: process.exe = \"/tmp/x\"; startswith "
      "\"/tmp/\" -> true\n"
      "           D/stateful.vigil:20:10: step 3: except: process.comm = \"\"; == \"apt\" -> "
      "false\n"
      "      state: sequence: key process.uid = 9: matched step 3 of 3 (started at 0ms) -> "
      "fires\n"
      "      output: downloaded and ran /tmp/x\n"
      "0 passed, 2 failed\n");
}

TEST(StatefulPolicyTests, TimeGoingBackwardsIsAnErrorAtTheTime) {
  TestFile file(
      "cases:\n"
      "  - name: backwards\n"
      "    events:\n"
      "      - {event: exec, time: 2s}\n"
      "      - {event: exec}\n"
      "      - {event: exec, time: 1500ms}\n"
      "    expect: none\n");
  TestRun run = run_tests({file.path()});
  EXPECT_EQ(without_path(run.output, file.path()),
            "T\n"
            "  FAIL backwards\n"
            "    error: T:6:29: this event's time 1500ms is earlier than the previous event's 2s; "
            "events are fed in the order written, so times may not go backwards\n"
            "0 passed, 1 failed\n");
}

}  // namespace
}  // namespace vigil
