#include "bklit/core/clock.hpp"

#include <gtest/gtest.h>

namespace bklit::core {
namespace {

TEST(Clock, ParsesSdkTimestamps) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601_ms("2026-11-26T10:00:00.000Z", ms));
  EXPECT_EQ(ms, 1795687200000);
  ASSERT_TRUE(parse_iso8601_ms("2026-11-26T10:00:00.5Z", ms));
  EXPECT_EQ(ms, 1795687200500);
  ASSERT_TRUE(parse_iso8601_ms("2026-11-26T12:00:00+02:00", ms));
  EXPECT_EQ(ms, 1795687200000);
  ASSERT_TRUE(parse_iso8601_ms("1970-01-01T00:00:00Z", ms));
  EXPECT_EQ(ms, 0);
}

TEST(Clock, RejectsMalformedTimestamps) {
  std::int64_t ms = 0;
  for (const char* bad : {"", "2026-11-26", "2026-11-26T10:00:00", "2026-13-01T00:00:00Z",
                          "2026-11-26T25:00:00Z", "2026-11-26T10:00:00.Z", "x026-11-26T10:00:00Z",
                          "2026-11-26T10:00:00Zjunk", "2026-11-26T10:00:00+2"}) {
    EXPECT_FALSE(parse_iso8601_ms(bad, ms)) << bad;
  }
}

TEST(Clock, FormatsAndRoundTrips) {
  EXPECT_EQ(format_iso8601_ms(1795687200123), "2026-11-26T10:00:00.123Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_iso8601_ms(253402300800000LL), "10000-01-01T00:00:00.000Z");  // 5-digit year
  std::string appended = "at ";
  append_iso8601_ms(appended, 951782400007);
  EXPECT_EQ(appended, "at 2000-02-29T00:00:00.007Z");
  for (std::int64_t ms : {0LL, 951782400000LL, 4102444799999LL, -86400001LL}) {  // incl. 2000-02-29
    std::int64_t back = 0;
    ASSERT_TRUE(parse_iso8601_ms(format_iso8601_ms(ms), back));
    EXPECT_EQ(back, ms);
  }
}

TEST(Clock, CivilDaysRoundTrip) {
  for (std::int64_t d = -800000; d < 800000; d += 997) {
    int y = 0;
    unsigned m = 0, day = 0;
    civil_from_days(d, y, m, day);
    EXPECT_EQ(days_from_civil(y, m, day), d);
  }
}

}  // namespace
}  // namespace bklit::core
