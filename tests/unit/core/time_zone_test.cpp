#include "bklit/core/time_zone.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"

namespace bklit::core {
namespace {

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(TimeZone, KnowsTheZonesAndLinksOfTheSystemDatabase) {
  for (const char* tz : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                         "US/Eastern", "Asia/Calcutta", "Europe/Kiev"}) {
    EXPECT_TRUE(is_known_time_zone(tz)) << tz;
  }
  for (const char* tz : {"", "Mars/Olympus", "Europe/Berlinn", "europe/berlin", "Europe",
                         "posix/UTC", "right/UTC", "tzdata.zi", "zone1970.tab", "../zoneinfo/UTC",
                         "/UTC", "Europe//Berlin", "Europe/Berlin/"}) {
    EXPECT_FALSE(is_known_time_zone(tz)) << tz;
  }
}

TEST(TimeZone, ErrorNamesTheSettingAndAnExample) {
  auto ok = check_time_zone("  Europe/Berlin ", "timezone");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "Europe/Berlin");

  auto bad = check_time_zone("Mars/Olympus", "--timezone");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_timezone");
  EXPECT_EQ(bad.error().http_status, 400);
  EXPECT_EQ(bad.error().message,
            "--timezone 'Mars/Olympus' is not a time zone of the IANA database; give a name such "
            "as Europe/Berlin, America/New_York or UTC");
  auto empty = check_time_zone("", "timezone");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("timezone must not be empty"), std::string::npos);
}

TEST(TimeZone, ReadsTheNamesOfTzdataZi) {
  testing::TempDir dir;
  write(dir.file("tzdata.zi"),
        "# version 2099a\n"
        "R E 1981 ma - Mar lastSu 1u 1 S\n"
        "Z Europe/Atlantis 1 E CE%sT\n"
        "Z Etc/UTC 0 - UTC\n"
        "L Etc/UTC Zulu\n");
  EXPECT_TRUE(is_known_time_zone("Europe/Atlantis", dir.path().string()));
  EXPECT_TRUE(is_known_time_zone("Zulu", dir.path().string()));
  EXPECT_TRUE(is_known_time_zone("Etc/UTC", dir.path().string()));
  EXPECT_FALSE(is_known_time_zone("E", dir.path().string()));  // a rule, not a zone
  EXPECT_FALSE(is_known_time_zone("Europe/Berlin", dir.path().string()));
}

TEST(TimeZone, WithoutTzdataZiTakesCompiledZoneFiles) {
  testing::TempDir dir;
  write(dir.file("Europe/Atlantis"), std::string("TZif2") + std::string(40, '\0'));
  write(dir.file("UTC"), std::string("TZif2") + std::string(40, '\0'));
  write(dir.file("zone.tab"), "# not a zone\n");
  write(dir.file("posix/UTC"), std::string("TZif2") + std::string(40, '\0'));
  EXPECT_TRUE(is_known_time_zone("Europe/Atlantis", dir.path().string()));
  EXPECT_FALSE(is_known_time_zone("zone.tab", dir.path().string()));
  EXPECT_FALSE(is_known_time_zone("posix/UTC", dir.path().string()));
  EXPECT_FALSE(is_known_time_zone("Europe", dir.path().string()));  // a directory
}

TEST(TimeZone, AMissingDatabaseIsSaidSo) {
  testing::TempDir dir;
  auto r = check_time_zone("Europe/Berlin", "timezone", dir.file("none"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("install the tzdata package"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace bklit::core
