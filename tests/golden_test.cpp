// Golden diagnostics: every case under tests/golden/cases (a NAME.vigil file
// or a NAME/ directory of policy files) is run through the real `vigil check`
// binary, and its exit code and text output must equal NAME.expected exactly.
// Set VIGIL_UPDATE_GOLDEN=1 to rewrite the expected files (then review them).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

const fs::path kCasesDir = fs::path(VIGIL_SOURCE_DIR) / "tests" / "golden" / "cases";

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `vigil check` on the case from inside the cases directory, so paths
// in the output are relative and stable.
std::string run_check(const std::string& case_path) {
  std::string command = "cd " + shell_quote(kCasesDir.string()) + " && " +
                        shell_quote(VIGIL_BINARY) + " check --no-color " + shell_quote(case_path) +
                        " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "popen failed";
  std::string output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output + "exit code: " + std::to_string(code) + "\n";
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  if (!fs::exists(kCasesDir)) return names;
  for (const auto& entry : fs::directory_iterator(kCasesDir)) {
    const fs::path& path = entry.path();
    if (entry.is_directory() || path.extension() == ".vigil")
      names.push_back(path.filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenDiagnostics : public testing::TestWithParam<std::string> {};

TEST_P(GoldenDiagnostics, MatchesExpectedOutput) {
  const std::string& name = GetParam();
  fs::path expected_path = kCasesDir / (fs::path(name).stem().string() + ".expected");
  std::string actual = run_check(name);
  if (std::getenv("VIGIL_UPDATE_GOLDEN")) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    std::cout << "updated " << expected_path << "\n";
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path))
      << "missing " << expected_path << " (generate with VIGIL_UPDATE_GOLDEN=1)";
  EXPECT_EQ(actual, read_all(expected_path));
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenDiagnostics, testing::ValuesIn(case_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = fs::path(info.param).stem().string();
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenDiagnostics);

TEST(GoldenCorpus, HasEnoughCases) {
  EXPECT_GE(case_names().size(), 40u);
}

}  // namespace
