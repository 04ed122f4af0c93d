#include "bklit/enrich/client_ip.hpp"

#include <gtest/gtest.h>

namespace bklit::enrich {
namespace {

TrustedProxies proxies(const std::vector<std::string>& list) {
  auto parsed = TrustedProxies::parse(list);
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : TrustedProxies{};
}

TEST(TrustedProxies, UntrustedRemoteIgnoresForwardedFor) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("203.0.113.9", "198.51.100.1"), "203.0.113.9");
  EXPECT_EQ(proxies({}).client_ip("10.0.0.1", "198.51.100.1"), "10.0.0.1");
}

TEST(TrustedProxies, TrustedRemoteGivesClientFromForwardedFor) {
  auto p = proxies({"10.0.0.0/8", "127.0.0.1"});
  EXPECT_EQ(p.client_ip("127.0.0.1", "198.51.100.1"), "198.51.100.1");
  EXPECT_EQ(p.client_ip("10.1.2.3", " 198.51.100.1 , 10.0.0.5"), "198.51.100.1");
  EXPECT_EQ(p.client_ip("127.0.0.1", ""), "127.0.0.1");
}

TEST(TrustedProxies, SpoofedLeftEntriesAreIgnored) {
  auto p = proxies({"10.0.0.0/8"});
  // The client claims to be 1.1.1.1; our proxy 10.0.0.2 saw it connect from 198.51.100.7.
  EXPECT_EQ(p.client_ip("10.0.0.2", "1.1.1.1, 198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(p.client_ip("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.9.9.9"), "198.51.100.7");
}

TEST(TrustedProxies, GarbageInTheChainFallsBackToRemote) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("10.0.0.2", "1.1.1.1, <script>"), "10.0.0.2");
  EXPECT_EQ(p.client_ip("10.0.0.2", "unknown"), "10.0.0.2");
  EXPECT_EQ(p.client_ip("10.0.0.2", "999.1.1.1"), "10.0.0.2");
}

TEST(TrustedProxies, AllTrustedChainGivesLeftMost) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("10.0.0.2", "10.0.0.9, 10.0.0.3"), "10.0.0.9");
}

TEST(TrustedProxies, PortsAndEmptyEntriesAreTolerated) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("10.0.0.2", "198.51.100.7:51234"), "198.51.100.7");
  EXPECT_EQ(p.client_ip("10.0.0.2", "[2001:db8::7]:443"), "2001:db8::7");
  EXPECT_EQ(p.client_ip("10.0.0.2", "198.51.100.7,,"), "198.51.100.7");
}

TEST(TrustedProxies, Ipv6ProxiesAndClients) {
  auto p = proxies({"fd00::/8", "::1"});
  EXPECT_EQ(p.client_ip("::1", "2001:DB8:0:0::42"), "2001:db8::42");
  EXPECT_EQ(p.client_ip("fd12::1", "2001:db8::42, fd00::5"), "2001:db8::42");
  EXPECT_EQ(p.client_ip("2001:db8::99", "2001:db8::42"), "2001:db8::99");
}

TEST(TrustedProxies, Ipv4MappedAddressesCountAsIpv4) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(p.client_ip("::ffff:10.0.0.2", "198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(p.client_ip("::ffff:203.0.113.5", ""), "203.0.113.5");
  auto mapped = proxies({"::ffff:192.168.0.0/112"});
  EXPECT_TRUE(mapped.is_trusted("192.168.4.4"));
  EXPECT_FALSE(mapped.is_trusted("192.169.0.1"));
}

TEST(TrustedProxies, PrefixBoundaries) {
  auto p = proxies({"172.16.0.0/12", "192.168.1.128/25"});
  EXPECT_TRUE(p.is_trusted("172.31.255.255"));
  EXPECT_FALSE(p.is_trusted("172.32.0.0"));
  EXPECT_TRUE(p.is_trusted("192.168.1.200"));
  EXPECT_FALSE(p.is_trusted("192.168.1.100"));
  EXPECT_TRUE(proxies({"0.0.0.0/0"}).is_trusted("8.8.8.8"));
  EXPECT_FALSE(proxies({"0.0.0.0/0"}).is_trusted("2001:db8::1"));
}

TEST(TrustedProxies, RejectsInvalidEntries) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129", "not-an-ip", "",
                          "::ffff:10.0.0.0/64"}) {
    auto parsed = TrustedProxies::parse({bad});
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, "invalid_trusted_proxy");
    }
  }
}

}  // namespace
}  // namespace bklit::enrich
