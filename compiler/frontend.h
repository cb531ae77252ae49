// The front-end pipeline as one call: find policy files, read, parse, analyse.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/source.h"

namespace vigil {

// The `.vigil` files under each path (a file, or a directory searched
// recursively), sorted, deduplicated. I/O problems go to `io_errors`.
std::vector<std::string> find_policy_files(const std::vector<std::string>& paths,
                                           std::vector<std::string>& io_errors);

// Reads a policy file whole (refusing files over 64 MiB). On failure returns
// false and sets `error` to "path: reason".
bool read_policy_file(const std::string& path, std::string& contents, std::string& error);

struct FrontEndResult {
  SourceManager sources;
  Diagnostics diagnostics;
  std::vector<ast::File> files;
  std::optional<ir::PolicySet> policy;  // set only when there are no errors
  std::vector<std::string> io_errors;   // missing or unreadable paths (exit code 2)
};

FrontEndResult run_front_end(const std::vector<std::string>& paths);

// The same for policy texts already in memory (a bundle's sources), named by
// `path` in diagnostics.
struct PolicyText {
  std::string path;
  std::string text;
};
FrontEndResult run_front_end_on_texts(const std::vector<PolicyText>& texts);

}  // namespace vigil
