// Values near a given one: the near misses, boundary cases and instances the
// event generator mixes into events. None of the strings contains a NUL byte
// (kernel strings cannot hold one; EventLayout::encode cuts at it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/value.h"
#include "tests/differential/random_source.h"

namespace vigil::testing {

// ---- Strings ----------------------------------------------------------------------

enum class TextStyle : uint8_t {
  Word,     // [a-z0-9._-]
  Path,     // word bytes and '/'
  Hostile,  // bytes >= 0x80, quotes, backslashes, newlines, glob metacharacters, "//"
};

std::string random_text(RandomSource& random, size_t length, TextStyle style);
// Short random text in a random style, 1..max_length bytes.
std::string random_snippet(RandomSource& random, size_t max_length = 8);

// The constant with one byte changed, inserted or deleted, cut one short
// (front or back), or one letter's case flipped. Differs from `constant`
// unless it is empty.
std::string near_miss(RandomSource& random, const std::string& constant);

// Text containing the constant: it plus a suffix, it as a suffix, it in the
// middle, or it twice.
std::string around(RandomSource& random, const std::string& constant);

// A string of about `capacity` bytes (capacity - 2, - 1, exactly, + 5: the
// kernel keeps capacity - 1) that starts with, ends with or straddles the
// cut at `constant`, or random text of such a length if `constant` is empty.
std::string at_capacity_boundary(RandomSource& random, const std::string& constant,
                                 size_t capacity);

// A string the glob pattern matches: `*` becomes text without '/', `**` text
// that may hold '/', `**/` nothing or a run ending in '/', `?` one non-'/' byte.
std::string glob_instance(RandomSource& random, std::string_view pattern);
// An instance bent to (probably) miss: a '/' inside a `*`, nothing or two bytes
// for a `?`, a byte dropped or added, a trailing "/x".
std::string glob_near_miss(RandomSource& random, std::string_view pattern);

// A best-effort string the RE2 pattern may match: anchors and groups dropped,
// `.` and classes replaced by one sample byte, quantifiers taken once.
std::string regex_sample(RandomSource& random, std::string_view pattern);

// ---- Addresses --------------------------------------------------------------------

IpAddress ipv4_address(uint32_t value);
// The address `delta` (+1 / -1) away, wrapping within its family.
IpAddress step_address(IpAddress address, int delta);
IpAddress network_first(const IpNetwork& network);
IpAddress network_last(const IpNetwork& network);
IpAddress random_in_network(RandomSource& random, const IpNetwork& network);
IpAddress random_address(RandomSource& random);
// ::ffff:a.b.c.d as a raw IPv6 value (is_v4 false), the form a v6 socket
// reports; IpAddress::parse and EventLayout::decode turn it into a.b.c.d.
IpAddress raw_mapped_form(const IpAddress& v4);
// ::a.b.c.d (IPv4-compatible): an IPv6 address, unequal to a.b.c.d.
IpAddress compatible_form(const IpAddress& v4);
// The other family with the same leading bytes: 10.1.2.3 -> a01:203::,
// fe80::1 -> 254.128.0.0. Same bits, different family: never equal.
IpAddress other_family(const IpAddress& address);

}  // namespace vigil::testing
