// What only the Redis Streams queue can show: several consumers sharing shards, takeover
// from a dead consumer, Redis restarts, trimming.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "queue_test_util.hpp"

namespace bklit::queue::contract {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> many_sessions(int count, int first = 0) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(event_payload("session-" + std::to_string(i), first + i));
  }
  return out;
}

std::set<int> numbers_of(const std::vector<QueueRecord>& records) {
  std::set<int> out;
  for (const auto& r : records) out.insert(decode(r.payload).n);
  return out;
}

std::set<int> range(int first, int count) {
  std::set<int> out;
  for (int i = first; i < first + count; ++i) out.insert(i);
  return out;
}

// Tracks on_shard_change calls and checks every record's shard was announced first.
struct ShardTracker {
  std::mutex mu;
  std::set<std::uint32_t> owned;
  int acquired_calls = 0;
  int lost_calls = 0;

  void attach(EventQueue& q) {
    q.on_shard_change([this](std::uint32_t shard, bool acquired) {
      std::lock_guard lock(mu);
      if (acquired) {
        owned.insert(shard);
        ++acquired_calls;
      } else {
        owned.erase(shard);
        ++lost_calls;
      }
    });
  }
  void expect_owned(const std::vector<QueueRecord>& records) {
    std::lock_guard lock(mu);
    for (const auto& r : records) {
      EXPECT_TRUE(owned.count(r.shard)) << "record of shard " << r.shard << " before announce";
    }
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return owned.size();
  }
};

net::RedisConnection raw(const testing::RedisServer& server) {
  return net::RedisConnection(*net::parse_redis_url(server.url()));
}

TEST(RedisStreamsQueue, RefusesAnotherShardCount) {
  testing::RedisServer server;
  auto options = redis_test_options(server);
  auto first = open_redis_or_fail(options);
  ASSERT_TRUE(first);
  options.shards = 8;
  auto second = open_redis_streams(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "queue_config");
  EXPECT_NE(second.error().message.find("16"), std::string::npos);
}

TEST(RedisStreamsQueue, OpenFailsClearlyWithoutRedis) {
  RedisStreamsOptions options;
  options.redis.port = testing::free_port();
  options.redis.connect_timeout = milliseconds(500);
  auto q = open_redis_streams(options);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, "queue_unavailable");
}

TEST(RedisStreamsQueue, AnnouncesShardsBeforeTheirRecords) {
  testing::RedisServer server;
  auto q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  ShardTracker tracker;
  tracker.attach(*q);
  ASSERT_EQ(append_sync(*q, many_sessions(100)), AppendStatus::kDurable);
  auto records = poll_n(*q, 100, milliseconds(10000));
  EXPECT_EQ(numbers_of(records), range(0, 100));
  tracker.expect_owned(records);
  EXPECT_EQ(tracker.count(), 16U);  // alone: it owns every shard
  std::set<std::uint32_t> shards;
  for (const auto& r : records) shards.insert(r.shard);
  EXPECT_GT(shards.size(), 8U) << "sessions spread over the shards";
}

TEST(RedisStreamsQueue, TwoConsumersSplitShardsAndDeliverEachRecordOnce) {
  testing::RedisServer server;
  auto producer = open_redis_or_fail(redis_test_options(server));
  auto a = open_redis_or_fail(redis_test_options(server));
  auto b = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(producer && a && b);
  ShardTracker ta, tb;
  ta.attach(*a);
  tb.attach(*b);

  std::mutex mu;
  std::vector<QueueRecord> got_a, got_b;
  std::atomic<bool> stop{false};
  auto consume = [&](EventQueue& q, ShardTracker& t, std::vector<QueueRecord>& got) {
    while (!stop.load()) {
      auto records = q.poll(50, milliseconds(100));
      t.expect_owned(records);
      ack_all(q, records);
      std::lock_guard lock(mu);
      got.insert(got.end(), records.begin(), records.end());
    }
  };
  std::thread ca([&] { consume(*a, ta, got_a); });
  std::thread cb([&] { consume(*b, tb, got_b); });

  constexpr int kRecords = 600;
  for (int i = 0; i < kRecords; i += 20) {
    ASSERT_EQ(append_sync(*producer, many_sessions(20, i)), AppendStatus::kDurable);
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (got_a.size() + got_b.size() >= kRecords && ta.count() == 8 && tb.count() == 8) break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  stop = true;
  ca.join();
  cb.join();

  EXPECT_EQ(ta.count(), 8U);
  EXPECT_EQ(tb.count(), 8U);
  {
    std::lock_guard la(ta.mu), lb(tb.mu);
    for (auto s : ta.owned) EXPECT_FALSE(tb.owned.count(s)) << "shard " << s << " owned twice";
  }
  std::multiset<int> all;
  for (const auto& r : got_a) all.insert(decode(r.payload).n);
  for (const auto& r : got_b) all.insert(decode(r.payload).n);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kRecords)) << "a record was delivered twice";
  EXPECT_EQ(std::set<int>(all.begin(), all.end()), range(0, kRecords));
}

