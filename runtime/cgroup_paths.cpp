#include "runtime/cgroup_paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

namespace vigil::runtime {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && text.size() - i >= 4) {
      int value = 0;
      bool octal = true;
      for (size_t k = 1; k <= 3; ++k) {
        char c = text[i + k];
        if (c < '0' || c > '7') octal = false;
        value = value * 8 + (c - '0');
      }
      if (octal && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    if (end > start) fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

std::string join_path(std::string_view base, std::string_view relative) {
  std::string path(base);
  if (relative.empty()) return path.empty() ? "/" : path;
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(relative);
  return path;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

std::optional<Cgroup2Mount> find_cgroup2_mount(std::string_view text) {
  std::optional<Cgroup2Mount> first;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::vector<std::string_view> fields = split_spaces(text.substr(start, end - start));
    start = end + 1;
    // id parent major:minor root mount-point options [optional...] - type source super-options
    size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-") ++separator;
    if (separator + 1 >= fields.size() || fields[separator + 1] != "cgroup2") continue;
    Cgroup2Mount mount{unescape_mountinfo(fields[4]), unescape_mountinfo(fields[3])};
    if (mount.root == "/") return mount;
    if (!first) first = std::move(mount);
  }
  return first;
}

CgroupPaths::CgroupPaths(CgroupPathsOptions options)
    : options_(std::move(options)), cache_(options_.max_entries) {
  if (options_.mount) {
    mount_ = options_.mount;
    return;
  }
  std::ifstream in(options_.mountinfo);
  if (!in) {
    problem_ = "cannot read " + options_.mountinfo;
    return;
  }
  std::string text(std::istreambuf_iterator<char>(in), {});
  mount_ = find_cgroup2_mount(text);
  if (!mount_) problem_ = "no cgroup2 file system is mounted (" + options_.mountinfo + ")";
}

std::string CgroupPaths::hierarchy_path(std::string_view relative) const {
  std::string_view root = mount_ ? std::string_view(mount_->root) : std::string_view("/");
  return join_path(root == "/" ? std::string_view("") : root, relative);
}

std::optional<std::string> CgroupPaths::path_of(uint64_t id) {
  if (const std::string* path = cache_.find(id)) return *path;
  if (!mount_ || id == 0) return std::nullopt;  // 0: the kernel had no cgroup to report
  auto now = std::chrono::steady_clock::now();
  if (last_scan_ && now - *last_scan_ < options_.rescan_interval) return std::nullopt;
  last_scan_ = now;
  return scan(id);
}

std::optional<uint64_t> CgroupPaths::id_of(std::string_view path) {
  if (!mount_ || path.empty() || path.front() != '/') return std::nullopt;
  // The path is in the hierarchy; the mount may show only a sub-tree of it.
  std::string_view relative = path;
  if (mount_->root != "/") {
    std::string_view root = mount_->root;
    if (!relative.starts_with(root)) return std::nullopt;
    relative.remove_prefix(root.size());
    if (!relative.empty() && relative.front() != '/') return std::nullopt;
  }
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  while (!relative.empty() && relative.back() == '/') relative.remove_suffix(1);
  struct stat status{};
  if (::stat(join_path(mount_->mount_point, relative).c_str(), &status) != 0 ||
      !S_ISDIR(status.st_mode))
    return std::nullopt;
  auto id = static_cast<uint64_t>(status.st_ino);
  cache_.put(id, hierarchy_path(relative));
  return id;
}

std::optional<std::string> CgroupPaths::scan(uint64_t wanted) {
  ++scans_;
  FileDescriptor root(::open(mount_->mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return std::nullopt;
  std::optional<std::string> found;
  std::string relative;
  struct stat status{};
  if (::fstat(root.get(), &status) == 0) {
    std::string path = hierarchy_path(relative);
    if (static_cast<uint64_t>(status.st_ino) == wanted) found = path;
    cache_.put(static_cast<uint64_t>(status.st_ino), std::move(path));
  }
  walk(root.release(), relative, 0, wanted, found);
  // The tree may hold more cgroups than the cache: the wanted one stays.
  if (found) cache_.put(wanted, *found);
  return found;
}

// Takes ownership of `directory_fd`.
void CgroupPaths::walk(int directory_fd, std::string& relative, int depth, uint64_t wanted,
                       std::optional<std::string>& found) {
  DIR* directory = ::fdopendir(directory_fd);
  if (!directory) {
    ::close(directory_fd);
    return;
  }
  while (dirent* entry = ::readdir(directory)) {
    if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) continue;
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    FileDescriptor child(::openat(::dirfd(directory), entry->d_name,
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (child.get() < 0) continue;  // not a directory, or removed meanwhile
    struct stat status{};
    if (::fstat(child.get(), &status) != 0) continue;
    size_t length = relative.size();
    if (!relative.empty()) relative.push_back('/');
    relative.append(name);
    std::string path = hierarchy_path(relative);
    auto id = static_cast<uint64_t>(status.st_ino);
    if (id == wanted) found = path;
    cache_.put(id, std::move(path));
    if (depth + 1 < options_.max_depth) walk(child.release(), relative, depth + 1, wanted, found);
    relative.resize(length);
  }
  ::closedir(directory);
}

}  // namespace vigil::runtime
