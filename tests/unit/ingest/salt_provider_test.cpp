// Daily salt rotation (docs/metrics.md "Visitor"): a past day's salt is deleted once a newer
// day is asked for, so visitor ids of that day can never be recomputed.
#include "bklit/ingest/salt_provider.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "bklit/appdb/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace bklit::ingest {
namespace {

constexpr std::int64_t kDayMs = 86400000;

std::unique_ptr<appdb::AppStore> open_or_die(const std::string& path) {
  auto store = appdb::open_sqlite_store(path);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(store).value();
}

TEST(SaltProvider, ANewDayDeletesTheSaltsBeforeYesterday) {
  testing::TempDir dir;
  auto store = open_or_die(dir.file("app.db"));
  const std::string day10 = store->salt_for_day(10);
  const std::string day11 = store->salt_for_day(11);
  const std::string day12 = store->salt_for_day(12);

  SaltProvider salts(*store);
  // Day 12 is newer than anything this provider has seen: everything before day 11 goes.
  EXPECT_EQ(salts.salt_for_time(12 * kDayMs + 5), day12);
  EXPECT_EQ(salts.salt_for_time(11 * kDayMs + 5), day11);  // yesterday stays usable
  EXPECT_NE(store->salt_for_day(10), day10) << "day 10's salt outlived its use";
  EXPECT_EQ(store->salt_for_day(11), day11);

  // The next day rotates again, and yesterday's salt is the same one as before.
  const std::string day13 = salts.salt_for_time(13 * kDayMs);
  EXPECT_EQ(store->salt_for_day(13), day13);
  EXPECT_EQ(salts.salt_for_time(12 * kDayMs + 1), day12);
  EXPECT_NE(store->salt_for_day(11), day11) << "day 11's salt outlived its use";
}

TEST(SaltProvider, CachedDaysDoNotTouchTheStore) {
  testing::TempDir dir;
  auto store = open_or_die(dir.file("app.db"));
  SaltProvider salts(*store);
  const std::string today = salts.salt_for_time(20 * kDayMs + 1);
  // An older day asked for later (a session begun before midnight) rotates nothing.
  const std::string yesterday = salts.salt_for_time(19 * kDayMs + 1);
  EXPECT_NE(today, yesterday);
  EXPECT_EQ(store->salt_for_day(19), yesterday);
  EXPECT_EQ(salts.salt_for_time(20 * kDayMs + 99), today);
  EXPECT_EQ(salts.salt_for_time(19 * kDayMs + 99), yesterday);
}

TEST(SaltProvider, AllProvidersOfOneStoreAgree) {
  testing::TempDir dir;
  auto store = open_or_die(dir.file("app.db"));
  SaltProvider a(*store);
  SaltProvider b(*store);
  EXPECT_EQ(a.salt_for_time(30 * kDayMs), b.salt_for_time(30 * kDayMs + 7));
}

}  // namespace
}  // namespace bklit::ingest
