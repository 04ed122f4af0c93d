#include "bklit/queue/local_log.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "local_log_test_util.hpp"

namespace bklit::queue::testing {
namespace {

using std::chrono::milliseconds;

TEST(LocalLog, AppendPollAckRoundTrip) {
  TempDir tmp;
  auto log = open_or_fail(test_options(tmp.log_dir()));
  ASSERT_TRUE(log);
  EXPECT_TRUE(log->healthy());
  EXPECT_EQ(log->backlog_bytes(), 0U);

  EXPECT_EQ(append_sync(*log, {"alpha", "beta"}), AppendStatus::kDurable);
  EXPECT_EQ(append_sync(*log, {"gamma"}), AppendStatus::kDurable);
  EXPECT_GT(log->backlog_bytes(), 0U);

  auto records = log->poll(10, milliseconds(1000));
  EXPECT_EQ(seqs_of(records), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(payloads_of(records), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  for (const auto& record : records) EXPECT_EQ(record.shard, 0U);

  EXPECT_TRUE(log->poll(10, milliseconds(0)).empty()) << "records are handed out once";
  log->ack(0, 3);
  EXPECT_EQ(log->backlog_bytes(), 0U);
}

TEST(LocalLog, PollRespectsMaxRecordsAndWaitsForAppends) {
  TempDir tmp;
  auto log = open_or_fail(test_options(tmp.log_dir()));
  ASSERT_TRUE(log);
  ASSERT_EQ(append_sync(*log, {"1", "2", "3", "4", "5"}), AppendStatus::kDurable);
  EXPECT_EQ(seqs_of(log->poll(2, milliseconds(0))), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(seqs_of(log->poll(10, milliseconds(0))), (std::vector<std::uint64_t>{3, 4, 5}));

  std::thread producer([&] { EXPECT_EQ(append_sync(*log, {"6"}), AppendStatus::kDurable); });
  auto records = log->poll(10, milliseconds(60000));  // returns as soon as "6" is durable
  producer.join();
  EXPECT_EQ(payloads_of(records), (std::vector<std::string>{"6"}));
}

TEST(LocalLog, CallbacksKeepPerThreadOrderUnderConcurrentAppends) {
  TempDir tmp;
  auto log = open_or_fail(test_options(tmp.log_dir()));
  ASSERT_TRUE(log);
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 400;
  std::vector<std::vector<int>> completions(kThreads);
  std::atomic<int> pending{kThreads * kAppendsPerThread};
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        std::vector<std::string> payloads{std::to_string(t) + ":" + std::to_string(i)};
        if (i % 3 == 0) payloads.push_back(std::to_string(t) + ":" + std::to_string(i) + "b");
        // Callbacks run on the queue thread only, one at a time, so no lock is needed.
        log->append(std::move(payloads), [&, t, i](AppendStatus status) {
          if (status != AppendStatus::kDurable) ++failures;
          completions[t].push_back(i);
          --pending;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  log->close();  // completes every pending append
  EXPECT_EQ(pending.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(completions[t].size(), static_cast<std::size_t>(kAppendsPerThread));
    for (int i = 0; i < kAppendsPerThread; ++i) EXPECT_EQ(completions[t][i], i);
  }

  log.reset();
  log = open_or_fail(test_options(tmp.log_dir()));
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  std::vector<std::string> last_of_thread(kThreads);
  std::vector<int> next_index(kThreads, 0);
  for (std::size_t k = 0; k < records.size(); ++k) {
    EXPECT_EQ(records[k].seq, k + 1);
    const std::string& payload = records[k].payload;
    const int t = std::stoi(payload.substr(0, payload.find(':')));
    const int i = std::stoi(payload.substr(payload.find(':') + 1));
    // A thread's records appear in its append order, the extra "b" right after its twin.
    if (payload.back() == 'b') {
      EXPECT_EQ(last_of_thread[t], payload.substr(0, payload.size() - 1));
    } else {
      EXPECT_EQ(i, next_index[t]++);
    }
    last_of_thread[t] = payload;
  }
  EXPECT_EQ(records.size(), static_cast<std::size_t>(kThreads * (kAppendsPerThread + 134)));
}

TEST(LocalLog, RestartRedeliversExactlyTheUnackedRecordsAndContinuesSeqs) {
  TempDir tmp;
  const auto options = test_options(tmp.log_dir());
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    for (int i = 1; i <= 10; ++i) {
      ASSERT_EQ(append_sync(*log, {"r" + std::to_string(i)}), AppendStatus::kDurable);
    }
    ASSERT_EQ(poll_all(*log).size(), 10U);
    log->ack(0, 6);
  }
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    auto records = poll_all(*log);
    EXPECT_EQ(seqs_of(records), (std::vector<std::uint64_t>{7, 8, 9, 10}));
    EXPECT_EQ(payloads_of(records), (std::vector<std::string>{"r7", "r8", "r9", "r10"}));
    EXPECT_GT(log->backlog_bytes(), 0U);
    ASSERT_EQ(append_sync(*log, {"r11"}), AppendStatus::kDurable);
    EXPECT_EQ(seqs_of(log->poll(10, milliseconds(1000))), (std::vector<std::uint64_t>{11}));
    log->ack(0, 11);
    EXPECT_EQ(log->backlog_bytes(), 0U);
  }
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    EXPECT_TRUE(poll_all(*log).empty());
    EXPECT_EQ(log->backlog_bytes(), 0U);
    ASSERT_EQ(append_sync(*log, {"r12"}), AppendStatus::kDurable);
    EXPECT_EQ(seqs_of(log->poll(10, milliseconds(1000))), (std::vector<std::uint64_t>{12}));
  }
}

TEST(LocalLog, AckIsClampedToWhatPollHandedOut) {
  TempDir tmp;
  const auto options = test_options(tmp.log_dir());
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    ASSERT_EQ(append_sync(*log, {"a", "b", "c"}), AppendStatus::kDurable);
    ASSERT_EQ(log->poll(1, milliseconds(0)).size(), 1U);
    log->ack(0, 100);
    EXPECT_EQ(seqs_of(poll_all(*log)), (std::vector<std::uint64_t>{2, 3}));
  }
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  EXPECT_EQ(seqs_of(poll_all(*log)), (std::vector<std::uint64_t>{2, 3}));
}

TEST(LocalLog, RotatesSegmentsAndDeletesFullyAckedOnes) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.segment_bytes = 1024;
  const std::string payload(100, 'x');  // 116 bytes framed: 8 records per segment
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    for (int i = 0; i < 40; ++i) ASSERT_EQ(append_sync(*log, {payload}), AppendStatus::kDurable);
    ASSERT_EQ(append_sync(*log, std::vector<std::string>(8, payload)), AppendStatus::kDurable);
    auto files = segment_files(options.dir);
    ASSERT_EQ(files.size(), 6U);
    EXPECT_EQ(files.front().filename(), "00000000000000000001.log");
    EXPECT_EQ(files[1].filename(), "00000000000000000009.log");
    for (const auto& file : files) EXPECT_LE(std::filesystem::file_size(file), 1024U);

    ASSERT_EQ(poll_all(*log).size(), 48U);
    log->ack(0, 20);  // segments 1-8 and 9-16 are fully acked, 17-24 is not
    files = segment_files(options.dir);
    ASSERT_EQ(files.size(), 4U);
    EXPECT_EQ(files.front().filename(), "00000000000000000017.log");
  }
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  ASSERT_EQ(records.size(), 28U);
  EXPECT_EQ(records.front().seq, 21U);
  EXPECT_EQ(records.back().seq, 48U);
  for (const auto& record : records) EXPECT_EQ(record.payload, payload);
  log->ack(0, 48);
  EXPECT_EQ(segment_files(options.dir).size(), 1U) << "the active segment is kept";
  ASSERT_EQ(append_sync(*log, {payload}), AppendStatus::kDurable);
  EXPECT_EQ(seqs_of(log->poll(10, milliseconds(1000))), (std::vector<std::uint64_t>{49}));
}

TEST(LocalLog, RecordLargerThanASegmentGetsItsOwnSegment) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.segment_bytes = 256;
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  const std::string big(1000, 'b');
  ASSERT_EQ(append_sync(*log, {"small", big, "after"}), AppendStatus::kDurable);
  EXPECT_EQ(segment_files(options.dir).size(), 3U);
  log.reset();
  log = open_or_fail(options);
  ASSERT_TRUE(log);
  EXPECT_EQ(payloads_of(poll_all(*log)), (std::vector<std::string>{"small", big, "after"}));
}

