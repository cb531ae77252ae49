#include "compiler/frontend.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/analyze.h"
#include "compiler/parser.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

// Larger policy files are refused rather than read: nothing legitimate is
// this big, and it bounds memory when a path points at something odd.
constexpr std::uintmax_t kMaxPolicyFileBytes = 64u << 20;

bool is_policy_file(const fs::path& path) {
  return path.extension() == ".vigil";
}

std::string io_message(const std::string& path, const std::error_code& error) {
  return path + ": " + error.message();
}

}  // namespace

std::vector<std::string> find_policy_files(const std::vector<std::string>& paths,
                                           std::vector<std::string>& io_errors) {
  std::vector<std::string> found;
  for (const std::string& root : paths) {
    std::error_code error;
    fs::file_status status = fs::status(root, error);
    if (error || !fs::exists(status)) {
      io_errors.push_back(io_message(
          root, error ? error : std::make_error_code(std::errc::no_such_file_or_directory)));
      continue;
    }
    if (!fs::is_directory(status)) {
      if (!fs::is_regular_file(status)) {
        io_errors.push_back(root + ": not a regular file or directory");
        continue;
      }
      // A file named explicitly is taken whatever its extension.
      found.push_back(fs::path(root).lexically_normal().string());
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::none, error), end;
    if (error) {
      io_errors.push_back(io_message(root, error));
      continue;
    }
    for (; it != end; it.increment(error)) {
      if (error) {
        io_errors.push_back(io_message(it->path().string(), error));
        break;
      }
      std::error_code entry_error;
      if (it->is_regular_file(entry_error) && is_policy_file(it->path()))
        found.push_back(it->path().lexically_normal().string());
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

bool read_policy_file(const std::string& path, std::string& contents, std::string& error_out) {
  std::error_code error;
  auto size = fs::file_size(path, error);
  if (!error && size > kMaxPolicyFileBytes) {
    error_out =
        path + ": file is larger than " + std::to_string(kMaxPolicyFileBytes >> 20) + " MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error_out = path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error_out = path + ": read error";
    return false;
  }
  contents = std::move(buffer).str();
  return true;
}

namespace {

void analyze_parsed(FrontEndResult& result) {
  result.policy = analyze(result.sources, result.files, result.diagnostics);
  if (result.diagnostics.has_errors()) result.policy.reset();
}

}  // namespace

FrontEndResult run_front_end_on_texts(const std::vector<PolicyText>& texts) {
  FrontEndResult result;
  for (const PolicyText& text : texts) {
    FileId id = result.sources.add(text.path, text.text);
    result.files.push_back(parse_file(result.sources, id, result.diagnostics));
  }
  analyze_parsed(result);
  return result;
}

FrontEndResult run_front_end(const std::vector<std::string>& paths) {
  FrontEndResult result;
  std::vector<std::string> files = find_policy_files(paths, result.io_errors);
  for (const std::string& path : files) {
    std::string contents, error;
    if (!read_policy_file(path, contents, error)) {
      result.io_errors.push_back(error);
      continue;
    }
    FileId id = result.sources.add(path, std::move(contents));
    result.files.push_back(parse_file(result.sources, id, result.diagnostics));
  }
  // A policy set with a missing file is never analysed as if it were whole.
  if (!result.io_errors.empty()) return result;
  analyze_parsed(result);
  return result;
}

}  // namespace vigil
