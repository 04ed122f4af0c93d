#include "bklit/core/url.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bklit::core {
namespace {

TEST(SplitUrl, FollowsRfc3986AppendixB) {
  UrlParts p = split_url("https://u:p@Host:8443/a/b?q=1&r#frag?x");
  EXPECT_EQ(p.scheme, "https");
  EXPECT_EQ(p.authority, "u:p@Host:8443");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "q=1&r");
  EXPECT_EQ(p.fragment, "frag?x");

  p = split_url("https://example.com/docs#section?utm_source=nope");
  EXPECT_EQ(p.path, "/docs");
  EXPECT_FALSE(p.query);  // a '?' after '#' is part of the fragment
  EXPECT_EQ(p.fragment, "section?utm_source=nope");

  p = split_url("//cdn.example/x");
  EXPECT_EQ(p.scheme, "");
  EXPECT_EQ(p.authority, "cdn.example");
  EXPECT_EQ(p.path, "/x");

  p = split_url("example.com/page");
  EXPECT_FALSE(p.authority);
  EXPECT_EQ(p.path, "example.com/page");

  p = split_url("mailto:someone@example.com");
  EXPECT_EQ(p.scheme, "mailto");
  EXPECT_FALSE(p.authority);
  EXPECT_EQ(p.path, "someone@example.com");

  p = split_url("https://example.com?");
  EXPECT_EQ(p.path, "");
  EXPECT_EQ(p.query, "");  // present, empty
  EXPECT_FALSE(p.fragment);

  EXPECT_EQ(split_url("://example.com").scheme, "");  // a scheme is not empty
  EXPECT_EQ(split_url("https:///path").authority, "");
}

TEST(QueryPairs, RawPairsInOrder) {
  std::vector<std::pair<std::string, std::string>> seen;
  for_each_query_pair("a=1&b&=x&c=%20=&&",
                      [&](std::string_view k, std::string_view v) { seen.emplace_back(k, v); });
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", ""}, {"", "x"}, {"c", "%20="}, {"", ""}};
  EXPECT_EQ(seen, expected);
}

TEST(ParseAuthority, UserinfoHostAndPort) {
  auto a = parse_authority("us%65r:p@ss@Shop.Example.:8443");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->has_userinfo);
  EXPECT_EQ(a->user, "user");
  EXPECT_TRUE(a->has_password);
  EXPECT_EQ(a->password, "p@ss");  // the last '@' ends the userinfo
  EXPECT_EQ(a->host.kind, HostKind::kName);
  EXPECT_EQ(a->host.text, "shop.example");
  EXPECT_TRUE(a->has_port);
  EXPECT_EQ(a->port, 8443);

  auto bare = parse_authority("localhost");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->has_userinfo);
  EXPECT_FALSE(bare->has_port);
  EXPECT_FALSE(bare->port);

  auto colon = parse_authority("localhost:");
  ASSERT_TRUE(colon);
  EXPECT_TRUE(colon->has_port);  // "host:" is a port with no digits
  EXPECT_FALSE(colon->port);

  auto max = parse_authority("h:65535");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->port, 65535);
}

TEST(ParseAuthority, IpLiteralsInOneSpelling) {
  auto v6 = parse_authority("[2001:DB8:0:0:0:0:0:1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host.kind, HostKind::kIpv6);
  EXPECT_EQ(v6->host.text, "[2001:db8::1]");
  EXPECT_EQ(v6->host.address(), "2001:db8::1");

  auto v4 = parse_authority("192.168.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host.kind, HostKind::kIpv4);
  EXPECT_EQ(v4->host.text, "192.168.0.1");
  EXPECT_EQ(v4->host.address(), "192.168.0.1");

  auto dotted = parse_authority("192.168.0.1.");
  ASSERT_TRUE(dotted);
  EXPECT_EQ(dotted->host.kind, HostKind::kIpv4);
}

TEST(ParseAuthority, InternationalNamesBecomePunycode) {
  auto a = parse_authority(
      "B\xC3\x9C"
      "cher.example");  // "BÜcher": case folds too
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->host.text, "xn--bcher-kva.example");
  auto encoded = parse_authority("b%C3%BCcher.example");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->host.text, "xn--bcher-kva.example");
  auto ascii = parse_authority("XN--BCHER-KVA.example");
  ASSERT_TRUE(ascii);
  EXPECT_EQ(ascii->host.text, "xn--bcher-kva.example");
}