TEST(LocalLog, PollReadsFromDiskWhenTheMemoryTailIsTooSmall) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.segment_bytes = 4096;
  options.max_memory_tail_bytes = 0;
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    expected.push_back("event-" + std::to_string(i) +
                       std::string(static_cast<std::size_t>(i), 'p'));
    ASSERT_EQ(append_sync(*log, {expected.back()}), AppendStatus::kDurable);
  }
  std::vector<QueueRecord> records;
  for (;;) {
    auto batch = log->poll(7, milliseconds(0));
    if (batch.empty()) break;
    for (auto& record : batch) records.push_back(std::move(record));
  }
  EXPECT_EQ(payloads_of(records), expected);
  EXPECT_EQ(records.back().seq, 300U);
}

TEST(LocalLog, BacklogBoundAnswersOverloadedAndStoresNothing) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.max_backlog_bytes = 1000;
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    ASSERT_EQ(append_sync(*log, {std::string(500, 'a')}), AppendStatus::kDurable);
    EXPECT_EQ(append_sync(*log, {std::string(300, 'b'), std::string(300, 'c')}),
              AppendStatus::kOverloaded);
    EXPECT_EQ(log->backlog_bytes(), 516U);
    EXPECT_TRUE(log->healthy());
    ASSERT_EQ(append_sync(*log, {std::string(468, 'd')}), AppendStatus::kDurable);
    EXPECT_EQ(log->backlog_bytes(), 1000U);
    EXPECT_FALSE(log->healthy()) << "full backlog";
    EXPECT_EQ(append_sync(*log, {"e"}), AppendStatus::kOverloaded);

    auto records = poll_all(*log);
    EXPECT_EQ(seqs_of(records), (std::vector<std::uint64_t>{1, 2}));
    log->ack(0, 2);
    EXPECT_TRUE(log->healthy());
    EXPECT_EQ(append_sync(*log, {"f"}), AppendStatus::kDurable);
  }
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  EXPECT_EQ(payloads_of(records), (std::vector<std::string>{"f"}));
  EXPECT_EQ(seqs_of(records), (std::vector<std::uint64_t>{3}));
}

