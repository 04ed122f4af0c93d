// What every EventQueue promises, run against the local log and Redis Streams.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bklit/core/clock.hpp"
#include "queue_test_util.hpp"

namespace bklit::queue::contract {
namespace {

enum class Kind { kLocalLog, kRedisStreams };

class QueueContract : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kLocalLog) {
      backend_ = std::make_unique<LocalLogBackend>();
    } else {
      backend_ = std::make_unique<RedisStreamsBackend>();
    }
    queue_ = backend_->open();
    ASSERT_TRUE(queue_);
  }

  // Closes the queue and opens it again on the same data, as after a restart.
  void reopen() {
    queue_->close();
    queue_.reset();
    queue_ = backend_->open();
    ASSERT_TRUE(queue_);
  }

  std::unique_ptr<QueueBackend> backend_;
  std::unique_ptr<EventQueue> queue_;
};

std::vector<std::string> events(int sessions, int per_session, int first = 0) {
  std::vector<std::string> out;
  for (int i = 0; i < per_session; ++i) {
    for (int s = 0; s < sessions; ++s) {
      out.push_back(event_payload("s" + std::to_string(s), first + i * sessions + s));
    }
  }
  return out;
}

std::set<int> numbers_of(const std::vector<QueueRecord>& records) {
  std::set<int> out;
  for (const auto& r : records) out.insert(decode(r.payload).n);
  return out;
}

void expect_seq_increasing_per_shard(const std::vector<QueueRecord>& records) {
  std::map<std::uint32_t, std::uint64_t> last;
  for (const auto& r : records) {
    auto it = last.find(r.shard);
    if (it != last.end()) {
      EXPECT_GT(r.seq, it->second) << "shard " << r.shard;
    }
    last[r.shard] = r.seq;
  }
}

TEST_P(QueueContract, AppendPollAckKeepsEachSessionInOrder) {
  ASSERT_EQ(append_sync(*queue_, events(10, 2, 0)), AppendStatus::kDurable);
  ASSERT_EQ(append_sync(*queue_, events(10, 2, 20)), AppendStatus::kDurable);
  auto records = poll_n(*queue_, 40, milliseconds(10000));
  ASSERT_EQ(records.size(), 40U);
  std::map<std::string, int> last_n;
  for (const auto& r : records) {
    auto d = decode(r.payload);
    ASSERT_GE(d.n, 0);
    auto it = last_n.find(d.session);
    if (it != last_n.end()) {
      EXPECT_GT(d.n, it->second) << "session " << d.session;
    }
    last_n[d.session] = d.n;
    if (!backend_->sharded()) {
      EXPECT_EQ(r.shard, 0U);
    }
  }
  EXPECT_EQ(numbers_of(records).size(), 40U);
  expect_seq_increasing_per_shard(records);
  EXPECT_TRUE(queue_->poll(100, milliseconds(300)).empty()) << "records are handed out once";
  ack_all(*queue_, records);
  EXPECT_TRUE(queue_->healthy());
}

TEST_P(QueueContract, CallbacksRunInAppendOrder) {
  constexpr int kAppends = 300;
  std::mutex mu;
  std::vector<int> order;
  std::vector<AppendStatus> statuses;
  std::promise<void> all_done;
  for (int i = 0; i < kAppends; ++i) {
    queue_->append({event_payload("s" + std::to_string(i % 7), i)}, [&, i](AppendStatus s) {
      std::lock_guard lock(mu);
      order.push_back(i);
      statuses.push_back(s);
      if (static_cast<int>(order.size()) == kAppends) all_done.set_value();
    });
  }
  all_done.get_future().wait();
  for (int i = 0; i < kAppends; ++i) {
    EXPECT_EQ(order[i], i);
    EXPECT_EQ(statuses[i], AppendStatus::kDurable);
  }
  EXPECT_EQ(poll_n(*queue_, kAppends, milliseconds(10000)).size(),
            static_cast<std::size_t>(kAppends));
}

