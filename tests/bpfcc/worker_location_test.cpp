// Finding vigil-compile-worker: the override, beside the executable, a moved
// install, the build-time install path, and the error when it is nowhere.
#include "compiler/bpfcc/worker_location.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

namespace fs = std::filesystem;

class WorkerLocation : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vigil-worker-location-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  // Creates `relative` under the temporary root with `mode`; returns its path.
  std::string make_file(const std::string& relative, mode_t mode = 0755) {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "#!/bin/sh\n";
    chmod(path.c_str(), mode);
    return path.string();
  }
  std::string at(const std::string& relative) const { return (root_ / relative).string(); }

  fs::path root_;
};

TEST_F(WorkerLocation, FindsTheWorkerNextToTheExecutable) {
  std::string beside = make_file("bin/vigil-compile-worker");
  std::string installed = make_file("usr/libexec/vigil/vigil-compile-worker");
  WorkerLookup lookup = find_compile_worker({"", at("bin/vigil"), "libexec", installed});
  EXPECT_EQ(lookup.executable, beside);
  EXPECT_EQ(lookup.error, "");
}

TEST_F(WorkerLocation, FindsAnInstallMovedToAnotherPrefix) {
  std::string moved = make_file("opt/vigil/libexec/vigil/vigil-compile-worker");
  WorkerLookup lookup = find_compile_worker(
      {"", at("opt/vigil/bin/vigil"), "libexec", at("usr/libexec/vigil/vigil-compile-worker")});
  EXPECT_EQ(lookup.executable, moved);  // normalised: no "bin/.."
}

TEST_F(WorkerLocation, FallsBackToTheInstallPath) {
  std::string installed = make_file("usr/libexec/vigil/vigil-compile-worker");
  WorkerLookup lookup = find_compile_worker({"", at("usr/bin/vigil"), "lib/exec", installed});
  EXPECT_EQ(lookup.executable, installed);
}

TEST_F(WorkerLocation, SkipsFilesThatAreNotExecutable) {
  make_file("bin/vigil-compile-worker", 0644);
  fs::create_directories(at("libexec/vigil/vigil-compile-worker"));  // a directory
  std::string installed = make_file("usr/libexec/vigil/vigil-compile-worker");
  WorkerLookup lookup = find_compile_worker({"", at("bin/vigil"), "libexec", installed});
  EXPECT_EQ(lookup.executable, installed);
}

TEST_F(WorkerLocation, TheOverrideWinsAndIsTheOnlyCandidate) {
  std::string chosen = make_file("elsewhere/my-worker");
  make_file("bin/vigil-compile-worker");
  WorkerLookup lookup = find_compile_worker({chosen, at("bin/vigil"), "libexec", ""});
  EXPECT_EQ(lookup.executable, chosen);

  lookup = find_compile_worker({at("missing"), at("bin/vigil"), "libexec", ""});
  EXPECT_EQ(lookup.executable, "");
  EXPECT_EQ(lookup.error, "VIGIL_COMPILE_WORKER is set to '" + at("missing") +
                              "', which is not an executable file: No such file or directory");

  lookup = find_compile_worker({at("bin"), at("bin/vigil"), "libexec", ""});
  EXPECT_EQ(lookup.error, "VIGIL_COMPILE_WORKER is set to '" + at("bin") +
                              "', which is not an executable file: not a regular file");
}

TEST_F(WorkerLocation, SaysWhereItLookedWhenTheWorkerIsNowhere) {
  WorkerLookup lookup = find_compile_worker(
      {"", at("bin/vigil"), "libexec", "/usr/local/libexec/vigil/vigil-compile-worker"});
  EXPECT_EQ(lookup.executable, "");
  EXPECT_EQ(lookup.error,
            "the BPF compile worker vigil-compile-worker is not installed next to " +
                at("bin/vigil") + " (nor at " + at("libexec/vigil/vigil-compile-worker") +
                " or /usr/local/libexec/vigil/vigil-compile-worker); set VIGIL_COMPILE_WORKER "
                "to its path. Only compiling needs it: `vigil run --bundle` needs none");

  lookup = find_compile_worker({"", "", "", "/usr/local/libexec/vigil/vigil-compile-worker"});
  EXPECT_EQ(lookup.error,
            "the BPF compile worker vigil-compile-worker is not installed at "
            "/usr/local/libexec/vigil/vigil-compile-worker; set VIGIL_COMPILE_WORKER to its "
            "path. Only compiling needs it: `vigil run --bundle` needs none");

  lookup = find_compile_worker({});
  EXPECT_EQ(lookup.executable, "");
  EXPECT_NE(lookup.error.find("not installed anywhere vigil knows to look"), std::string::npos)
      << lookup.error;
}

TEST(WorkerSearch, ComesFromTheEnvironmentTheExecutableAndTheBuild) {
  setenv("VIGIL_COMPILE_WORKER", "/some/worker", 1);
  WorkerSearch search = worker_search_for_this_process();
  unsetenv("VIGIL_COMPILE_WORKER");
  EXPECT_EQ(search.override_path, "/some/worker");
  EXPECT_EQ(search.own_executable, test_support::self_executable());
  EXPECT_FALSE(search.relative_libexec_dir.empty());  // CMAKE_INSTALL_LIBEXECDIR
  EXPECT_TRUE(fs::path(search.installed_worker_path).is_absolute());
  EXPECT_TRUE(search.installed_worker_path.ends_with("/vigil/vigil-compile-worker"))
      << search.installed_worker_path;

  EXPECT_EQ(worker_search_for_this_process().override_path, "");
}

TEST(WorkerSearch, TheBuiltWorkerIsFoundNextToVigil) {
  WorkerLookup lookup = find_compile_worker({"", VIGIL_BINARY, "libexec", ""});
  EXPECT_EQ(lookup.executable, VIGIL_COMPILE_WORKER_BINARY);
}

}  // namespace
}  // namespace vigil::bpfcc
