// Typed values: what literals, list items and event fields hold.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil {

// The value types of the language. `Cidr` is the type of a network literal
// (10.0.0.0/8); it only appears on the right of `in`.
enum class Type : uint8_t { Bool, Int, String, Ip, Port, Duration, Cidr };

std::string_view type_name(Type type);

// An IPv4 or IPv6 address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
// normalised to IPv4 on construction, so they compare equal to the IPv4 form.
struct IpAddress {
  bool is_v4 = true;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses bytes[0..3]

  static std::optional<IpAddress> parse(std::string_view text);
  // The address itself, or for an IPv4-mapped IPv6 address the IPv4 address:
  // the one form parse() gives, and what the kernel's records hold.
  IpAddress unmapped() const;
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

struct IpNetwork {
  IpAddress address;  // host bits are zero
  uint8_t prefix_length = 0;

  // "10.0.0.0/8", "fe80::/10". Rejects set host bits and out-of-range prefixes.
  static std::optional<IpNetwork> parse(std::string_view text, std::string* error = nullptr);
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;
};

using Duration = std::chrono::nanoseconds;

// Port values are stored as int64_t with Type::Port.
using Value = std::variant<bool, int64_t, std::string, IpAddress, IpNetwork, Duration>;

// An ip-typed operand as a network: a network as is, an address as the
// network holding only it (/32 or /128). Precondition: `value` holds one.
IpNetwork as_network(const Value& value);

std::string value_to_string(const Value& value);

}  // namespace vigil
