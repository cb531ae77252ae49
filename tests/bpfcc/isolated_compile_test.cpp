// compile_bpf_isolated: the worker round trip, and every way a worker can fail.
// The worker is this test binary (tests/compile_worker_main.cpp) unless a test
// says otherwise.
#include "compiler/bpfcc/isolated_compile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/bpfcc/worker_location.h"
#include "tests/bpfcc/test_support.h"

namespace vigil::bpfcc {
namespace {

using test_support::read_test_program;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

BpfCompileRequest request_for(std::string source) {
  BpfCompileRequest request;
  request.source = std::move(source);
  return request;
}

IsolationOptions with_task(WorkerTask task, std::chrono::milliseconds timeout) {
  IsolationOptions options;
  options.task = task;
  options.timeout = timeout;
  return options;
}

TEST(IsolatedCompile, CompilesCoReProgramsRepeatedly) {
  BpfCompileRequest request = request_for(read_test_program("representative.bpf.c"));
  BpfCompileResult first = compile_bpf_isolated(request);
  ASSERT_TRUE(first.ok) << first.error << "\n" << first.diagnostics_text;
  EXPECT_EQ(first.diagnostics_text, "");
  EXPECT_EQ(first.object[18], 247) << "e_machine must be EM_BPF";
  std::vector<std::string> sections = test_support::elf_section_names(first.object);
  EXPECT_THAT(sections, Contains(".BTF"));
  EXPECT_THAT(sections, Contains(".BTF.ext"));  // CO-RE relocations and line info
  EXPECT_THAT(sections, Contains("tp/sched/sched_process_exec"));
  EXPECT_THAT(sections, Contains("tp/syscalls/sys_enter_openat"));
  EXPECT_THAT(sections, Contains(".maps"));
  EXPECT_GT(first.compile_time.count(), 0);
  EXPECT_GT(first.total_time, first.compile_time);  // spawn + transfer on top
  // A fresh worker each time: no state carried over, identical output.
  BpfCompileResult second = compile_bpf_isolated(request);
  ASSERT_TRUE(second.ok) << second.error;
  EXPECT_EQ(first.object, second.object);
}

TEST(IsolatedCompile, CarriesDiagnosticsBack) {
  BpfCompileRequest request = request_for("int f(void) {\n  return nope;\n}\n");
  request.source_name = "policy.bpf.c";
  BpfCompileResult result = compile_bpf_isolated(request);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "1 error in policy.bpf.c");
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].file, "policy.bpf.c");
  EXPECT_EQ(result.diagnostics[0].line, 2u);
  EXPECT_EQ(result.diagnostics[0].column, 10u);
  EXPECT_EQ(result.diagnostics[0].severity, BpfSeverity::Error);
  EXPECT_THAT(result.diagnostics_text,
              StartsWith("policy.bpf.c:2:10: error: use of undeclared identifier 'nope'\n"));
}

TEST(IsolatedCompile, WorkerAbortBecomesACrashError) {
  BpfCompileResult result = compile_bpf_isolated(
      request_for("int x;\n"), with_task(WorkerTask::FaultAbort, std::chrono::seconds(30)));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.object.empty());
  EXPECT_THAT(result.error, StartsWith("BPF compiler crashed: signal 6 (Aborted)"));
}

TEST(IsolatedCompile, HungWorkerIsKilledAtTheTimeout) {
  auto start = std::chrono::steady_clock::now();
  BpfCompileResult result = compile_bpf_isolated(
      request_for("int x;\n"), with_task(WorkerTask::FaultHang, std::chrono::milliseconds(400)));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "BPF compiler timed out after 400 ms");
  EXPECT_GE(elapsed, std::chrono::milliseconds(400));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(IsolatedCompile, SlowCompileIsKilledAtTheTimeout) {
  // Each level doubles the expansion: 2^40 tokens never finish.
  std::string source = "#define A0 x\n";
  for (int i = 1; i <= 40; ++i)
    source += "#define A" + std::to_string(i) + " A" + std::to_string(i - 1) + " A" +
              std::to_string(i - 1) + "\n";
  source += "int y = A40;\n";
  IsolationOptions options;
  options.timeout = std::chrono::milliseconds(1500);
  BpfCompileResult result = compile_bpf_isolated(request_for(source), options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, ::testing::AnyOf(StartsWith("BPF compiler timed out after 1500 ms"),
                                             StartsWith("BPF compiler crashed")));
}

TEST(IsolatedCompile, HostileSourcesGiveCleanErrors) {
  struct Case {
    std::string source;
    std::string first_message;
  };
  std::mt19937 random(7);
  std::string garbage(1 << 20, '\0');
  for (char& c : garbage) c = static_cast<char>(random() & 0xff);
  const Case cases[] = {
      {"#error policy compiler bug\n", "policy compiler bug"},
      {"#include \"/etc/shadow\"\n", "'/etc/shadow' file not found"},
      {"#include </etc/shadow>\n", "'/etc/shadow' file not found"},
      {garbage, ""},
  };
  for (const Case& c : cases) {
    BpfCompileResult result = compile_bpf_isolated(request_for(c.source));
    EXPECT_FALSE(result.ok);
    EXPECT_THAT(result.error, HasSubstr(" in program.bpf.c"));
    ASSERT_FALSE(result.diagnostics.empty());
    if (!c.first_message.empty()) {
      EXPECT_EQ(result.diagnostics[0].message, c.first_message);
    }
  }
}

