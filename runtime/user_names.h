// uid -> user name, through NSS (getpwuid_r: /etc/passwd, LDAP, sssd...), so
// the agent names users the way `id` and `ps` do. Lookups may be slow
// (network directories), so names are cached; a uid without a name is
// remembered only briefly, so a user added since shows up soon. Bounded:
// the least recently used names are forgotten. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/lru_map.h"

namespace vigil::runtime {

struct UserNamesOptions {
  size_t max_entries = 4096;
  std::chrono::milliseconds name_ttl = std::chrono::minutes(10);  // renamed or removed users
  std::chrono::milliseconds missing_ttl = std::chrono::seconds(30);
};

// The NSS name of `uid`; nullopt if it has none (or the lookup failed).
std::optional<std::string> nss_user_name(uint32_t uid);

class UserNames {
 public:
  using Lookup = std::function<std::optional<std::string>(uint32_t uid)>;

  explicit UserNames(UserNamesOptions options = {}, Lookup lookup = nss_user_name);

  // The name of `uid`; "" if it has none, or is not a uid (negative, or
  // (uid_t)-1, the kernel's "no uid").
  std::string name_of(int64_t uid);

  size_t size() const { return cache_.size(); }

 private:
  struct Cached {
    std::optional<std::string> name;
    std::chrono::steady_clock::time_point expires;
  };

  UserNamesOptions options_;
  Lookup lookup_;
  LruMap<uint32_t, Cached> cache_;
};

}  // namespace vigil::runtime
