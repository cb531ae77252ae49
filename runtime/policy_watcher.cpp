#include "runtime/policy_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vigil::runtime {
namespace fs = std::filesystem;
namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;

}  // namespace

PolicyWatcher::~PolicyWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

bool PolicyWatcher::watch(const std::vector<std::string>& paths, std::string* error) {
  if (fd_ < 0) fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    *error = std::string("cannot watch the policies: inotify: ") + std::strerror(errno);
    return false;
  }
  for (const std::string& path : paths) {
    std::error_code code;
    if (fs::is_directory(path, code)) {
      if (!add_directory_tree(path, error)) return false;
      continue;
    }
    fs::path file = fs::absolute(path, code);
    std::string directory = file.parent_path().string();
    int watch = inotify_add_watch(fd_, directory.c_str(), kEvents);
    if (watch < 0) {
      *error = "cannot watch " + directory + ": " + std::strerror(errno);
      return false;
    }
    directories_[watch] = directory;
    auto& names = files_[directory];
    names.push_back(file.filename().string());
    names.push_back(file.filename().string() + ".json");
  }
  return true;
}

bool PolicyWatcher::add_directory_tree(const std::string& directory, std::string* error) {
  int watch = inotify_add_watch(fd_, directory.c_str(), kEvents);
  if (watch < 0) {
    *error = "cannot watch " + directory + ": " + std::strerror(errno);
    return false;
  }
  directories_[watch] = directory;
  std::error_code code;
  for (fs::directory_iterator it(directory, code), end; !code && it != end; it.increment(code)) {
    std::error_code is_dir_error;
    if (it->is_directory(is_dir_error) && !it->is_symlink(is_dir_error))
      if (!add_directory_tree(it->path().string(), error)) return false;
  }
  return true;
}

bool PolicyWatcher::relevant(int watch, const std::string& name, bool is_directory) {
  auto directory = directories_.find(watch);
  if (directory == directories_.end()) return false;
  auto files = files_.find(directory->second);
  if (files != files_.end())
    return std::find(files->second.begin(), files->second.end(), name) != files->second.end();
  if (is_directory) return true;  // a subdirectory came or went: its files did too
  return name.size() > 6 && name.ends_with(".vigil");
}

bool PolicyWatcher::handle_ready() {
  bool changed = false;
  alignas(inotify_event) char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + event->len;
      std::string name = event->len ? event->name : "";
      bool is_directory = event->mask & IN_ISDIR;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
        changed = changed || files_.find(directories_[event->wd]) == files_.end();
        if (event->mask & IN_IGNORED) directories_.erase(event->wd);
        continue;
      }
      if (event->mask & IN_Q_OVERFLOW) {
        changed = true;
        continue;
      }
      if (relevant(event->wd, name, is_directory)) changed = true;
      // A new subdirectory of a watched tree is watched too.
      if (is_directory && (event->mask & (IN_CREATE | IN_MOVED_TO))) {
        auto directory = directories_.find(event->wd);
        if (directory != directories_.end() && files_.find(directory->second) == files_.end()) {
          std::string ignored;
          add_directory_tree(directory->second + "/" + name, &ignored);
        }
      }
    }
  }
  return changed;
}

}  // namespace vigil::runtime
