#include "compiler/bpfcc/worker_location.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>

// Set by CMake (compiler/bpfcc/CMakeLists.txt); empty when built without it.
#ifndef VIGIL_INSTALLED_COMPILE_WORKER
#define VIGIL_INSTALLED_COMPILE_WORKER ""
#endif
#ifndef VIGIL_INSTALL_LIBEXECDIR
#define VIGIL_INSTALL_LIBEXECDIR ""
#endif

namespace vigil::bpfcc {
namespace {

std::string describe_errno(int error) {
  char buffer[256];
  return strerror_r(error, buffer, sizeof buffer);  // GNU: returns the message
}

// Empty when `path` is an executable regular file, else why not.
std::string why_not_executable(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return describe_errno(errno);
  if (!S_ISREG(info.st_mode)) return "not a regular file";
  if (access(path.c_str(), X_OK) != 0) return describe_errno(errno);
  return {};
}

std::string own_executable_path() {
  char path[4096];
  ssize_t size = readlink("/proc/self/exe", path, sizeof path - 1);
  if (size <= 0) return {};
  std::string text(path, static_cast<std::size_t>(size));
  // A binary replaced on disk while running (a package upgrade) still has
  // its directory; only the name gets the suffix.
  constexpr std::string_view kDeleted = " (deleted)";
  if (text.ends_with(kDeleted)) text.resize(text.size() - kDeleted.size());
  return text;
}

struct DefaultWorker {
  std::mutex mutex;
  std::optional<std::string> executable;
};

DefaultWorker& default_worker() {
  static DefaultWorker worker;
  return worker;
}

}  // namespace

WorkerSearch worker_search_for_this_process() {
  WorkerSearch search;
  if (const char* value = std::getenv(std::string(kCompileWorkerVariable).c_str()))
    search.override_path = value;
  search.own_executable = own_executable_path();
  search.relative_libexec_dir = VIGIL_INSTALL_LIBEXECDIR;
  search.installed_worker_path = VIGIL_INSTALLED_COMPILE_WORKER;
  return search;
}

WorkerLookup find_compile_worker(const WorkerSearch& search) {
  WorkerLookup lookup;
  try {
    if (!search.override_path.empty()) {
      std::string problem = why_not_executable(search.override_path);
      if (problem.empty())
        lookup.executable = search.override_path;
      else
        lookup.error = std::string(kCompileWorkerVariable) + " is set to '" + search.override_path +
                       "', which is not an executable file: " + problem;
      return lookup;
    }
    std::vector<std::string> candidates;
    auto add = [&](const std::filesystem::path& path) {
      std::string text = path.lexically_normal().string();
      for (const std::string& known : candidates)
        if (known == text) return;
      candidates.push_back(text);
    };
    std::filesystem::path own_directory;
    if (!search.own_executable.empty()) {
      own_directory = std::filesystem::path(search.own_executable).parent_path();
      add(own_directory / kCompileWorkerName);
      if (!search.relative_libexec_dir.empty() &&
          std::filesystem::path(search.relative_libexec_dir).is_relative())
        add(own_directory / ".." / search.relative_libexec_dir / "vigil" / kCompileWorkerName);
    }
    if (!search.installed_worker_path.empty()) add(search.installed_worker_path);
    for (const std::string& candidate : candidates) {
      if (why_not_executable(candidate).empty()) {
        lookup.executable = candidate;
        return lookup;
      }
    }

    std::string where;
    std::size_t others = 0;
    if (!search.own_executable.empty()) {
      where = "next to " + search.own_executable;
      others = 1;
    }
    if (candidates.size() > others) {
      std::string list;
      for (std::size_t i = others; i < candidates.size(); ++i)
        list += (i == others ? "" : i + 1 == candidates.size() ? " or " : ", ") + candidates[i];
      where += where.empty() ? "at " + list : " (nor at " + list + ")";
    }
    if (where.empty()) where = "anywhere vigil knows to look";
    lookup.error = "the BPF compile worker " + std::string(kCompileWorkerName) +
                   " is not installed " + where + "; set " + std::string(kCompileWorkerVariable) +
                   " to its path. Only compiling needs it: `vigil run --bundle` needs none";
  } catch (const std::exception& error) {  // std::bad_alloc, filesystem_error
    lookup = WorkerLookup{};
    lookup.error = std::string("cannot look for the BPF compile worker: ") + error.what();
  }
  return lookup;
}

WorkerLookup default_compile_worker() {
  {
    DefaultWorker& worker = default_worker();
    std::lock_guard<std::mutex> lock(worker.mutex);
    if (worker.executable) return WorkerLookup{*worker.executable, {}};
  }
  return find_compile_worker(worker_search_for_this_process());
}

void set_default_compile_worker(std::string executable) {
  DefaultWorker& worker = default_worker();
  std::lock_guard<std::mutex> lock(worker.mutex);
  worker.executable = std::move(executable);
}

}  // namespace vigil::bpfcc
