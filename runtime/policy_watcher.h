// Watches the policy set on disk (inotify) so the agent reloads when it
// changes: a directory tree of .vigil files, or a bundle file (and its
// manifest). Editors and `mv` replace files rather than write them, so the
// parent directories are watched and names filtered. Changes come in bursts;
// the agent debounces them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace vigil::runtime {

class PolicyWatcher {
 public:
  // `paths`: directories (watched recursively, .vigil files) or files (a
  // bundle: the file itself and FILE.json). False and `error` if a path
  // cannot be watched.
  bool watch(const std::vector<std::string>& paths, std::string* error);
  ~PolicyWatcher();

  int fd() const { return fd_; }
  // Reads pending notifications; true if any concerns the policy set.
  bool handle_ready();

 private:
  bool add_directory_tree(const std::string& directory, std::string* error);
  bool relevant(int watch, const std::string& name, bool is_directory);

  int fd_ = -1;
  std::map<int, std::string> directories_;  // watch descriptor -> directory
  // Watched files by directory: only these names matter there. A directory
  // watched for its tree (no entry here) cares about *.vigil and subdirectories.
  std::map<std::string, std::vector<std::string>> files_;
};

}  // namespace vigil::runtime
