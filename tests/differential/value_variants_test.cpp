#include "tests/differential/value_variants.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "compiler/evaluator.h"
#include "compiler/glob.h"

namespace vigil::testing {
namespace {

IpAddress ip(std::string_view text) {
  auto address = IpAddress::parse(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

IpNetwork net(std::string_view text) {
  auto network = IpNetwork::parse(text);
  EXPECT_TRUE(network.has_value()) << text;
  return network.value_or(IpNetwork{});
}

bool has_nul(const std::string& text) {
  return text.find('\0') != std::string::npos;
}

TEST(ValueVariants, RandomTextHasTheLengthAndNoNul) {
  RandomSource random(1);
  for (auto style : {TextStyle::Word, TextStyle::Path, TextStyle::Hostile}) {
    for (size_t length : {0, 1, 7, 8, 9, 255, 517}) {
      std::string text = random_text(random, length, style);
      EXPECT_EQ(text.size(), length);
      EXPECT_FALSE(has_nul(text));
      if (style == TextStyle::Word) {
        EXPECT_EQ(text.find('/'), std::string::npos) << text;
      }
    }
  }
}

TEST(ValueVariants, NearMissDiffersAndStaysClose) {
  RandomSource random(2);
  const std::string constant = "/etc/shadow";
  bool shorter = false, longer = false, same_length = false;
  for (int i = 0; i < 500; ++i) {
    std::string miss = near_miss(random, constant);
    EXPECT_NE(miss, constant);
    EXPECT_FALSE(has_nul(miss));
    const auto delta = static_cast<int>(miss.size()) - static_cast<int>(constant.size());
    EXPECT_GE(delta, -1);
    EXPECT_LE(delta, 1);
    shorter |= delta < 0;
    longer |= delta > 0;
    same_length |= delta == 0;
  }
  EXPECT_TRUE(shorter && longer && same_length);
  EXPECT_FALSE(near_miss(random, "").empty());
}

TEST(ValueVariants, CapacityBoundaryLengths) {
  RandomSource random(3);
  std::vector<size_t> lengths;
  bool straddles = false;
  for (int i = 0; i < 500; ++i) {
    std::string text = at_capacity_boundary(random, "needle", 16);
    EXPECT_FALSE(has_nul(text));
    lengths.push_back(text.size());
    // The kernel keeps 15 bytes: "needle" cut in the middle.
    size_t at = text.find("needle");
    straddles |= at != std::string::npos && at < 15 && at + 6 > 15;
  }
  for (size_t expected : {14, 15, 16, 21})
    EXPECT_NE(std::find(lengths.begin(), lengths.end(), expected), lengths.end()) << expected;
  EXPECT_TRUE(straddles);
}

TEST(ValueVariants, GlobInstancesMatchTheirPattern) {
  RandomSource random(4);
  for (std::string_view pattern :
       {"/tmp/*", "/etc/**", "/etc/**/*.conf", "**/id_rsa", "x**/y", "/dev/tty?", "*a*a*b", "***",
        "/home/*/.ssh/**/", "", "?", "[a]{b}\\c"}) {
    int misses = 0;
    for (int i = 0; i < 300; ++i) {
      std::string instance = glob_instance(random, pattern);
      EXPECT_TRUE(glob_matches(pattern, instance)) << pattern << " vs " << instance;
      EXPECT_FALSE(has_nul(instance));
      std::string miss = glob_near_miss(random, pattern);
      EXPECT_FALSE(has_nul(miss));
      if (!glob_matches(pattern, miss)) ++misses;
    }
    // `**` alone matches everything; every other pattern is missed often.
    if (pattern != "/etc/**" && pattern != "***") {
      EXPECT_GT(misses, 100) << pattern;
    }
  }
}

TEST(ValueVariants, GlobInstancesCoverTheWildcardForms) {
  RandomSource random(5);
  bool empty_slash_run = false, deep = false, star_empty = false;
  for (int i = 0; i < 500; ++i) {
    std::string a = glob_instance(random, "/etc/**/*.conf");
    empty_slash_run |= a.starts_with("/etc/") && a.find('/', 5) == std::string::npos;
    deep |= std::count(a.begin(), a.end(), '/') >= 4;
    star_empty |= glob_instance(random, "/tmp/*") == "/tmp/";
  }
  EXPECT_TRUE(empty_slash_run);
  EXPECT_TRUE(deep);
  EXPECT_TRUE(star_empty);
}

// A Matches test of process.exe, evaluated by the reference evaluator.
bool regex_holds(const std::string& pattern, const std::string& value) {
  ir::Predicate test;
  test.kind = ir::Predicate::Kind::Test;
  test.field = *find_field("process.exe");
  test.op = ir::TestOp::Matches;
  test.operands = {pattern};
  Event event(EventKind::Exec);
  event.set(test.field, value);
  return evaluate(test, event);
}

TEST(ValueVariants, RegexSamplesMatchSimplePatterns) {
  RandomSource random(6);
  for (std::string pattern :
       {"^/tmp/.*\\.sh$", "curl|wget", "(?i)^nc ", "[0-9]+\\.[0-9]+", "^/usr/(s?bin)/python[23]$",
        "a{3}b", "x(ab){2,}y", "(?:ab|cd){3}$", "\\d+-\\w+\\s"}) {
    for (int i = 0; i < 50; ++i) {
      std::string sample = regex_sample(random, pattern);
      EXPECT_TRUE(regex_holds(pattern, sample)) << pattern << " vs " << sample;
    }
  }
}

TEST(ValueVariants, AddressArithmetic) {
  EXPECT_EQ(step_address(ip("10.0.0.0"), -1), ip("9.255.255.255"));
  EXPECT_EQ(step_address(ip("10.255.255.255"), 1), ip("11.0.0.0"));
  EXPECT_EQ(step_address(ip("255.255.255.255"), 1), ip("0.0.0.0"));
  EXPECT_EQ(step_address(ip("0.0.0.0"), -1), ip("255.255.255.255"));
  EXPECT_EQ(step_address(ip("fe80::"), -1), ip("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(step_address(ip("::"), -1), ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

  EXPECT_EQ(network_first(net("192.168.0.0/23")), ip("192.168.0.0"));
  EXPECT_EQ(network_last(net("192.168.0.0/23")), ip("192.168.1.255"));
  EXPECT_EQ(network_last(net("0.0.0.0/0")), ip("255.255.255.255"));
  EXPECT_EQ(network_last(net("10.1.2.3/32")), ip("10.1.2.3"));
  EXPECT_EQ(network_last(net("fe80::/10")), ip("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));

  RandomSource random(7);
  for (std::string_view text :
       {"192.168.0.0/23", "10.0.0.0/8", "fe80::/10", "::/0", "1.2.3.4/32"}) {
    IpNetwork network = net(text);
    for (int i = 0; i < 100; ++i)
      EXPECT_TRUE(network.contains(random_in_network(random, network))) << text;
  }
  for (int i = 0; i < 200; ++i) {
    IpAddress address = random_address(random);
    if (!address.is_v4) {
      EXPECT_FALSE(address.bytes[10] == 0xff && address.bytes[11] == 0xff);
    }
  }
}

TEST(ValueVariants, AddressFamilyForms) {
  IpAddress mapped = raw_mapped_form(ip("10.1.2.3"));
  EXPECT_FALSE(mapped.is_v4);
  EXPECT_EQ(mapped.bytes,
            (std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3}));
  EXPECT_EQ(IpAddress::parse("::ffff:10.1.2.3"), ip("10.1.2.3"));

  IpAddress compatible = compatible_form(ip("10.0.0.1"));
  EXPECT_FALSE(compatible.is_v4);
  EXPECT_EQ(compatible, ip("::a00:1"));

  EXPECT_EQ(other_family(ip("10.1.2.3")), ip("a01:203::"));
  EXPECT_EQ(other_family(ip("fe80::1")), ip("254.128.0.0"));
}

}  // namespace
}  // namespace vigil::testing
