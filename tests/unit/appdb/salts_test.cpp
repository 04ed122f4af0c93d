#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bklit/appdb/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace bklit::appdb {
namespace {

using testing::TempDir;

std::unique_ptr<AppStore> open_or_die(const std::string& path) {
  auto store = open_sqlite_store(path);
  if (!store.ok()) throw std::runtime_error(store.error().message);
  return std::move(store).value();
}

TEST(VisitorSalts, OneRandomSaltPerDay) {
  TempDir dir;
  auto store = open_or_die(dir.file("app.db"));
  const std::string today = store->salt_for_day(20500);
  EXPECT_EQ(today.size(), 32u);
  EXPECT_EQ(store->salt_for_day(20500), today);
  const std::string tomorrow = store->salt_for_day(20501);
  EXPECT_EQ(tomorrow.size(), 32u);
  EXPECT_NE(tomorrow, today);
}

TEST(VisitorSalts, SaltsDoNotRepeatAcrossDatabases) {
  TempDir a, b;
  EXPECT_NE(open_or_die(a.file("app.db"))->salt_for_day(1),
            open_or_die(b.file("app.db"))->salt_for_day(1));
}

TEST(VisitorSalts, DeletedSaltsAreGoneForGood) {
  TempDir dir;
  auto store = open_or_die(dir.file("app.db"));
  const std::string old_day = store->salt_for_day(100);
  const std::string yesterday = store->salt_for_day(101);
  const std::string today = store->salt_for_day(102);
  store->delete_salts_before(101);
  EXPECT_EQ(store->salt_for_day(101), yesterday);
  EXPECT_EQ(store->salt_for_day(102), today);
  // A deleted day's salt cannot be recovered: asking again makes a new one.
  EXPECT_NE(store->salt_for_day(100), old_day);
}

TEST(VisitorSalts, ConcurrentCallersAgreeOnOneSalt) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  auto shared = open_or_die(path);
  constexpr int kThreads = 8;
  // Half the threads share one store (one connection), the other half each open their own,
  // which behaves like separate processes.
  std::vector<std::unique_ptr<AppStore>> own(kThreads / 2);
  for (auto& store : own) store = open_or_die(path);
  std::vector<std::vector<std::string>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      AppStore& store = i % 2 == 0 ? *shared : *own[i / 2];
      for (std::int64_t day = 0; day < 40; ++day) seen[i].push_back(store.salt_for_day(day));
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 1; i < kThreads; ++i) EXPECT_EQ(seen[i], seen[0]) << "thread " << i;
  EXPECT_EQ(std::set<std::string>(seen[0].begin(), seen[0].end()).size(), 40u);
}

}  // namespace
}  // namespace bklit::appdb