TEST(LocalLog, LockRefusesASecondOpenOfTheSameDirectory) {
  TempDir tmp;
  const auto options = test_options(tmp.log_dir());
  auto first = open_or_fail(options);
  ASSERT_TRUE(first);
  auto second = open_local_log(options);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "queue_locked");
  first.reset();
  EXPECT_TRUE(open_local_log(options)) << "the lock is released with the log";
}

TEST(LocalLog, DirectoryThatIsAFileIsAnError) {
  TempDir tmp;
  const auto path = tmp.path() / "not-a-dir";
  write_file(path, "x");
  auto log = open_local_log(test_options(path.string()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, "queue_dir");
  auto empty = open_local_log(test_options(""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "invalid_options");
}

TEST(LocalLog, CloseCompletesPendingAppendsWakesPollsAndRefusesNewAppends) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.group_commit_window = std::chrono::microseconds(50000);
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);

  std::atomic<bool> got_first{false};
  std::vector<QueueRecord> polled_after_close{QueueRecord{}};
  std::thread poller([&] {
    auto first = log->poll(100, milliseconds(60000));  // gets the record appended below
    EXPECT_EQ(first.size(), 1U);
    got_first = true;
    polled_after_close = log->poll(100, milliseconds(600000));  // blocks until close
  });
  std::atomic<int> statuses{-1};
  log->append({"pending"}, [&](AppendStatus status) { statuses = static_cast<int>(status); });
  while (!got_first.load()) std::this_thread::yield();
  log->close();
  poller.join();
  EXPECT_EQ(statuses.load(), static_cast<int>(AppendStatus::kDurable));
  EXPECT_TRUE(polled_after_close.empty());
  EXPECT_FALSE(log->healthy());
  EXPECT_EQ(append_sync(*log, {"late"}), AppendStatus::kFailed);
  log->close();  // idempotent
}

TEST(LocalLog, CloseFlushesAppendsStillInTheWindow) {
  TempDir tmp;
  auto options = test_options(tmp.log_dir());
  options.group_commit_window = std::chrono::seconds(30);
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    std::atomic<int> durable{0};
    for (int i = 0; i < 5; ++i) {
      log->append({"w" + std::to_string(i)}, [&](AppendStatus status) {
        if (status == AppendStatus::kDurable) ++durable;
      });
    }
    log->close();
    EXPECT_EQ(durable.load(), 5);
  }
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  EXPECT_EQ(poll_all(*log).size(), 5U);
}

}  // namespace
}  // namespace bklit::queue::testing
