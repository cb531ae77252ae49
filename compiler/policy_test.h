// `vigil test`: runs policy test files (*.test.yaml) against a policy set
// with the reference evaluator. See docs/testing.md for the file format.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "compiler/ir.h"
#include "compiler/source.h"

namespace vigil {

struct PolicyTestSummary {
  size_t passed = 0;
  size_t failed = 0;
  size_t errors = 0;  // test files that could not be read or parsed
};

// The `*.test.yaml` files under the paths, sorted.
std::vector<std::string> find_policy_test_files(const std::vector<std::string>& paths);

// Runs every case of every file; prints a line per case, failure details, and
// a final `N passed, N failed` line to `out`.
PolicyTestSummary run_policy_tests(const ir::PolicySet& policy, const SourceManager& sources,
                                   const std::vector<std::string>& test_files, std::ostream& out,
                                   bool verbose);

}  // namespace vigil
