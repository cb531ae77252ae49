// The `vigil` subcommands. Each registers its options on a CLI11 app and
// returns the process exit code when run: 0 success, 1 policy problems
// (errors, failed tests, unformatted files), 2 usage or I/O errors.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace vigil::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitPolicyProblem = 1;
inline constexpr int kExitUsageOrIo = 2;

// A registered subcommand and the function that runs it once parsed.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command register_check(CLI::App& app);
Command register_fmt(CLI::App& app);
Command register_test(CLI::App& app);
Command register_docs(CLI::App& app);
Command register_compile(CLI::App& app);
Command register_explain(CLI::App& app);
Command register_verify(CLI::App& app);
Command register_run(CLI::App& app);
Command register_status(CLI::App& app);
Command register_coverage(CLI::App& app);

}  // namespace vigil::cli