// A consumer process that takes every record and dies (SIGKILL) without acking or giving
// back its leases: another consumer takes its shards over once the leases expire and gets
// every record again.
TEST(RedisStreamsQueue, DeadConsumersShardsAreTakenOverWithTheirUnackedRecords) {
  testing::RedisServer server;
  constexpr int kRecords = 120;
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  // Fork before this process starts any thread, so the child is a clean copy.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    auto options = redis_test_options(server);
    options.consumer = "doomed";
    auto opened = open_redis_streams(options);
    int got = -1;
    if (opened.ok()) {
      got = static_cast<int>(poll_n(**opened, kRecords, milliseconds(15000)).size());
    }
    (void)!::write(report[1], &got, sizeof got);
    ::kill(::getpid(), SIGKILL);  // no close(): leases and pending entries stay behind
    std::_Exit(1);
  }
  ::close(report[1]);
  {
    auto producer = open_redis_or_fail(redis_test_options(server));
    ASSERT_TRUE(producer);
    // Wait until the child owns its shards, so it really takes the records.
    auto conn = raw(server);
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (conn.command({"GET", "bklit:owner:0"}).str != "doomed" && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_EQ(append_sync(*producer, many_sessions(kRecords)), AppendStatus::kDurable);
  }
  int child_got = 0;
  ASSERT_EQ(::read(report[0], &child_got, sizeof child_got),
            static_cast<ssize_t>(sizeof child_got));
  ::close(report[0]);
  ::waitpid(child, nullptr, 0);
  ASSERT_EQ(child_got, kRecords) << "the doomed consumer should have taken every record";

  auto conn = raw(server);
  auto pending = conn.command({"XPENDING", "bklit:events:0", "workers"});
  ASSERT_EQ(pending.type, net::RedisReply::Type::kArray);

  auto heir = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(heir);
  ShardTracker tracker;
  tracker.attach(*heir);
  auto records = poll_n(*heir, kRecords, milliseconds(15000));
  EXPECT_EQ(numbers_of(records), range(0, kRecords));
  tracker.expect_owned(records);
  EXPECT_EQ(tracker.count(), 16U);
  ack_all(*heir, records);
  EXPECT_TRUE(heir->poll(10, milliseconds(300)).empty());
}

TEST(RedisStreamsQueue, ALostLeaseIsReportedAndItsShardNoLongerDelivered) {
  testing::RedisServer server;
  auto q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  ShardTracker tracker;
  tracker.attach(*q);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (tracker.count() < 16 && Clock::now() < deadline) q->poll(10, milliseconds(50));
  ASSERT_EQ(tracker.count(), 16U);

  // Someone else holds shard 3 now (as if our lease had expired while we stalled).
  auto conn = raw(server);
  ASSERT_EQ(conn.command({"SET", "bklit:owner:3", "intruder", "XX", "PX", "60000"}).str, "OK");
  deadline = Clock::now() + std::chrono::seconds(10);
  while (tracker.count() == 16 && Clock::now() < deadline) q->poll(10, milliseconds(50));
  EXPECT_EQ(tracker.count(), 15U);
  EXPECT_EQ(tracker.lost_calls, 1);
  EXPECT_FALSE(tracker.owned.count(3));

  ASSERT_EQ(append_sync(*q, many_sessions(200)), AppendStatus::kDurable);
  auto records = poll_n(*q, 200, milliseconds(2000));
  for (const auto& r : records) EXPECT_NE(r.shard, 3U);
  auto left = conn.command({"XLEN", "bklit:events:3"});
  EXPECT_EQ(records.size() + static_cast<std::size_t>(left.integer), 200U);
  EXPECT_GT(left.integer, 0);
}

