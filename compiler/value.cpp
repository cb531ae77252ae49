#include "compiler/value.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "compiler/text_escape.h"

namespace vigil {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string buffer(text);  // inet_pton needs a NUL-terminated string
  if (buffer.find('\0') != std::string::npos) return std::nullopt;
  IpAddress address;
  if (buffer.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buffer.c_str(), &v4) != 1) return std::nullopt;
    address.is_v4 = true;
    std::memcpy(address.bytes.data(), &v4, 4);
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buffer.c_str(), &v6) != 1) return std::nullopt;
  address.is_v4 = false;
  std::memcpy(address.bytes.data(), v6.s6_addr, 16);
  return address.unmapped();
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (is_v4 || std::memcmp(bytes.data(), kMappedPrefix, sizeof kMappedPrefix) != 0) return *this;
  IpAddress v4;
  v4.is_v4 = true;
  std::memcpy(v4.bytes.data(), bytes.data() + 12, 4);
  return v4;
}

IpNetwork as_network(const Value& value) {
  if (const auto* network = std::get_if<IpNetwork>(&value)) return *network;
  const IpAddress& address = std::get<IpAddress>(value);
  return IpNetwork{address, static_cast<uint8_t>(address.is_v4 ? 32 : 128)};
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text, std::string* error) {
  auto fail = [&](const char* message) -> std::optional<IpNetwork> {
    if (error) *error = message;
    return std::nullopt;
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail("a network needs a prefix length, e.g. 10.0.0.0/8");
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return fail("invalid IP address");
  std::string_view prefix_text = text.substr(slash + 1);
  unsigned prefix = 0;
  auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc() || end != prefix_text.data() + prefix_text.size() || prefix_text.empty())
    return fail("invalid prefix length");
  // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) becomes its IPv4 form.
  bool written_as_v6 = text.substr(0, slash).find(':') != std::string_view::npos;
  if (address->is_v4 && written_as_v6) {
    if (prefix < 96) return fail("an IPv4-mapped network needs a prefix length of at least 96");
    prefix -= 96;
  }
  unsigned max_prefix = address->is_v4 ? 32 : 128;
  if (prefix > max_prefix)
    return fail(address->is_v4 ? "IPv4 prefix length must be at most 32"
                               : "IPv6 prefix length must be at most 128");
  unsigned byte_count = address->is_v4 ? 4 : 16;
  for (unsigned bit = prefix; bit < byte_count * 8; ++bit) {
    if (address->bytes[bit / 8] & (0x80u >> (bit % 8)))
      return fail("host bits are set below the prefix length");
  }
  return IpNetwork{*address, static_cast<uint8_t>(prefix)};
}

bool IpNetwork::contains(const IpAddress& candidate) const {
  if (candidate.is_v4 != address.is_v4) return false;
  unsigned full_bytes = prefix_length / 8;
  if (std::memcmp(candidate.bytes.data(), address.bytes.data(), full_bytes) != 0) return false;
  unsigned rest = prefix_length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF00u >> rest);
  return (candidate.bytes[full_bytes] & mask) == (address.bytes[full_bytes] & mask);
}

std::string IpNetwork::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix_length);
}

namespace {
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    append_control_escaped(out, std::string_view(&c, 1));
  }
  return out + "\"";
}

std::string duration_to_string(Duration duration) {
  using namespace std::chrono;
  auto ns = duration.count();
  if (ns % duration_cast<nanoseconds>(hours(1)).count() == 0 && ns != 0)
    return std::to_string(duration_cast<hours>(duration).count()) + "h";
  if (ns % duration_cast<nanoseconds>(minutes(1)).count() == 0 && ns != 0)
    return std::to_string(duration_cast<minutes>(duration).count()) + "m";
  if (ns % duration_cast<nanoseconds>(seconds(1)).count() == 0 && ns != 0)
    return std::to_string(duration_cast<seconds>(duration).count()) + "s";
  if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}
}  // namespace

std::string value_to_string(const Value& value) {
  struct Printer {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(const std::string& s) const { return quote(s); }
    std::string operator()(const IpAddress& a) const { return a.to_string(); }
    std::string operator()(const IpNetwork& n) const { return n.to_string(); }
    std::string operator()(Duration d) const { return duration_to_string(d); }
  };
  return std::visit(Printer{}, value);
}

}  // namespace vigil
