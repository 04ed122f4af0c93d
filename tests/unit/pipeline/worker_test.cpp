#include "bklit/pipeline/worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "bklit/core/clock.hpp"
#include "fake_queue.hpp"
#include "fake_sink.hpp"
#include "test_events.hpp"

namespace bklit::pipeline {
namespace {

using testing::custom;
using testing::eventually;
using testing::FakeQueue;
using testing::FakeSink;
using testing::fast_options;
using testing::kMinute;
using testing::kSid;
using testing::kT0;
using testing::pageview;
using testing::session_end;

std::uint64_t push(FakeQueue& queue, const core::Event& e, std::uint32_t shard = 0) {
  return queue.push(shard, core::encode_event(e));
}

bool all_acked(const FakeQueue& queue) { return queue.unacked() == 0; }

TEST(WorkerTest, WritesEventsAndOneSessionRowThenAcks) {
  FakeQueue queue;
  FakeSink sink;
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 10'000, "/pricing"));
  push(queue, custom(kSid, kT0 + 20'000));
  push(queue, session_end(kSid, kT0 + 60'000));

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();

  auto events = sink.events();
  ASSERT_EQ(events.size(), 3u);  // session_end only updates the session
  EXPECT_EQ(events[0].event.pathname, "/");
  EXPECT_EQ(events[2].event.type, core::EventType::kCustom);
  auto inserts = sink.session_inserts();
  ASSERT_EQ(inserts.size(), 1u);
  ASSERT_EQ(inserts[0].rows.size(), 1u);
  const auto& row = inserts[0].rows[0];
  EXPECT_EQ(row.pageviews, 2u);
  EXPECT_EQ(row.events, 1u);
  EXPECT_FALSE(row.is_bounce());
  EXPECT_EQ(row.duration_ms(), 60'000);
  EXPECT_EQ(row.entry_page, "/");
  EXPECT_EQ(row.exit_page, "/pricing");
  EXPECT_EQ(sink.event_inserts()[0].token, "0:1-4");
  EXPECT_EQ(inserts[0].token, "s0:1-4");
  EXPECT_EQ(queue.acked(0), 4u);
  auto stats = worker.stats();
  EXPECT_EQ(stats.events_written, 3u);
  EXPECT_EQ(stats.sessions_written, 1u);
  EXPECT_EQ(stats.batches, 1u);
}

TEST(WorkerTest, AcksEveryShardOfABatch) {
  FakeQueue queue;
  FakeSink sink;
  const std::string other = std::to_string(kT0) + "-other";
  push(queue, pageview(kSid, kT0, "/"), 0);
  push(queue, pageview(other, kT0, "/"), 1);
  push(queue, pageview(kSid, kT0 + 1, "/a"), 0);
  push(queue, pageview(other, kT0 + 1, "/b"), 1);
  push(queue, pageview(other, kT0 + 2, "/c"), 1);

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(queue.acked(0), 2u);
  EXPECT_EQ(queue.acked(1), 3u);
  ASSERT_EQ(sink.event_inserts().size(), 1u);
  EXPECT_EQ(sink.event_inserts()[0].token, "0:1-2,1:1-3");
  EXPECT_EQ(sink.session(kSid)->pageviews, 2u);
  EXPECT_EQ(sink.session(other)->pageviews, 3u);
}

TEST(WorkerTest, EventsAfterTheTimeoutAreStoredUnderTheNewSession) {
  FakeQueue queue;
  FakeSink sink;
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 45 * kMinute, "/again"));
  push(queue, custom(kSid, kT0 + 46 * kMinute));

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();

  auto events = sink.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event.session_id, kSid);
  EXPECT_EQ(events[1].event.session_id, kSid + "/2");
  EXPECT_EQ(events[2].event.session_id, kSid + "/2");
  EXPECT_EQ(sink.session(kSid)->pageviews, 1u);
  EXPECT_EQ(sink.session(kSid + "/2")->pageviews, 1u);
  EXPECT_EQ(sink.session(kSid + "/2")->events, 1u);
}

TEST(WorkerTest, ReplayAfterACrashBeforeTheAckCountsNothingTwice) {
  FakeQueue queue;
  FakeSink sink;
  queue.set_lose_acks(true);  // the process dies after writing, before the ack is durable
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 1'000, "/a"));
  push(queue, custom(kSid, kT0 + 2'000));
  {
    Worker crashed(queue, sink, fast_options());
    crashed.start();
    ASSERT_TRUE(eventually([&] { return sink.events().size() == 3; }));
    crashed.stop();
  }
  EXPECT_EQ(queue.unacked(), 3u);

  queue.restart();
  queue.set_lose_acks(false);
  push(queue, pageview(kSid, kT0 + 3'000, "/b"));
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();

  auto events = sink.events();
  std::set<std::string> ids;
  for (const auto& e : events) ids.insert(e.event.event_id);
  EXPECT_EQ(events.size(), 4u);
  EXPECT_EQ(ids.size(), 4u);
  auto row = sink.session(kSid);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->pageviews, 3u);
  EXPECT_EQ(row->events, 1u);
  EXPECT_EQ(row->exit_page, "/b");
  EXPECT_EQ(worker.stats().replays_skipped, 3u);
}

TEST(WorkerTest, CrashBetweenEventsAndSessionsInsertsIsRepaired) {
  FakeQueue queue;
  FakeSink sink;
  sink.set_fail_sessions(true);
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 1'000, "/a"));
  {
    Worker crashed(queue, sink, fast_options());
    crashed.start();
    ASSERT_TRUE(eventually([&] { return sink.events().size() == 2; }));
    crashed.stop();  // gives up on the failing insert without acking
  }
  EXPECT_EQ(queue.acked(0), 0u);
  EXPECT_FALSE(sink.session(kSid));

  sink.set_fail_sessions(false);
  queue.restart();
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(sink.events().size(), 2u);
  ASSERT_TRUE(sink.session(kSid));
  EXPECT_EQ(sink.session(kSid)->pageviews, 2u);
}

TEST(WorkerTest, StoreOutageIsRetriedAndAckedOnlyAfterBothInserts) {
  FakeQueue queue;
  FakeSink sink;
  // What the queue had acked when each write was attempted.
  std::vector<std::pair<std::string, std::uint64_t>> writes;
  sink.on_call([&](const std::string& method) {
    if (method.starts_with("write_")) writes.emplace_back(method, queue.acked(0));
  });
  sink.fail_next(1, "max_event_seq");
  sink.fail_next(1, "load_sessions");
  sink.fail_next(3, "write_events");
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, custom(kSid, kT0 + 1'000));

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  EXPECT_EQ(sink.events().size(), 2u);
  EXPECT_EQ(sink.event_inserts().size(), 1u);
  EXPECT_EQ(sink.session_inserts().size(), 1u);
  EXPECT_EQ(sink.session(kSid)->pageviews, 1u);
  EXPECT_EQ(sink.session(kSid)->events, 1u);
  EXPECT_EQ(worker.stats().retries, 5u);

  // Only the sessions insert fails: the confirmed events insert is not sent again.
  sink.fail_next(2, "write_sessions");
  push(queue, pageview(kSid, kT0 + 2'000, "/next"));
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(sink.events().size(), 3u);
  EXPECT_EQ(sink.session(kSid)->pageviews, 2u);
  EXPECT_EQ(worker.stats().retries, 7u);
  using Write = std::pair<std::string, std::uint64_t>;
  EXPECT_EQ(writes, (std::vector<Write>{{"write_events", 0},
                                        {"write_events", 0},
                                        {"write_events", 0},
                                        {"write_events", 0},
                                        {"write_sessions", 0},
                                        {"write_events", 2},
                                        {"write_sessions", 2},
                                        {"write_sessions", 2},
                                        {"write_sessions", 2}}));
  EXPECT_EQ(queue.ack_calls(),
            (std::vector<std::pair<std::uint32_t, std::uint64_t>>{{0, 2}, {0, 3}}));
}

TEST(WorkerTest, TheNextBatchIsTakenWhileOneIsStoredAndAcksStayInOrder) {
  FakeQueue queue;
  FakeSink sink;
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_open = false;
  int event_writes = 0;
  // The first events insert hangs until the test lets it through (a slow store).
  sink.on_call([&](const std::string& method) {
    if (method != "write_events" || event_writes++ > 0) return;
    std::unique_lock lock(gate_mu);
    gate_cv.wait(lock, [&] { return gate_open; });
  });
  for (int i = 0; i < 10; ++i) push(queue, pageview(kSid, kT0 + i * 1'000, "/p"));
  WorkerOptions options = fast_options();
  options.batch_max_events = 5;
  Worker worker(queue, sink, options);
  worker.start();
  // While the first batch is being stored, the second is already taken from the queue; nothing
  // is acked before the first batch's inserts are confirmed.
  ASSERT_TRUE(eventually([&] { return queue.delivered() == 10; }));
  EXPECT_EQ(queue.acked(0), 0u);
  {
    std::lock_guard lock(gate_mu);
    gate_open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(queue.ack_calls(),
            (std::vector<std::pair<std::uint32_t, std::uint64_t>>{{0, 5}, {0, 10}}));
  auto inserts = sink.event_inserts();
  ASSERT_EQ(inserts.size(), 2u);
  EXPECT_EQ(inserts[0].token, "0:1-5");
  EXPECT_EQ(inserts[1].token, "0:6-10");
  auto sessions = sink.session_inserts();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].rows.at(0).pageviews, 5u);
  EXPECT_EQ(sessions[1].rows.at(0).pageviews, 10u);
  EXPECT_EQ(worker.stats().batches, 2u);
}

TEST(WorkerTest, ABatchTakenDuringAnOutageIsNotAckedWhenTheWorkerStops) {
  FakeQueue queue;
  FakeSink sink;
  sink.fail_next(1'000'000, "write_events");  // the store is down
  for (int i = 0; i < 10; ++i) push(queue, pageview(kSid, kT0 + i * 1'000, "/p"));
  WorkerOptions options = fast_options();
  options.batch_max_events = 5;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.delivered() == 10; }));
  worker.stop();  // gives up on the first batch; the second one must not be written either
  EXPECT_TRUE(queue.ack_calls().empty());
  EXPECT_TRUE(sink.events().empty());
  EXPECT_TRUE(sink.session_inserts().empty());
  EXPECT_EQ(queue.unacked(), 10u);
}

TEST(WorkerTest, ABatchNeverSpansTwoMonths) {
  FakeQueue queue;
  FakeSink sink;
  const std::int64_t feb1 = 1'769'904'000'000;  // 2026-02-01T00:00:00Z
  push(queue, pageview(kSid, feb1 - 2'000, "/jan1"));
  push(queue, pageview(kSid, feb1 - 1'000, "/jan2"));
  push(queue, pageview(kSid, feb1, "/feb1"));
  push(queue, custom(kSid, feb1 - 500));  // a late January event
  push(queue, pageview(kSid, feb1 + 1'000, "/feb2"));

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();

  auto inserts = sink.event_inserts();
  ASSERT_EQ(inserts.size(), 4u);
  std::vector<std::size_t> sizes;
  for (const auto& insert : inserts) {
    sizes.push_back(insert.events.size());
    bool january = insert.events.front().event.timestamp_ms < feb1;
    for (const auto& e : insert.events) EXPECT_EQ(e.event.timestamp_ms < feb1, january);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 1, 1, 1}));
  EXPECT_EQ(inserts[0].token, "0:1-2");
  EXPECT_EQ(inserts[3].token, "0:5-5");
  EXPECT_EQ(sink.session(kSid)->pageviews, 4u);
  EXPECT_EQ(sink.session(kSid)->events, 1u);
}

TEST(WorkerTest, BatchesAreBoundedByCount) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 12; ++i) push(queue, pageview(kSid, kT0 + i, "/p"));
  WorkerOptions options = fast_options();
  options.batch_max_events = 5;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  std::vector<std::size_t> sizes;
  for (const auto& insert : sink.event_inserts()) sizes.push_back(insert.events.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 5, 2}));
  EXPECT_EQ(sink.session(kSid)->pageviews, 12u);
}

// serve's insert pacing runs in these two hooks: before_prepare on the loop thread before a
// batch is decoded, before_store on the writer thread with the batch's lag.
TEST(WorkerTest, PacingHooksRunOncePerBatchOnTheLoopAndWriterThreads) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 12; ++i) push(queue, pageview(kSid, kT0 + i, "/p"));
  std::mutex mu;
  std::set<std::thread::id> prepare_threads;
  std::set<std::thread::id> store_threads;
  int prepares = 0;
  int stores = 0;
  std::int64_t lowest_lag = -1;
  WorkerOptions options = fast_options();
  options.batch_max_events = 5;
  options.before_prepare = [&] {
    std::lock_guard lock(mu);
    ++prepares;
    prepare_threads.insert(std::this_thread::get_id());
  };
  options.before_store = [&](std::int64_t lag_ms) {
    std::lock_guard lock(mu);
    ++stores;
    store_threads.insert(std::this_thread::get_id());
    if (lowest_lag < 0 || lag_ms < lowest_lag) lowest_lag = lag_ms;
  };
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(prepares, 3);
  EXPECT_EQ(stores, 3);
  ASSERT_EQ(prepare_threads.size(), 1U);
  ASSERT_EQ(store_threads.size(), 1U);
  EXPECT_NE(*prepare_threads.begin(), *store_threads.begin());
  EXPECT_NE(*prepare_threads.begin(), std::this_thread::get_id());
  EXPECT_GE(lowest_lag, 0);
}

TEST(WorkerTest, APartialBatchIsWrittenWhenItsWaitIsOver) {
  FakeQueue queue;
  FakeSink sink;
  WorkerOptions options = fast_options();
  options.batch_max_events = 1000;
  Worker worker(queue, sink, options);
  worker.start();
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 1, "/x"));
  ASSERT_TRUE(eventually([&] { return sink.events().size() == 2; }));
  push(queue, pageview(kSid, kT0 + 2, "/y"));
  ASSERT_TRUE(eventually([&] { return sink.events().size() == 3; }));
  worker.stop();
  EXPECT_EQ(queue.acked(0), 3u);
}

TEST(WorkerTest, StopWritesWhatWasAlreadyPolled) {
  FakeQueue queue;
  FakeSink sink;
  WorkerOptions options = fast_options();
  options.batch_max_wait = std::chrono::milliseconds(60'000);
  Worker worker(queue, sink, options);
  worker.start();
  push(queue, pageview(kSid, kT0, "/"));
  ASSERT_TRUE(eventually([&] { return queue.delivered() == 1; }));
  EXPECT_TRUE(sink.events().empty());  // the batch waits for more
  worker.stop();
  EXPECT_EQ(sink.events().size(), 1u);
  EXPECT_EQ(queue.acked(0), 1u);
}

TEST(WorkerTest, ReloadsOldSdkAndVisitorSessionsWithOneCallPerProject) {
  FakeQueue queue;
  FakeSink sink;
  // Stored by an earlier worker: an SDK session already on its second generation and an
  // HTTP visitor session.
  store::SessionRow sdk;
  sdk.project_id = "proj1";
  sdk.session_id = kSid + "/2";
  sdk.start_ms = kT0 + 40 * kMinute;
  sdk.last_seen_ms = kT0 + 50 * kMinute;
  sdk.pageviews = 3;
  sdk.entry_page = "/start";
  sdk.exit_page = "/three";
  sdk.last_shard = 3;  // written before the queue was resharded
  sdk.last_seq = 500;
  sdk.version = 500;
  sink.preload(sdk);
  store::SessionRow visitor;
  visitor.project_id = "proj2";
  visitor.session_id = "v-99-1768000000000";
  visitor.start_ms = kT0;
  visitor.last_seen_ms = kT0 + kMinute;
  visitor.pageviews = 1;
  visitor.entry_page = "/api-doc";
  visitor.version = 20;
  sink.preload(visitor);

  push(queue, pageview(kSid, kT0 + 55 * kMinute, "/four"), 7);
  push(queue, pageview("1768000100000-other", kT0 + 55 * kMinute, "/x"), 7);
  push(queue, pageview("v-99-1768000000000", kT0 + 2 * kMinute, "/docs", "proj2"), 7);
  push(queue, session_end(kSid, kT0 + 56 * kMinute), 7);

  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();

  auto calls = sink.load_calls();
  ASSERT_EQ(calls.size(), 2u);
  std::map<std::string, std::vector<std::string>> by_project;
  for (const auto& call : calls) by_project[call.project_id] = call.session_ids;
  EXPECT_EQ(by_project["proj1"], (std::vector<std::string>{kSid, "1768000100000-other"}));
  EXPECT_EQ(by_project["proj2"], (std::vector<std::string>{"v-99-1768000000000"}));

  auto row = sink.session(kSid + "/2");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->pageviews, 4u);
  EXPECT_EQ(row->entry_page, "/start");
  EXPECT_EQ(row->exit_page, "/four");
  EXPECT_EQ(row->ended_ms, kT0 + 56 * kMinute);
  EXPECT_GT(row->version, 500u);
  EXPECT_EQ(sink.events()[0].event.session_id, kSid + "/2");
  EXPECT_FALSE(sink.session(kSid)) << "the first generation must not be reopened";
  EXPECT_EQ(sink.session("v-99-1768000000000")->pageviews, 2u);
}

TEST(WorkerTest, UndecodableRecordsAreDeadLetteredCountedAndAcked) {
  FakeQueue queue;
  FakeSink sink;
  push(queue, pageview(kSid, kT0, "/"));
  queue.push(0, "garbage");
  push(queue, pageview(kSid, kT0 + 1000, "/next"));
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(worker.stats().dead_letters, 1u);
  EXPECT_EQ(sink.events().size(), 2u) << "the records around the bad one are stored";
  auto letters = queue.dead_letters(10);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].seq, 2u);
  EXPECT_EQ(letters[0].payload, "garbage");
  EXPECT_EQ(letters[0].reason,
            "unknown record format version 103 (this build reads versions 1 and 2; a newer bklit "
            "may have written it)");
  EXPECT_FALSE(queue.acked_before_dead_letter());
}

TEST(WorkerTest, ABadRecordIsAckedOnlyOnceItsDeadLetterIsStored) {
  FakeQueue queue;
  FakeSink sink;
  queue.push(0, std::string("\x02\x01", 2));  // a version 2 header and nothing else
  push(queue, pageview(kSid, kT0, "/"));
  queue.fail_dead_letters(2);
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_FALSE(queue.acked_before_dead_letter());
  EXPECT_GE(worker.stats().retries, 2u);
  ASSERT_EQ(queue.dead_letters(10).size(), 1u);
  EXPECT_EQ(queue.dead_letters(10)[0].reason, "record ends inside its field count");
  EXPECT_EQ(sink.events().size(), 1u);
}

TEST(WorkerTest, MemoryStaysWithinTheSessionCap) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 300; ++i) {
    push(queue, pageview(std::to_string(kT0 + i) + "-s" + std::to_string(i), kT0 + i, "/"));
  }
  WorkerOptions options = fast_options();
  options.max_sessions = 50;
  options.batch_max_events = 100;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_LE(worker.stats().sessions_in_memory, 50u);
  EXPECT_EQ(sink.session_ids().size(), 300u);
}

TEST(WorkerTest, BatchWrittenCallbackSeesStoredRows) {
  FakeQueue queue;
  FakeSink sink;
  std::atomic<std::size_t> seen{0};
  push(queue, pageview(kSid, kT0, "/"));
  push(queue, pageview(kSid, kT0 + 31 * kMinute, "/"));
  Worker worker(queue, sink, fast_options());
  std::vector<std::string> ids;
  worker.on_batch_written([&](const auto& events, const auto& sessions) {
    for (const auto& e : events) ids.push_back(e.event->session_id);
    seen += sessions.size();
  });
  worker.start();
  ASSERT_TRUE(eventually([&] { return all_acked(queue); }));
  worker.stop();
  EXPECT_EQ(ids, (std::vector<std::string>{kSid, kSid + "/2"}));
  EXPECT_EQ(seen.load(), 2u);
}

TEST(WorkerTest, AShardTakenBackFromAnotherWorkerIsReloadedFromTheStore) {
  // Worker A handles a session on shard 3, the shard moves to worker B (which stores more of
  // the session), then back to A: A must not continue from its stale in-memory state.
  FakeSink sink;
  FakeQueue queue_a, queue_b;
  const auto pv1 = core::encode_event(pageview(kSid, kT0, "/"));
  const auto pv2 = core::encode_event(pageview(kSid, kT0 + 10'000, "/a"));
  const auto pv3 = core::encode_event(pageview(kSid, kT0 + 20'000, "/b"));
  Worker a(queue_a, sink, fast_options());
  a.start();
  queue_a.push(3, pv1, 1);
  ASSERT_TRUE(eventually([&] { return all_acked(queue_a); }));

  {
    Worker b(queue_b, sink, fast_options());
    queue_b.push(3, pv1, 1);  // A's last record was not acked as far as B can tell: replayed
    queue_b.push(3, pv2, 2);
    b.start();
    ASSERT_TRUE(eventually([&] { return all_acked(queue_b); }));
    b.stop();
  }

  queue_a.announce_shard_change(3, true);
  queue_a.push(3, pv3, 3);
  ASSERT_TRUE(eventually([&] { return all_acked(queue_a); }));
  a.stop();

  auto events = sink.events();
  ASSERT_EQ(events.size(), 3u);  // pv1 once, pv2, pv3
  auto inserts = sink.session_inserts();
  ASSERT_FALSE(inserts.empty());
  const auto& last = inserts.back().rows.back();
  EXPECT_EQ(last.pageviews, 3u);
  EXPECT_EQ(last.exit_page, "/b");
  EXPECT_EQ(last.entry_page, "/");
  EXPECT_EQ(last.last_seq, 3u);
}

}  // namespace
}  // namespace bklit::pipeline
