#include "tests/differential/value_variants.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "compiler/glob.h"

namespace vigil::testing {
namespace {

constexpr std::string_view kWordBytes = "abcdefghijklmnopqrstuvwxyz0123456789._-";

// Bytes that trip up escaping, glob handling, signedness and C strings.
// No NUL: kernel strings cannot hold one.
constexpr std::array<std::string_view, 20> kHostilePieces = {
    "\x80", "\xff", "\xc3\xa9", "\xe2\x82\xac", "\"", "\\",    "\n", "\t", "\r",   "*",
    "?",    "**",   "/",        "//",           "[",  "{a,b}", " ",  "'",  "\x01", "\x7f"};

char random_word_byte(RandomSource& random) {
  return kWordBytes[random.below(kWordBytes.size())];
}

// Any byte but NUL.
char random_nonzero_byte(RandomSource& random) {
  return static_cast<char>(1 + random.below(255));
}

char other_byte(RandomSource& random, char old) {
  if (random.percent(40)) {
    // A neighbour: catches off-by-one comparisons of byte values.
    char next = static_cast<char>(static_cast<unsigned char>(old) + (random.percent(50) ? 1 : -1));
    if (next != '\0' && next != old) return next;
  }
  char c;
  do c = random_nonzero_byte(random);
  while (c == old);
  return c;
}

// A byte for a glob `?` (or a `*` run): never '/'.
char glob_byte(RandomSource& random) {
  if (random.percent(85)) return random_word_byte(random);
  static constexpr std::string_view kOdd = "\x80\xff*?\\ [";
  return kOdd[random.below(kOdd.size())];
}

std::string glob_run(RandomSource& random, size_t max_length) {
  std::string out;
  size_t length = random.below(max_length + 1);
  for (size_t i = 0; i < length; ++i) out += glob_byte(random);
  return out;
}

// `a/b` style text: `segments` runs joined by '/'.
std::string path_run(RandomSource& random, size_t segments) {
  std::string out;
  for (size_t i = 0; i < segments; ++i) {
    if (i > 0) out += '/';
    out += glob_run(random, 4);
  }
  return out;
}

// Instantiates the steps; `bend` is the index of a wildcard step to expand so
// that it (probably) does not match, or -1.
std::string instantiate(RandomSource& random, const std::vector<GlobPattern::Step>& steps,
                        int bend) {
  using Kind = GlobPattern::StepKind;
  std::string out;
  for (size_t i = 0; i < steps.size(); ++i) {
    const bool bent = static_cast<int>(i) == bend;
    switch (steps[i].kind) {
      case Kind::Byte: out += steps[i].byte; break;
      case Kind::AnyByteButSlash:
        if (!bent) {
          out += glob_byte(random);
        } else {
          static constexpr std::array<std::string_view, 3> kBent = {"", "/", "ab"};
          out += kBent[random.below(kBent.size())];
        }
        break;
      case Kind::Star:
        out += bent ? glob_run(random, 2) + "/" + glob_run(random, 2) : glob_run(random, 5);
        break;
      case Kind::DoubleStar:
        // `**` matches everything; there is nothing to bend.
        out += random.percent(30) ? std::string() : path_run(random, 1 + random.below(3));
        break;
      case Kind::SlashRunEntry:
        if (bent) {
          out += glob_run(random, 3);  // no trailing '/'
        } else if (random.percent(50)) {
          out += path_run(random, random.below(3)) + "/";  // "/", "a/", "a/b/"
        }
        ++i;  // the loop step is part of this unit
        break;
      case Kind::SlashRunLoop: break;
    }
  }
  return out;
}

IpAddress with_family(bool v4) {
  IpAddress address;
  address.is_v4 = v4;
  return address;
}

size_t address_bytes(const IpAddress& address) {
  return address.is_v4 ? 4 : 16;
}

}  // namespace

// ---- Strings ----------------------------------------------------------------------

std::string random_text(RandomSource& random, size_t length, TextStyle style) {
  // One draw gives eight bytes: long strings are common (capacity boundaries).
  std::string out(length, 'a');
  size_t i = 0;
  while (i < length) {
    uint64_t bits = random.bits();
    for (int k = 0; k < 8 && i < length; ++k, bits >>= 8) {
      const auto byte = static_cast<uint8_t>(bits);
      const char word = kWordBytes[byte % kWordBytes.size()];
      switch (style) {
        case TextStyle::Word: out[i++] = word; break;
        case TextStyle::Path: out[i++] = byte < 31 ? '/' : word; break;  // about 12% '/'
        case TextStyle::Hostile:
          if (byte < 128) {
            out[i++] = word;
          } else {
            // A multi-byte piece may cross the end: cut it (still no NUL).
            for (char c : kHostilePieces[byte % kHostilePieces.size()])
              if (i < length) out[i++] = c;
          }
          break;
      }
    }
  }
  return out;
}

std::string random_snippet(RandomSource& random, size_t max_length) {
  size_t length = 1 + random.below(std::max<size_t>(max_length, 1));
  auto style = static_cast<TextStyle>(random.weighted({5, 3, 2}));
  return random_text(random, length, style);
}

std::string near_miss(RandomSource& random, const std::string& constant) {
  if (constant.empty()) return random_snippet(random, 3);
  std::string out = constant;
  const size_t at = random.below(out.size());
  switch (random.below(7)) {
    case 0: out[at] = other_byte(random, out[at]); break;
    case 1: out.back() = other_byte(random, out.back()); break;
    case 2:
      out.insert(out.begin() + static_cast<ptrdiff_t>(random.below(out.size() + 1)),
                 random_nonzero_byte(random));
      break;
    case 3: out.erase(at, 1); break;
    case 4: out.pop_back(); break;  // the prefix one shorter
    case 5: out.erase(0, 1); break;
    case 6: {
      auto letter = std::find_if(out.begin(), out.end(), [](char c) {
        return std::isalpha(static_cast<unsigned char>(c));
      });
      if (letter == out.end()) {
        out[at] = other_byte(random, out[at]);
      } else {
        unsigned char c = static_cast<unsigned char>(*letter);
        *letter = static_cast<char>(std::islower(c) ? std::toupper(c) : std::tolower(c));
      }
      break;
    }
  }
  return out;
}

std::string around(RandomSource& random, const std::string& constant) {
  switch (random.below(5)) {
    case 0: return constant + random_snippet(random);
    case 1: return random_snippet(random) + constant;
    case 2: return random_snippet(random) + constant + random_snippet(random);
    case 3: return constant + constant;
    default: return constant + "/" + random_snippet(random);
  }
}

std::string at_capacity_boundary(RandomSource& random, const std::string& constant,
                                 size_t capacity) {
  capacity = std::max<size_t>(capacity, 2);
  static constexpr std::array<int, 4> kOffsets = {-2, -1, 0, 5};
  const size_t length = capacity + kOffsets[random.below(kOffsets.size())];
  const auto pad = [&](size_t n) {
    return random_text(random, n, random.percent(80) ? TextStyle::Path : TextStyle::Hostile);
  };
  switch (constant.empty() ? 0 : 1 + random.below(3)) {
    case 0: return pad(length);
    case 1:  // ends exactly at `length`: kept whole only if length <= capacity - 1
      return pad(length > constant.size() ? length - constant.size() : 0) + constant;
    case 2:  // starts the string, padded to `length`
      return constant + pad(length > constant.size() ? length - constant.size() : 0);
    default: {
      // Straddles the cut: the kernel keeps bytes [0, capacity - 1).
      const size_t keep = capacity - 1;
      const size_t start = keep > constant.size() / 2 ? keep - constant.size() / 2 : 0;
      return pad(start) + constant + pad(3);
    }
  }
}

std::string glob_instance(RandomSource& random, std::string_view pattern) {
  GlobPattern glob(pattern);
  return instantiate(random, glob.steps(), -1);
}

std::string glob_near_miss(RandomSource& random, std::string_view pattern) {
  GlobPattern glob(pattern);
  const auto& steps = glob.steps();
  std::vector<int> bendable;
  for (size_t i = 0; i < steps.size(); ++i) {
    auto kind = steps[i].kind;
    if (kind == GlobPattern::StepKind::AnyByteButSlash || kind == GlobPattern::StepKind::Star ||
        kind == GlobPattern::StepKind::SlashRunEntry)
      bendable.push_back(static_cast<int>(i));
  }
  const size_t choice = random.below(4);
  if (choice == 0 && !bendable.empty()) return instantiate(random, steps, random.pick(bendable));
  std::string instance = instantiate(random, steps, -1);
  if (choice == 1) return instance + "/x";
  if (choice == 2 && !instance.empty()) {
    instance.pop_back();
    return instance;
  }
  return near_miss(random, instance);
}

std::string regex_sample(RandomSource& random, std::string_view pattern) {
  std::string out;
  size_t i = 0;
  size_t unit_start = 0;             // where the last atom's text begins in `out`
  std::vector<size_t> group_starts;  // open groups
  // Skips the rest of an alternation: up to the ')' closing the current group.
  auto skip_alternatives = [&] {
    int depth = 0;
    for (; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == 0) return;
        --depth;
      }
    }
  };
  auto atom = [&](std::string_view text) {
    unit_start = out.size();
    out += text;
  };
  while (i < pattern.size()) {
    const char c = pattern[i];
    switch (c) {
      case '^':
      case '$':
      case '*':  // taken once, as `+` and `?` are
      case '+':
      case '?': ++i; break;
      case '(':
        if (i + 1 < pattern.size() && pattern[i + 1] == '?') {
          // (?i) sets flags; (?:...) and (?P<name>...) open a group.
          size_t close = pattern.find_first_of(":>)", i);
          if (close != std::string_view::npos && pattern[close] != ')')
            group_starts.push_back(out.size());
          i = close == std::string_view::npos ? pattern.size() : close + 1;
        } else {
          group_starts.push_back(out.size());
          ++i;
        }
        break;
      case ')':
        if (!group_starts.empty()) {
          unit_start = group_starts.back();
          group_starts.pop_back();
        }
        ++i;
        break;
      case '|':
        ++i;
        skip_alternatives();
        break;
      case '{': {
        // {n}, {n,}, {n,m}: the last atom n times in all.
        size_t close = pattern.find('}', i);
        size_t count = 0;
        for (size_t j = i + 1;
             j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j])); ++j)
          count = std::min<size_t>(count * 10 + static_cast<size_t>(pattern[j] - '0'), 64);
        i = close == std::string_view::npos ? pattern.size() : close + 1;
        const std::string unit = out.substr(std::min(unit_start, out.size()));
        out.resize(std::min(unit_start, out.size()));
        for (size_t k = 0; k < count; ++k) out += unit;
        break;
      }
      case '.':
        atom(std::string(1, random_word_byte(random)));
        ++i;
        break;
      case '[': {
        size_t j = i + 1;
        bool negated = j < pattern.size() && pattern[j] == '^';
        if (negated) ++j;
        char first = j < pattern.size() ? pattern[j] : 'a';
        size_t close = pattern.find(']', j + 1);
        i = close == std::string_view::npos ? pattern.size() : close + 1;
        atom(std::string(1, negated ? '\x01' : (first == '\\' ? 'a' : first)));
        break;
      }
      case '\\': {
        char next = i + 1 < pattern.size() ? pattern[i + 1] : '\\';
        i += 2;
        switch (next) {
          case 'd': atom("7"); break;
          case 'w':
          case 'D':
          case 'S': atom("x"); break;
          case 'W': atom("-"); break;
          case 's': atom(" "); break;
          case 'n': atom("\n"); break;
          case 't': atom("\t"); break;
          case 'b':
          case 'B':
          case 'A':
          case 'z': break;
          default: atom(std::string(1, next)); break;
        }
        break;
      }
      default:
        atom(std::string(1, c));
        ++i;
        break;
    }
  }
  out.erase(std::remove(out.begin(), out.end(), '\0'), out.end());
  return out;
}

