#include "runtime/user_names.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace vigil::runtime {

std::optional<std::string> nss_user_name(uint32_t uid) {
  long suggested = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<size_t>(suggested) : 1024);
  constexpr size_t kMaxBuffer = 1 << 20;  // an entry larger than this is not worth waiting for
  for (;;) {
    passwd entry{};
    passwd* result = nullptr;
    int error =
        ::getpwuid_r(static_cast<uid_t>(uid), &entry, buffer.data(), buffer.size(), &result);
    if (error == EINTR) continue;
    if (error == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (error != 0 || result == nullptr || result->pw_name == nullptr) return std::nullopt;
    return std::string(result->pw_name);
  }
}

UserNames::UserNames(UserNamesOptions options, Lookup lookup)
    : options_(options), lookup_(std::move(lookup)), cache_(options.max_entries) {}

std::string UserNames::name_of(int64_t uid) {
  if (uid < 0 || uid >= 0xFFFFFFFF) return "";
  auto key = static_cast<uint32_t>(uid);
  auto now = std::chrono::steady_clock::now();
  if (const Cached* cached = cache_.find(key); cached && now < cached->expires)
    return cached->name.value_or("");
  std::optional<std::string> name = lookup_ ? lookup_(key) : std::nullopt;
  auto ttl = name ? options_.name_ttl : options_.missing_ttl;
  return cache_.put(key, Cached{std::move(name), now + ttl}).name.value_or("");
}

}  // namespace vigil::runtime
