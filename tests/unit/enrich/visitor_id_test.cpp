#include "bklit/enrich/visitor_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "bklit/enrich/screen.hpp"

namespace bklit::enrich {
namespace {

constexpr std::string_view kSalt = "9f2c1d7e5b3a48c6a1e0f7d2b4c6e8a0";
constexpr std::string_view kProject = "proj_123";
constexpr std::string_view kIp = "203.0.113.7";
constexpr std::string_view kUa = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Firefox/121.0";

TEST(VisitorId, SameInputsGiveTheSameId) {
  EXPECT_EQ(compute_visitor_id(kSalt, kProject, kIp, kUa),
            compute_visitor_id(kSalt, kProject, kIp, kUa));
}

TEST(VisitorId, StableAcrossThreads) {
  std::uint64_t expected = compute_visitor_id(kSalt, kProject, kIp, kUa);
  std::uint64_t other = 0;
  std::thread([&] { other = compute_visitor_id(kSalt, kProject, kIp, kUa); }).join();
  EXPECT_EQ(other, expected);
}

TEST(VisitorId, EachInputChangesTheId) {
  std::uint64_t base = compute_visitor_id(kSalt, kProject, kIp, kUa);
  EXPECT_NE(base, compute_visitor_id("another-day-salt-0123456789abcdef", kProject, kIp, kUa));
  EXPECT_NE(base, compute_visitor_id(kSalt, "proj_124", kIp, kUa));
  EXPECT_NE(base, compute_visitor_id(kSalt, kProject, "203.0.113.8", kUa));
  EXPECT_NE(base, compute_visitor_id(kSalt, kProject, kIp, std::string(kUa) + " "));
  // Going back to the first salt gives the first id again (the per-thread key is refreshed).
  EXPECT_EQ(base, compute_visitor_id(kSalt, kProject, kIp, kUa));
}

TEST(VisitorId, FieldBoundariesAreUnambiguous) {
  EXPECT_NE(compute_visitor_id(kSalt, "ab", "c", kUa), compute_visitor_id(kSalt, "a", "bc", kUa));
  EXPECT_NE(compute_visitor_id(kSalt, "", "1.2.3.4", ""),
            compute_visitor_id(kSalt, "1.2.3.4", "", ""));
}

TEST(VisitorId, IdsSpreadOverManyVisitors) {
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 10000; ++i) {
    ids.insert(compute_visitor_id(
        kSalt, kProject, "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), kUa));
  }
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(ScreenClass, Boundaries) {
  EXPECT_EQ(screen_class(0), "");
  EXPECT_EQ(screen_class(-5), "");
  EXPECT_EQ(screen_class(375), "mobile");
  EXPECT_EQ(screen_class(575), "mobile");
  EXPECT_EQ(screen_class(576), "tablet");
  EXPECT_EQ(screen_class(991), "tablet");
  EXPECT_EQ(screen_class(992), "laptop");
  EXPECT_EQ(screen_class(1439), "laptop");
  EXPECT_EQ(screen_class(1440), "desktop");
  EXPECT_EQ(screen_class(3840), "desktop");
}

}  // namespace
}  // namespace bklit::enrich