// ---- Addresses --------------------------------------------------------------------

IpAddress ipv4_address(uint32_t value) {
  IpAddress address = with_family(true);
  for (int i = 0; i < 4; ++i) address.bytes[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
  return address;
}

IpAddress step_address(IpAddress address, int delta) {
  for (size_t i = address_bytes(address); i-- > 0;) {
    uint8_t before = address.bytes[i];
    address.bytes[i] = static_cast<uint8_t>(before + delta);
    const bool carried = delta > 0 ? before == 0xff : before == 0x00;
    if (!carried) break;
  }
  return address;
}

IpAddress network_first(const IpNetwork& network) {
  return network.address;
}

IpAddress network_last(const IpNetwork& network) {
  IpAddress last = network.address;
  const size_t bits = address_bytes(last) * 8;
  for (size_t bit = network.prefix_length; bit < bits; ++bit)
    last.bytes[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  return last;
}

IpAddress random_in_network(RandomSource& random, const IpNetwork& network) {
  IpAddress address = network.address;
  const size_t bits = address_bytes(address) * 8;
  for (size_t bit = network.prefix_length; bit < bits; ++bit)
    if (random.percent(50)) address.bytes[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  return address;
}

IpAddress random_address(RandomSource& random) {
  if (random.percent(60)) return ipv4_address(static_cast<uint32_t>(random.bits()));
  IpAddress address = with_family(false);
  for (uint8_t& byte : address.bytes) byte = static_cast<uint8_t>(random.bits());
  switch (random.below(3)) {
    case 0:  // link-local fe80::/64
      address.bytes[0] = 0xfe;
      address.bytes[1] = 0x80;
      std::fill(address.bytes.begin() + 2, address.bytes.begin() + 8, 0);
      break;
    case 1:  // documentation 2001:db8::/32
      address.bytes[0] = 0x20;
      address.bytes[1] = 0x01;
      address.bytes[2] = 0x0d;
      address.bytes[3] = 0xb8;
      break;
    default: break;
  }
  // Random bytes could spell ::ffff:a.b.c.d, which is not an IPv6 address here.
  if (address.bytes[10] == 0xff && address.bytes[11] == 0xff) address.bytes[11] = 0xfe;
  return address;
}

IpAddress raw_mapped_form(const IpAddress& v4) {
  IpAddress address = with_family(false);
  address.bytes[10] = 0xff;
  address.bytes[11] = 0xff;
  std::copy_n(v4.bytes.begin(), 4, address.bytes.begin() + 12);
  return address;
}

IpAddress compatible_form(const IpAddress& v4) {
  IpAddress address = with_family(false);
  std::copy_n(v4.bytes.begin(), 4, address.bytes.begin() + 12);
  return address;
}

IpAddress other_family(const IpAddress& address) {
  IpAddress out = with_family(!address.is_v4);
  std::copy_n(address.bytes.begin(), 4, out.bytes.begin());
  return out;
}

}  // namespace vigil::testing