TEST(IsolatedCompile, MissingWorkerExecutableIsAnError) {
  IsolationOptions options;
  options.worker_executable = "/nonexistent/vigil";
  BpfCompileResult result = compile_bpf_isolated(request_for("int x;\n"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "BPF compiler worker: cannot start the BPF compiler worker '/nonexistent/vigil': "
            "No such file or directory");
}

TEST(IsolatedCompile, WorkerFailureExitStatusIsReported) {
  IsolationOptions options;
  options.worker_executable = "/bin/sh";
  options.worker_arguments = {"-c", "echo something went wrong >&2; exit 3"};
  BpfCompileResult result = compile_bpf_isolated(request_for("int x;\n"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "BPF compiler worker failed with exit status 3\nworker stderr:\nsomething went wrong");
}

TEST(IsolatedCompile, WorkerThatIgnoresTheRequestCannotKillTheParent) {
  // Closes stdin at once: the parent's writes hit EPIPE, which must not raise SIGPIPE.
  IsolationOptions options;
  options.worker_executable = "/bin/sh";
  options.worker_arguments = {"-c", "exec 0<&-; echo not a result"};
  BpfCompileRequest request = request_for(std::string(4 << 20, ' '));
  BpfCompileResult result = compile_bpf_isolated(request, options);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "BPF compiler worker sent a malformed result: truncated message");
}

TEST(IsolatedCompile, WorkerRejectsAMalformedRequest) {
  IsolationOptions options;
  options.worker_executable = "/bin/sh";
  options.worker_arguments = {"-c", "echo garbage-request | \"$0\" __compile-worker",
                              test_support::self_executable()};
  BpfCompileResult result = compile_bpf_isolated(request_for("int x;\n"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "BPF compiler worker failed with exit status 2\nworker stderr:\n"
            "vigil compile worker: bad message header");
}

#ifndef __SANITIZE_ADDRESS__
TEST(IsolatedCompile, MemoryLimitStopsARunawayCompile) {
  IsolationOptions options;
  options.memory_limit_bytes = 384 << 20;
  BpfCompileResult normal =
      compile_bpf_isolated(request_for(read_test_program("representative.bpf.c")), options);
  EXPECT_TRUE(normal.ok) << "the limit must leave room for real programs: " << normal.error;
  // 2^18 copies of a 4 KiB string literal, concatenated: a 1 GiB string.
  std::string source = "#define A0 \"" + std::string(4096, 'x') + "\"\n";
  for (int i = 1; i <= 18; ++i)
    source += "#define A" + std::to_string(i) + " A" + std::to_string(i - 1) + " A" +
              std::to_string(i - 1) + "\n";
  source += "const char *y = A18;\n";
  BpfCompileResult runaway = compile_bpf_isolated(request_for(source), options);
  EXPECT_FALSE(runaway.ok);
  EXPECT_THAT(runaway.error, StartsWith("BPF compiler crashed: signal 6 (Aborted)"));
  EXPECT_THAT(runaway.error, HasSubstr("out of memory"));
}
#endif

TEST(IsolatedCompile, TheCompileWorkerExecutableServes) {
  IsolationOptions options;
  options.worker_executable = VIGIL_COMPILE_WORKER_BINARY;
  BpfCompileResult result =
      compile_bpf_isolated(request_for("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n"
                                       "SEC(\"raw_tp\") int noop(void *ctx) { return 0; }\n"),
                           options);
  EXPECT_TRUE(result.ok) << result.error << "\n" << result.diagnostics_text;
  EXPECT_FALSE(result.object.empty());
}

TEST(IsolatedCompile, TheCompileWorkerExecutableRefusesToRunWithoutItsArgument) {
  IsolationOptions options;
  options.worker_executable = VIGIL_COMPILE_WORKER_BINARY;
  options.worker_arguments = {};
  BpfCompileResult result = compile_bpf_isolated(request_for("int x;\n"), options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, StartsWith("BPF compiler worker failed with exit status 2\n"
                                       "worker stderr:\nvigil-compile-worker: vigil's BPF "
                                       "compiler, started by vigil for each compile"));
  EXPECT_THAT(result.error, HasSubstr("not a command to run by hand"));
}

TEST(IsolatedCompile, TheDefaultWorkerOfATestBinaryIsItself) {
  // tests/compile_worker_main.cpp: act_as_own_compile_worker.
  WorkerLookup worker = default_compile_worker();
  EXPECT_EQ(worker.executable, "/proc/self/exe");
  EXPECT_EQ(worker.error, "");
}

}  // namespace
}  // namespace vigil::bpfcc
