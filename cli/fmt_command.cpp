// `vigil fmt`: rewrite policy files in the canonical layout.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "compiler/diagnostic_render.h"
#include "compiler/format.h"
#include "compiler/frontend.h"
#include "compiler/parser.h"

namespace vigil::cli {
namespace {

struct FmtOptions {
  std::vector<std::string> paths;
  bool check = false;
};

// Writes next to the target and renames over it, so a crash never leaves a
// half-written policy file. Keeps the original permissions.
bool replace_file(const std::string& path, const std::string& contents) {
  namespace fs = std::filesystem;
  std::string temporary = path + ".vigil-fmt.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!(out << contents) || !out.flush()) return false;
  }
  std::error_code error;
  fs::permissions(temporary, fs::status(path, error).permissions(), error);
  fs::rename(temporary, path, error);
  if (error) fs::remove(temporary, error);
  return !error;
}

enum class FileOutcome { Unchanged, Reformatted, Invalid, IoError };

FileOutcome format_one(const std::string& path, const std::string& contents, bool check,
                       bool to_stdout) {
  SourceManager sources;
  Diagnostics diagnostics;
  FileId id = sources.add(path, contents);
  ast::File file = parse_file(sources, id, diagnostics);
  if (diagnostics.has_errors()) {
    std::cerr << render_text(diagnostics.sorted(sources), sources, {.color = isatty(2) != 0});
    std::cerr << "vigil fmt: " << path << ": not formatted because it has syntax errors\n";
    return FileOutcome::Invalid;
  }
  std::string formatted = format_file(sources.file(id), file);
  if (to_stdout) {
    std::cout << formatted;
    return formatted == contents ? FileOutcome::Unchanged : FileOutcome::Reformatted;
  }
  if (formatted == contents) return FileOutcome::Unchanged;
  if (check) {
    std::cout << "would reformat " << path << "\n";
    return FileOutcome::Reformatted;
  }
  if (!replace_file(path, formatted)) {
    std::cerr << "vigil: error: cannot write " << path << "\n";
    return FileOutcome::IoError;
  }
  std::cout << "reformatted " << path << "\n";
  return FileOutcome::Reformatted;
}

int run_fmt(const FmtOptions& options) {
  if (options.paths.size() == 1 && options.paths[0] == "-") {
    std::string contents{std::istreambuf_iterator<char>(std::cin), {}};
    FileOutcome outcome = format_one("<stdin>", contents, options.check, !options.check);
    if (outcome == FileOutcome::Invalid) return kExitPolicyProblem;
    return options.check && outcome == FileOutcome::Reformatted ? kExitPolicyProblem : kExitOk;
  }
  std::vector<std::string> io_errors;
  std::vector<std::string> files = find_policy_files(
      options.paths.empty() ? std::vector<std::string>{"."} : options.paths, io_errors);
  bool io_failed = !io_errors.empty(), invalid = false, changed = false;
  for (const std::string& error : io_errors) std::cerr << "vigil: error: " << error << "\n";
  for (const std::string& path : files) {
    std::string contents, error;
    if (!read_policy_file(path, contents, error)) {
      std::cerr << "vigil: error: " << error << "\n";
      io_failed = true;
      continue;
    }
    switch (format_one(path, contents, options.check, false)) {
      case FileOutcome::Unchanged: break;
      case FileOutcome::Reformatted: changed = true; break;
      case FileOutcome::Invalid: invalid = true; break;
      case FileOutcome::IoError: io_failed = true; break;
    }
  }
  if (io_failed) return kExitUsageOrIo;
  if (invalid || (options.check && changed)) return kExitPolicyProblem;
  return kExitOk;
}

}  // namespace

Command register_fmt(CLI::App& app) {
  auto options = std::make_shared<FmtOptions>();
  CLI::App* command = app.add_subcommand("fmt", "Format policy files in the canonical layout");
  command->add_option("paths", options->paths,
                      "Policy files or directories (default: .); - formats stdin to stdout");
  command->add_flag("--check", options->check,
                    "Change nothing; list files that are not formatted and exit 1 if any");
  return {command, [options] { return run_fmt(*options); }};
}

}  // namespace vigil::cli