TEST(ParseAuthority, RejectsWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "no host name"},
      {"user@", "no host name"},
      {":80", "no host name"},
      {".", "no host name"},
      {"exa mple.com", "the character ' '"},
      {"exa<mple.com", "the character '<'"},
      {std::string("a\x01") + "b", "a control character"},
      {"ex!ample.com", "the character '!'"},
      {"ex%41mple%2Fcom", "the character '/'"},  // decoded before it is checked
      {"ex%zzample.com", "percent escape"},
      {"a..b", "empty part"},
      {".example.com", "empty part"},
      {std::string(254, 'a'), "longer than 253"},
      {"%FF.example", "not UTF-8"},
      {"caf%C3%A9%00.evil", "control character"},  // not cut short at the NUL
      {"1.2.3", "IPv4"},
      {"1127.0.0.1", "IPv4"},
      {"host.123", "IPv4"},
      {"[::1", "IPv6"},
      {"[notip]", "IPv6"},
      {"[v1.future]", "not supported"},
      {"h:0", "invalid port"},
      {"h:65536", "invalid port"},
      {"h:80a", "invalid port"},
      {"h:80:81", "invalid port"},
  };
  for (const auto& [input, reason] : cases) {
    auto a = parse_authority(input);
    ASSERT_FALSE(a) << input;
    EXPECT_EQ(a.error().code, "invalid_host") << input;
    EXPECT_NE(a.error().message.find(reason), std::string::npos)
        << input << ": " << a.error().message;
  }
}

TEST(KnownHost, KindFromTheOneSpelling) {
  for (const char* typed : {"Shop.Example", "127.0.0.1", "[2001:DB8::1]", "xn--caf-dma.example",
                            "1.2.3.4.nip.io", "localhost"}) {
    auto parsed = parse_authority(typed);
    ASSERT_TRUE(parsed) << typed;
    EXPECT_EQ(known_host(parsed->host.text), parsed->host) << typed;
  }
}

TEST(DnsNameProblem, LabelsAndHyphens) {
  EXPECT_FALSE(dns_name_problem("shop.example"));
  EXPECT_FALSE(dns_name_problem("my-site.co.uk"));
  EXPECT_FALSE(dns_name_problem("xn--caf-dma.example"));
  const auto problem = [](std::string_view name) { return dns_name_problem(name).value_or(""); };
  EXPECT_NE(problem("-shop.example").find("hyphen"), std::string::npos);
  EXPECT_NE(problem("shop-.example").find("hyphen"), std::string::npos);
  EXPECT_NE(problem(std::string(64, 'a') + ".example").find("63"), std::string::npos);
  EXPECT_NE(problem("a..b").find("empty part"), std::string::npos);
}

TEST(ParseSite, DomainsAsUsersTypeThem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://user:pw@Shop.Example:8443/a?b#c", "shop.example"},
      {"*.shop.example.", "shop.example"},
      {"www.shop.example", "shop.example"},
      {"WWW.Shop.Example", "shop.example"},
      {"www.com", "www.com"},
      {"[::1]:3000", "[::1]"},
      {"localhost:3000", "localhost"},
      {"caf\xC3\xA9.example/menu", "xn--caf-dma.example"},
  };
  for (const auto& [typed, site] : cases) {
    auto parsed = parse_site(typed);
    ASSERT_TRUE(parsed) << typed << ": " << parsed.error().message;
    EXPECT_EQ(parsed->text, site) << typed;
  }
  EXPECT_FALSE(parse_site("https://"));
  EXPECT_FALSE(parse_site(""));
}

}  // namespace
}  // namespace bklit::core