TEST(RedisStreamsQueue, AppendFailsPromptlyWhileRedisIsDownAndRecovers) {
  testing::RedisServer server;
  auto q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  ASSERT_EQ(append_sync(*q, many_sessions(5)), AppendStatus::kDurable);
  server.stop();
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    EXPECT_EQ(append_sync(*q, many_sessions(3, 100 + i * 3)), AppendStatus::kFailed);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  }
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (q->healthy() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(q->healthy());
  EXPECT_TRUE(q->poll(10, milliseconds(200)).empty());  // does not throw while Redis is down

  server.start();
  AppendStatus status = AppendStatus::kFailed;
  deadline = Clock::now() + std::chrono::seconds(10);
  while (status != AppendStatus::kDurable && Clock::now() < deadline) {
    status = append_sync(*q, many_sessions(5, 1000));
    if (status != AppendStatus::kDurable) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(status, AppendStatus::kDurable);
  deadline = Clock::now() + std::chrono::seconds(5);
  while (!q->healthy() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_TRUE(q->healthy());
}

TEST(RedisStreamsQueue, RedisRestartKeepsEveryAckedAppend) {
  testing::RedisServer server;
  auto q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  ShardTracker tracker;
  tracker.attach(*q);
  ASSERT_EQ(append_sync(*q, many_sessions(50)), AppendStatus::kDurable);
  auto first = poll_n(*q, 50, milliseconds(10000));
  ASSERT_EQ(first.size(), 50U);
  // Ack the first half of every shard.
  std::map<std::uint32_t, std::vector<const QueueRecord*>> by_shard;
  for (const auto& r : first) by_shard[r.shard].push_back(&r);
  std::set<int> acked;
  for (auto& [shard, list] : by_shard) {
    std::size_t half = list.size() / 2;
    if (half == 0) continue;
    q->ack(shard, list[half - 1]->seq);
    for (std::size_t i = 0; i < half; ++i) acked.insert(decode(list[i]->payload).n);
  }
  ASSERT_FALSE(acked.empty());

  // SIGKILL: only what AOF synced survives. Down longer than a lease lives, so the consumer
  // loses its shards and takes them again.
  server.stop(/*hard=*/true);
  std::this_thread::sleep_for(redis_test_options(server).lease_ttl + milliseconds(500));
  server.start();

  auto deadline = Clock::now() + std::chrono::seconds(10);
  int next = 1000;
  while (Clock::now() < deadline && next < 1050) {
    if (append_sync(*q, {event_payload("after-" + std::to_string(next), next)}) ==
        AppendStatus::kDurable) {
      ++next;
    } else {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ASSERT_EQ(next, 1050) << "appends did not recover after the restart";

  // The unacked records polled before the restart come again (the shards changed hands),
  // and the new ones.
  std::set<int> expected = range(1000, 50);
  for (int n : range(0, 50)) {
    if (!acked.count(n)) expected.insert(n);
  }
  std::set<int> delivered;
  deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline && delivered != expected) {
    auto records = q->poll(100, milliseconds(100));
    tracker.expect_owned(records);
    for (const auto& r : records) delivered.insert(decode(r.payload).n);
  }
  EXPECT_EQ(delivered, expected);
  EXPECT_GE(tracker.lost_calls, 1);

  // Nothing acked after the restart (acks are cumulative per shard): a new consumer gets
  // every record but the ones acked before the restart.
  std::set<int> unacked = expected;
  for (int n : range(0, 50)) {
    if (!acked.count(n)) unacked.insert(n);
  }
  q->close();
  q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  auto again = poll_n(*q, unacked.size(), milliseconds(10000));
  EXPECT_EQ(numbers_of(again), unacked);
  EXPECT_TRUE(q->poll(100, milliseconds(300)).empty());
}

TEST(RedisStreamsQueue, TrimRemovesOnlyAckedEntries) {
  testing::RedisServer server;
  auto q = open_redis_or_fail(redis_test_options(server));
  ASSERT_TRUE(q);
  ASSERT_EQ(append_sync(*q, many_sessions(200)), AppendStatus::kDurable);
  auto records = poll_n(*q, 200, milliseconds(10000));
  ASSERT_EQ(records.size(), 200U);
  std::map<std::uint32_t, std::vector<const QueueRecord*>> by_shard;
  for (const auto& r : records) by_shard[r.shard].push_back(&r);
  std::set<int> unacked;
  for (auto& [shard, list] : by_shard) {
    std::size_t half = list.size() / 2;
    if (half > 0) q->ack(shard, list[half - 1]->seq);
    for (std::size_t i = half; i < list.size(); ++i) unacked.insert(decode(list[i]->payload).n);
  }

  auto conn = raw(server);
  auto total_len = [&] {
    long long total = 0;
    for (int s = 0; s < 16; ++s) {
      total += conn.command({"XLEN", "bklit:events:" + std::to_string(s)}).integer;
    }
    return total;
  };
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (total_len() > static_cast<long long>(unacked.size()) && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(total_len(), static_cast<long long>(unacked.size()));
  std::this_thread::sleep_for(milliseconds(500));  // several more trim rounds
  EXPECT_EQ(total_len(), static_cast<long long>(unacked.size()));
  EXPECT_GT(q->backlog_bytes(), 0U);

  q->close();
  q = open_redis_or_fail(redis_test_options(server));
  auto again = poll_n(*q, unacked.size(), milliseconds(10000));
  EXPECT_EQ(numbers_of(again), unacked);
  ack_all(*q, again);
  deadline = Clock::now() + std::chrono::seconds(5);
  while (total_len() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(total_len(), 0);
}

TEST(RedisStreamsQueue, OverloadedAboveTheBacklogBound) {
  testing::RedisServer server;
  auto options = redis_test_options(server);
  options.max_backlog_bytes = 20000;
  auto q = open_redis_or_fail(options);
  ASSERT_TRUE(q);
  AppendStatus status = AppendStatus::kDurable;
  int appended = 0;
  while (status == AppendStatus::kDurable && appended < 1000) {
    status = append_sync(*q, {std::string(1000, 'x')});
    ++appended;
  }
  EXPECT_EQ(status, AppendStatus::kOverloaded);
  EXPECT_LT(appended, 1000);
  // Processing the backlog makes room again.
  auto records = poll_n(*q, static_cast<std::size_t>(appended - 1), milliseconds(10000));
  ack_all(*q, records);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline &&
         (status = append_sync(*q, {std::string(1000, 'y')})) != AppendStatus::kDurable) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(status, AppendStatus::kDurable);
}

}  // namespace
}  // namespace bklit::queue::contract
