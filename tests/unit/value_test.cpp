#include "compiler/value.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(IpAddress, MappedV6NormalisesToV4) {
  auto mapped = IpAddress::parse("::ffff:10.1.2.3");
  auto plain = IpAddress::parse("10.1.2.3");
  ASSERT_TRUE(mapped && plain);
  EXPECT_EQ(*mapped, *plain);
  EXPECT_EQ(mapped->to_string(), "10.1.2.3");
}

TEST(IpAddress, RejectsGarbage) {
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("10.0.0.256"));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0", 8)));
  EXPECT_FALSE(IpAddress::parse("::g"));
}

TEST(IpNetwork, ContainsAtPrefixEdges) {
  auto net = IpNetwork::parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("10.0.0.0")));
  EXPECT_TRUE(net->contains(*IpAddress::parse("10.255.255.255")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("11.0.0.0")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("9.255.255.255")));
  EXPECT_TRUE(net->contains(*IpAddress::parse("::ffff:10.9.9.9")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("::1")));
}

TEST(IpNetwork, OddPrefixAndZeroPrefix) {
  auto net = IpNetwork::parse("192.168.0.0/23");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*IpAddress::parse("192.168.1.200")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("192.168.2.0")));
  auto all = IpNetwork::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->contains(*IpAddress::parse("255.255.255.255")));
  EXPECT_FALSE(all->contains(*IpAddress::parse("::")));
}

TEST(IpNetwork, RejectsBadNetworks) {
  std::string error;
  EXPECT_FALSE(IpNetwork::parse("10.0.0.1/8", &error));
  EXPECT_EQ(error, "host bits are set below the prefix length");
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/33", &error));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/", &error));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0", &error));
  EXPECT_FALSE(IpNetwork::parse("fe80::/129", &error));
  auto v6 = IpNetwork::parse("fe80::/10");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("febf::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("fec0::1")));
  auto mapped = IpNetwork::parse("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->to_string(), "10.0.0.0/8");
}

TEST(Value, PrintsStringsEscaped) {
  EXPECT_EQ(value_to_string(Value{std::string("a\"b\\c\n\x01")}), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ(value_to_string(Value{Duration(std::chrono::seconds(10))}), "10s");
  EXPECT_EQ(value_to_string(Value{Duration(std::chrono::milliseconds(500))}), "500ms");
}

}  // namespace
}  // namespace vigil