TEST_P(QueueContract, ConcurrentAppendersEachRecordOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> completions;
      std::mutex mu;
      std::promise<void> done;
      for (int i = 0; i < kPerThread; ++i) {
        int n = t * kPerThread + i;
        queue_->append({event_payload("t" + std::to_string(t) + "-" + std::to_string(i % 5), n)},
                       [&, i](AppendStatus s) {
                         if (s != AppendStatus::kDurable) failures.fetch_add(1);
                         std::lock_guard lock(mu);
                         completions.push_back(i);
                         if (completions.size() == kPerThread) done.set_value();
                       });
      }
      done.get_future().wait();
      std::lock_guard lock(mu);
      for (int i = 0; i < kPerThread; ++i) {
        if (completions[i] != i) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto records = poll_n(*queue_, kThreads * kPerThread, milliseconds(10000));
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(numbers_of(records).size(), static_cast<std::size_t>(kThreads * kPerThread));
  expect_seq_increasing_per_shard(records);
}

TEST_P(QueueContract, UnackedAreRedeliveredAfterReopenAndAckedAreNot) {
  ASSERT_EQ(append_sync(*queue_, events(8, 5)), AppendStatus::kDurable);
  auto records = poll_n(*queue_, 40, milliseconds(10000));
  ASSERT_EQ(records.size(), 40U);
  // Ack the first half of every shard.
  std::map<std::uint32_t, std::vector<const QueueRecord*>> by_shard;
  for (const auto& r : records) by_shard[r.shard].push_back(&r);
  std::set<int> unacked;
  std::map<int, std::pair<std::uint32_t, std::uint64_t>> position;  // n -> shard, seq
  for (auto& [shard, list] : by_shard) {
    std::size_t half = list.size() / 2;
    if (half > 0) queue_->ack(shard, list[half - 1]->seq);
    for (std::size_t i = half; i < list.size(); ++i) unacked.insert(decode(list[i]->payload).n);
    for (const auto* r : list) position[decode(r->payload).n] = {r->shard, r->seq};
  }
  ASSERT_FALSE(unacked.empty());

  reopen();
  auto again = poll_n(*queue_, unacked.size(), milliseconds(10000));
  EXPECT_EQ(numbers_of(again), unacked);
  EXPECT_TRUE(queue_->poll(100, milliseconds(300)).empty()) << "acked records came back";
  // A record keeps its shard and seq across restarts.
  for (const auto& r : again) {
    EXPECT_EQ(position[decode(r.payload).n], std::make_pair(r.shard, r.seq));
  }
  ack_all(*queue_, again);

  reopen();
  EXPECT_TRUE(queue_->poll(100, milliseconds(500)).empty());
  ASSERT_EQ(append_sync(*queue_, {event_payload("late", 1000)}), AppendStatus::kDurable);
  auto late = poll_n(*queue_, 1, milliseconds(10000));
  ASSERT_EQ(late.size(), 1U);
  EXPECT_EQ(decode(late[0].payload).n, 1000);
}

TEST_P(QueueContract, CloseWakesABlockedPollAndRefusesAppends) {
  std::atomic<bool> returned{false};
  std::size_t got = 1;
  std::thread poller([&] {
    got = queue_->poll(10, milliseconds(60000)).size();
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(returned.load());
  auto start = std::chrono::steady_clock::now();
  queue_->close();
  poller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(got, 0U);
  EXPECT_EQ(append_sync(*queue_, {event_payload("s", 1)}), AppendStatus::kFailed);
  EXPECT_FALSE(queue_->healthy());
  EXPECT_TRUE(queue_->poll(10, milliseconds(0)).empty());
}

TEST_P(QueueContract, PayloadsAreBinarySafe) {
  std::vector<std::string> payloads = {std::string("\0\0\0", 3), std::string("a\0b\r\n\xff\xfe", 7),
                                       std::string(1, '\0'), std::string(100000, '\0') + "end"};
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  payloads.push_back(all_bytes);
  ASSERT_EQ(append_sync(*queue_, payloads), AppendStatus::kDurable);
  auto records = poll_n(*queue_, payloads.size(), milliseconds(10000));
  ASSERT_EQ(records.size(), payloads.size());
  // Records that are not events all go to one shard, so they keep their order.
  for (std::size_t i = 0; i < payloads.size(); ++i) EXPECT_EQ(records[i].payload, payloads[i]);
}

TEST_P(QueueContract, SeqStrictlyIncreasesWithinAShard) {
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_EQ(append_sync(*queue_, events(3, 10, batch * 30)), AppendStatus::kDurable);
  }
  auto records = poll_n(*queue_, 600, milliseconds(10000));
  ASSERT_EQ(records.size(), 600U);
  expect_seq_increasing_per_shard(records);
  std::set<std::pair<std::uint32_t, std::uint64_t>> unique;
  for (const auto& r : records) unique.emplace(r.shard, r.seq);
  EXPECT_EQ(unique.size(), 600U);
}

DeadLetter letter_of(const QueueRecord& r, std::string reason) {
  DeadLetter l;
  l.shard = r.shard;
  l.seq = r.seq;
  l.reason = std::move(reason);
  l.payload = r.payload;
  return l;
}

TEST_P(QueueContract, ADeadLetterKeepsTheRecordAndReasonAcrossARestart) {
  const std::string bad("\x09not a record\0\xff", 16);
  ASSERT_EQ(append_sync(*queue_, {event_payload("s", 1), bad, event_payload("s", 2)}),
            AppendStatus::kDurable);
  auto records = poll_n(*queue_, 3, milliseconds(10000));
  ASSERT_EQ(records.size(), 3U);
  const QueueRecord* bad_record = nullptr;
  for (const auto& r : records) {
    if (r.payload == bad) bad_record = &r;
  }
  ASSERT_NE(bad_record, nullptr);
  const std::int64_t before = core::now_ms();
  queue_->dead_letter({letter_of(*bad_record, "unknown record format version 9")});
  ack_all(*queue_, records);

  // Readable next to the open queue, as the admin command does it.
  auto offline = backend_->read_dead_letters(10);
  ASSERT_TRUE(offline) << offline.error().message;
  ASSERT_EQ(offline->size(), 1U);
  EXPECT_EQ((*offline)[0].payload, bad);

  reopen();
  EXPECT_TRUE(queue_->poll(10, milliseconds(300)).empty()) << "the dead letter was acked";
  auto letters = queue_->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].shard, bad_record->shard);
  EXPECT_EQ(letters[0].seq, bad_record->seq);
  EXPECT_EQ(letters[0].reason, "unknown record format version 9");
  EXPECT_EQ(letters[0].payload, bad);
  EXPECT_EQ(letters[0].size, bad.size());
  // The queue's clock (Redis: the server's), so only a loose check.
  EXPECT_GT(letters[0].time_ms, before - 60'000);
  EXPECT_LT(letters[0].time_ms, core::now_ms() + 60'000);
}

TEST_P(QueueContract, DeadLettersAreListedOnceEachNewestLast) {
  ASSERT_EQ(append_sync(*queue_, events(1, 4)), AppendStatus::kDurable);
  auto records = poll_n(*queue_, 4, milliseconds(10000));
  ASSERT_EQ(records.size(), 4U);
  queue_->dead_letter({letter_of(records[0], "a"), letter_of(records[1], "b")});
  // Set aside again, as after a crash between dead_letter() and ack().
  queue_->dead_letter({letter_of(records[1], "b"), letter_of(records[2], "c")});
  queue_->dead_letter({letter_of(records[3], "d")});
  queue_->dead_letter({});

  auto all = queue_->dead_letters(100);
  std::vector<std::string> reasons;
  for (const auto& l : all) reasons.push_back(l.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"a", "b", "c", "d"}));
  auto newest = queue_->dead_letters(2);
  ASSERT_EQ(newest.size(), 2U);
  EXPECT_EQ(newest[0].reason, "c");
  EXPECT_EQ(newest[1].reason, "d");
  EXPECT_EQ(newest[1].seq, records[3].seq);
}

INSTANTIATE_TEST_SUITE_P(Backends, QueueContract,
                         ::testing::Values(Kind::kLocalLog, Kind::kRedisStreams),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kLocalLog ? "LocalLog" : "RedisStreams";
                         });

}  // namespace
}  // namespace bklit::queue::contract
