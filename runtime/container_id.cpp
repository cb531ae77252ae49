#include "runtime/container_id.h"

#include <optional>
#include <vector>

namespace vigil::runtime {
namespace {

constexpr size_t kIdLength = 64;

bool is_container_id(std::string_view text) {
  if (text.size() != kIdLength) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// `<prefix><64 hex><suffix>` -> the hex; nullopt otherwise.
std::optional<std::string_view> id_between(std::string_view name, std::string_view prefix,
                                           std::string_view suffix) {
  if (!name.starts_with(prefix) || !name.ends_with(suffix)) return std::nullopt;
  if (name.size() < prefix.size() + suffix.size()) return std::nullopt;
  std::string_view id = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (!is_container_id(id)) return std::nullopt;
  return id;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// systemd unit-name escaping: "\x2d" -> '-' (any "\xNN").
std::string systemd_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      int high = hex_digit(text[i + 2]);
      int low = hex_digit(text[i + 3]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 3;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The container one path component names, given its parent component.
std::optional<std::string> container_of_component(std::string_view name, std::string_view parent) {
  // The monitors of cri-o and podman containers run on the host, beside them.
  if (name.starts_with("crio-conmon-") || name.starts_with("libpod-conmon-")) return std::nullopt;
  static constexpr std::string_view kScopePrefixes[] = {"docker-", "cri-containerd-", "crio-",
                                                        "libpod-"};
  for (std::string_view prefix : kScopePrefixes) {
    if (auto id = id_between(name, prefix, ".scope")) return std::string(*id);
  }
  if (auto id = id_between(name, "libpod-", "")) return std::string(*id);  // podman, cgroupfs
  // docker and containerd with the cgroupfs driver, kubelet's pod cgroups.
  if (is_container_id(name)) return std::string(name);
  if (parent == "machine.slice") {
    constexpr std::string_view kMachine = "machine-", kScope = ".scope";
    if (name.starts_with(kMachine) && name.ends_with(kScope) &&
        name.size() > kMachine.size() + kScope.size())
      return systemd_unescape(
          name.substr(kMachine.size(), name.size() - kMachine.size() - kScope.size()));
    constexpr std::string_view kNspawn = "systemd-nspawn@", kService = ".service";
    if (name.starts_with(kNspawn) && name.ends_with(kService) &&
        name.size() > kNspawn.size() + kService.size())
      return systemd_unescape(
          name.substr(kNspawn.size(), name.size() - kNspawn.size() - kService.size()));
  }
  return std::nullopt;
}

}  // namespace

std::string container_id_from_cgroup_path(std::string_view path) {
  std::vector<std::string_view> parts = components(path);
  for (size_t i = parts.size(); i-- > 0;) {
    std::string_view parent = i > 0 ? parts[i - 1] : std::string_view();
    if (auto id = container_of_component(parts[i], parent)) return *id;
  }
  return "";
}

std::string container_id_from_proc_cgroup(std::string_view text) {
  std::string unified;
  std::string from_v1;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // "<hierarchy id>:<controllers>:<path>"; the path may itself hold ':'.
    size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string id = container_id_from_cgroup_path(line.substr(second + 1));
    if (id.empty()) continue;
    if (line.substr(0, first) == "0" && line.substr(first + 1, second - first - 1).empty())
      unified = std::move(id);
    else if (from_v1.empty())
      from_v1 = std::move(id);
  }
  return unified.empty() ? from_v1 : unified;
}

}  // namespace vigil::runtime
