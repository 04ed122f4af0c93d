// Rows the store rejects for their data (StoreError::rejects_data): the worker sets exactly
// those aside as dead letters, stores the rest, acks and goes on (docs/architecture.md,
// "Rejected rows").

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bklit/core/clock.hpp"
#include "bklit/pipeline/worker.hpp"
#include "fake_queue.hpp"
#include "fake_sink.hpp"
#include "test_events.hpp"

namespace bklit::pipeline {
namespace {

using testing::custom;
using testing::data_rejection;
using testing::eventually;
using testing::fast_options;
using testing::FakeQueue;
using testing::FakeSink;
using testing::kSid;
using testing::kT0;
using testing::pageview;
using testing::session_end;

std::string sid(int n) { return std::to_string(kT0) + "-s" + std::to_string(n); }

core::Event named(core::Event e, const std::string& id) {
  e.event_id = id;
  return e;
}

// How often each event id reached the events table.
std::map<std::string, int> stored_counts(const FakeSink& sink) {
  std::map<std::string, int> counts;
  for (const auto& e : sink.events()) ++counts[e.event.event_id];
  return counts;
}

// The events of each shard reached the table in seq order, insert after insert.
bool in_seq_order_per_shard(const FakeSink& sink) {
  std::map<std::uint32_t, std::uint64_t> last;
  for (const auto& e : sink.events()) {
    if (e.seq <= last[e.shard]) return false;
    last[e.shard] = e.seq;
  }
  return true;
}

TEST(RejectedRows, OneBadEventInAThousandIsSetAsideAndTheWorkerGoesOn) {
  FakeQueue queue;
  FakeSink sink;
  std::string bad_payload;
  for (int i = 0; i < 1000; ++i) {
    auto e = named(pageview(sid(i % 10), kT0 + i, "/p"), "ev" + std::to_string(i));
    std::string payload = core::encode_event(e);
    if (i == 437) bad_payload = payload;
    queue.push(0, std::move(payload));
  }
  sink.reject_event("ev437");
  WorkerOptions options = fast_options();
  options.batch_max_events = 1000;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 1000; }));

  // The next batch is stored as usual.
  for (int i = 0; i < 10; ++i) {
    queue.push(0, core::encode_event(
                      named(pageview(sid(i), kT0 + 2000 + i, "/n"), "next" + std::to_string(i))));
  }
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 1010; }));
  worker.stop();

  auto counts = stored_counts(sink);
  EXPECT_EQ(counts.size(), 1009U);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id << " stored " << n << " times";
  EXPECT_FALSE(counts.contains("ev437"));
  EXPECT_TRUE(in_seq_order_per_shard(sink));

  auto letters = queue.dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].shard, 0U);
  EXPECT_EQ(letters[0].seq, 438U);
  EXPECT_EQ(letters[0].reason, data_rejection("bad value in event ev437").what());
  EXPECT_EQ(letters[0].payload, bad_payload);
  EXPECT_FALSE(queue.acked_before_dead_letter());

  // Three tries of the whole batch, then halves down to the one event: about two inserts a
  // level, each under its own token derived from the batch's.
  auto calls = sink.event_calls();
  ASSERT_GE(calls.size(), 5U);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(calls[i].token, "0:1-1000");
  EXPECT_EQ(calls[3].token, "0:1-1000/0:1-500");
  EXPECT_EQ(calls[3].rows, 500U);
  EXPECT_LE(calls.size(), 3U + 2U * 10U + 1U);
  std::set<std::string> part_tokens;
  for (std::size_t i = 3; i + 1 < calls.size(); ++i) part_tokens.insert(calls[i].token);
  EXPECT_EQ(part_tokens.size(), calls.size() - 4) << "every part has a token of its own";
  EXPECT_EQ(calls.back().token, "0:1001-1010");

  // The session the event belonged to does not count it.
  EXPECT_EQ(sink.session(sid(7))->pageviews, 100U);
  EXPECT_EQ(sink.session(sid(6))->pageviews, 101U);

  auto stats = worker.stats();
  EXPECT_EQ(stats.rejected_events, 1U);
  EXPECT_EQ(stats.dead_letters, 0U) << "dead_letters counts undecodable records only";
  EXPECT_EQ(stats.events_written, 1009U);
  EXPECT_EQ(stats.retrying_since_ms, 0);
  EXPECT_EQ(stats.retrying_attempts, 0U);
}

TEST(RejectedRows, SeveralBadEventsOnTwoShardsIncludingTheFirstAndTheLast) {
  FakeQueue queue;
  FakeSink sink;
  const std::set<int> bad = {0, 57, 58, 123, 199};
  std::map<int, std::pair<std::uint32_t, std::uint64_t>> position;
  for (int i = 0; i < 200; ++i) {
    std::uint32_t shard = i % 3 == 0 ? 1 : 0;
    auto e = named(custom(sid(i % 7), kT0 + i), "ev" + std::to_string(i));
    position[i] = {shard, queue.push(shard, core::encode_event(e))};
    if (bad.contains(i)) sink.reject_event(e.event_id);
  }
  WorkerOptions options = fast_options();
  options.batch_max_events = 200;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.unacked() == 0; }));
  worker.stop();

  auto counts = stored_counts(sink);
  EXPECT_EQ(counts.size(), 195U);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id;
  for (int i : bad) EXPECT_FALSE(counts.contains("ev" + std::to_string(i))) << i;
  EXPECT_TRUE(in_seq_order_per_shard(sink));

  auto letters = queue.dead_letters(100);
  ASSERT_EQ(letters.size(), bad.size());
  std::set<std::pair<std::uint32_t, std::uint64_t>> lettered;
  std::set<std::pair<std::uint32_t, std::uint64_t>> expected;
  for (const auto& l : letters) lettered.emplace(l.shard, l.seq);
  for (int i : bad) expected.insert(position[i]);
  EXPECT_EQ(lettered, expected);
  // Set aside in queue order: the first rejected event first.
  EXPECT_EQ(std::make_pair(letters[0].shard, letters[0].seq), position[0]);
  EXPECT_EQ(worker.stats().rejected_events, bad.size());
  // Multi-shard parts are named by each shard's range.
  EXPECT_EQ(sink.event_calls()[0].token, "1:1-67,0:1-133");
  EXPECT_TRUE(sink.event_calls()[3].token.starts_with("1:1-67,0:1-133/1:1-34,0:1-66"))
      << sink.event_calls()[3].token;

  std::uint32_t events_total = 0;
  for (int s = 0; s < 7; ++s) events_total += sink.session(sid(s))->events;
  EXPECT_EQ(events_total, 195U) << "the sessions do not count the rejected events";
}

TEST(RejectedRows, ARejectionThatDoesNotRepeatIsNotSplit) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 20; ++i) queue.push(0, core::encode_event(pageview(kSid, kT0 + i, "/p")));
  sink.fail_next_with(1, "write_events", data_rejection("a hiccup"));
  WorkerOptions options = fast_options();
  options.batch_max_events = 20;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 20; }));
  worker.stop();

  auto inserts = sink.event_inserts();
  ASSERT_EQ(inserts.size(), 1U);
  EXPECT_EQ(inserts[0].token, "0:1-20");
  EXPECT_EQ(inserts[0].events.size(), 20U);
  EXPECT_EQ(sink.event_calls().size(), 2U);
  EXPECT_TRUE(queue.dead_letters(10).empty());
  EXPECT_EQ(worker.stats().rejected_events, 0U);
  EXPECT_EQ(worker.stats().retries, 1U);
}

TEST(RejectedRows, TransientAndStatementErrorsAreRetriedAndVisibleNotSetAside) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 8; ++i) queue.push(0, core::encode_event(pageview(kSid, kT0 + i, "/p")));
  // The engine timed out (transient), then the table was missing (permanent, not about data:
  // an operator fixes it), for far more attempts than a data rejection gets.
  sink.fail_next_with(1'000'000, "write_events",
                      store::StoreError("Code: 60. DB::Exception: Table default.events does not "
                                        "exist. (UNKNOWN_TABLE)",
                                        store::StoreFailure::kPermanent, 60));
  const std::int64_t before = core::now_ms();
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().retrying_attempts >= 10; }));
  auto stats = worker.stats();
  EXPECT_GE(stats.retrying_since_ms, before);
  EXPECT_LE(stats.retrying_since_ms, core::now_ms());
  EXPECT_EQ(stats.retrying_call, "write_events");
  EXPECT_GE(stats.unstored_since_ms, before);
  EXPECT_EQ(queue.acked(0), 0U);

  sink.fail_next_with(20, "write_events",
                      store::StoreError("Code: 159. DB::Exception: Timeout exceeded",
                                        store::StoreFailure::kTransient, 159));
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 8; }));
  worker.stop();
  EXPECT_TRUE(queue.dead_letters(10).empty());
  ASSERT_EQ(sink.event_inserts().size(), 1U);
  EXPECT_EQ(sink.event_inserts()[0].token, "0:1-8");
  for (const auto& call : sink.event_calls()) EXPECT_EQ(call.token, "0:1-8");
  stats = worker.stats();
  EXPECT_GE(stats.retries, 30U);
  EXPECT_EQ(stats.retrying_since_ms, 0);
  EXPECT_EQ(stats.retrying_attempts, 0U);
  EXPECT_EQ(stats.retrying_call, "");
  EXPECT_EQ(stats.unstored_since_ms, 0);
  EXPECT_EQ(stats.rejected_events, 0U);
}

TEST(RejectedRows, SessionRowsDoNotCountRejectedEvents) {
  FakeQueue queue;
  FakeSink sink;
  const std::string a = sid(1);
  const std::string b = sid(2);
  const std::string c = sid(3);
  queue.push(0, core::encode_event(pageview(a, kT0, "/")));
  queue.push(0, core::encode_event(named(pageview(a, kT0 + 1'000, "/bad"), "a-bad")));
  queue.push(0, core::encode_event(custom(a, kT0 + 2'000)));
  queue.push(0, core::encode_event(named(pageview(b, kT0 + 500, "/only"), "b-bad")));
  queue.push(0, core::encode_event(named(custom(c, kT0 + 600), "c-bad")));
  sink.reject_event("a-bad");
  sink.reject_event("b-bad");
  sink.reject_event("c-bad");
  Worker worker(queue, sink, fast_options());
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 5; }));

  auto row_a = sink.session(a);
  ASSERT_TRUE(row_a);
  EXPECT_EQ(row_a->pageviews, 1U);
  EXPECT_EQ(row_a->events, 1U);
  EXPECT_EQ(row_a->entry_page, "/");
  EXPECT_FALSE(sink.session(b)) << "a session of rejected events only is no visit";
  EXPECT_FALSE(sink.session(c));

  // Later events continue A from the corrected state; C starts over with its next event.
  queue.push(0, core::encode_event(pageview(a, kT0 + 60'000, "/later")));
  queue.push(0, core::encode_event(pageview(c, kT0 + 70'000, "/c-entry")));
  queue.push(0, core::encode_event(session_end(b, kT0 + 80'000)));
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 8; }));
  worker.stop();
  row_a = sink.session(a);
  EXPECT_EQ(row_a->pageviews, 2U);
  EXPECT_EQ(row_a->events, 1U);
  EXPECT_EQ(row_a->exit_page, "/later");
  auto row_c = sink.session(c);
  ASSERT_TRUE(row_c);
  EXPECT_EQ(row_c->pageviews, 1U);
  EXPECT_EQ(row_c->events, 0U);
  EXPECT_EQ(row_c->start_ms, kT0 + 70'000);
  EXPECT_EQ(row_c->entry_page, "/c-entry");
  EXPECT_FALSE(sink.session(b)) << "its session_end does not bring it back";
  for (const auto& insert : sink.session_inserts()) {
    for (const auto& row : insert.rows) EXPECT_GT(row.pageviews + row.events, 0U) << row.session_id;
  }
  EXPECT_EQ(worker.stats().rejected_events, 3U);
}

TEST(RejectedRows, TheBatchSessionizedWhileARejectedOneWasStoredIsCorrectedToo) {
  FakeQueue queue;
  FakeSink sink;
  const std::string a = sid(1);
  const std::string d = sid(4);
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool gate_open = false;
  std::atomic<int> event_writes{0};
  // The first insert of the first batch waits until the second batch was taken (and
  // sessionized, counting the first batch's rejected events in its rows).
  sink.on_call([&](const std::string& method) {
    if (method != "write_events" || event_writes++ > 0) return;
    std::unique_lock lock(gate_mu);
    gate_cv.wait(lock, [&] { return gate_open; });
  });
  queue.push(0, core::encode_event(pageview(a, kT0, "/")));
  queue.push(0, core::encode_event(named(pageview(a, kT0 + 1'000, "/bad"), "a-bad")));
  queue.push(0, core::encode_event(named(pageview(d, kT0 + 1'500, "/bad"), "d-bad")));
  queue.push(0, core::encode_event(pageview(a, kT0 + 2'000, "/next")));
  queue.push(0, core::encode_event(session_end(d, kT0 + 3'000)));
  sink.reject_event("a-bad");
  sink.reject_event("d-bad");
  WorkerOptions options = fast_options();
  options.batch_max_events = 3;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.delivered() == 5; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    std::lock_guard lock(gate_mu);
    gate_open = true;
  }
  gate_cv.notify_all();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 5; }));
  worker.stop();

  auto inserts = sink.session_inserts();
  ASSERT_EQ(inserts.size(), 2U);
  EXPECT_EQ(inserts[1].token, "s0:4-5");
  ASSERT_EQ(inserts[1].rows.size(), 1U) << "D, only a rejected event and its end, is no visit";
  EXPECT_EQ(inserts[1].rows[0].session_id, a);
  EXPECT_EQ(inserts[1].rows[0].pageviews, 2U);
  EXPECT_FALSE(sink.session(d));
}

TEST(RejectedRows, AfterACrashAmidTheSplitTheRedeliveredBatchIsStoredOnce) {
  FakeQueue queue;
  FakeSink sink;
  std::string bad_id;
  for (int i = 0; i < 16; ++i) {
    auto e = named(pageview(kSid, kT0 + std::int64_t{i} * 1'000, "/p" + std::to_string(i)),
                   "ev" + std::to_string(i));
    queue.push(0, core::encode_event(e));
  }
  sink.reject_event("ev11");
  // The first part that is stored lands but answers with a timeout: the worker sends it again
  // under the same token, which the store drops. Then the store goes away and the worker
  // stops without acking, as a crash would.
  sink.land_then_fail_next(1, "write_events");
  std::atomic<bool> down{false};
  std::atomic<int> writes{0};
  sink.on_call([&](const std::string& method) {
    if (method != "write_events") return;
    if (++writes >= 6) down = true;  // 3 whole, the first half and its retry, then down
    if (down) throw std::runtime_error("store unavailable");
  });
  WorkerOptions options = fast_options();
  options.batch_max_events = 16;
  {
    Worker crashed(queue, sink, options);
    crashed.start();
    ASSERT_TRUE(eventually([&] { return down.load(); }));
    crashed.stop();
  }
  EXPECT_EQ(sink.deduplicated(), 1);
  ASSERT_EQ(sink.event_inserts().size(), 1U);
  EXPECT_EQ(sink.event_inserts()[0].token, "0:1-16/0:1-8");
  EXPECT_EQ(queue.acked(0), 0U);
  EXPECT_TRUE(sink.session_inserts().empty());

  down = false;
  writes = -1'000'000;
  queue.restart();
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 16; }));
  worker.stop();

  auto counts = stored_counts(sink);
  EXPECT_EQ(counts.size(), 15U);
  for (const auto& [id, n] : counts) EXPECT_EQ(n, 1) << id << " stored " << n << " times";
  EXPECT_FALSE(counts.contains("ev11"));
  EXPECT_TRUE(in_seq_order_per_shard(sink));
  std::set<std::uint64_t> lettered;
  for (const auto& l : queue.dead_letters(10)) lettered.insert(l.seq);
  EXPECT_EQ(lettered, std::set<std::uint64_t>{12});
  auto row = sink.session(kSid);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->pageviews, 15U);
  EXPECT_EQ(worker.stats().replays_skipped, 8U);
}

TEST(RejectedRows, ARejectedSessionRowIsSetAsideAndTheOthersAreStored) {
  FakeQueue queue;
  FakeSink sink;
  std::map<int, std::uint64_t> last_seq;
  for (int i = 0; i < 30; ++i) {
    last_seq[i % 5] = queue.push(0, core::encode_event(pageview(sid(i % 5), kT0 + i, "/p")));
  }
  sink.reject_session(sid(3));
  WorkerOptions options = fast_options();
  options.batch_max_events = 30;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 30; }));
  worker.stop();

  EXPECT_EQ(sink.events().size(), 30U) << "every event is stored";
  for (int s : {0, 1, 2, 4}) {
    ASSERT_TRUE(sink.session(sid(s))) << s;
    EXPECT_EQ(sink.session(sid(s))->pageviews, 6U);
  }
  EXPECT_FALSE(sink.session(sid(3)));
  auto letters = queue.dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].seq, last_seq[3]);
  EXPECT_EQ(letters[0].reason,
            std::string("session row rejected by the store (its events are stored): ") +
                data_rejection("bad value in the row of session " + sid(3)).what());
  EXPECT_TRUE(
      letters[0].payload.starts_with("{\"project_id\":\"proj1\",\"session_id\":\"" + sid(3) + "\""))
      << letters[0].payload;
  auto calls = sink.session_calls();
  ASSERT_GE(calls.size(), 4U);
  EXPECT_EQ(calls[0].token, "s0:1-30");
  EXPECT_TRUE(calls[3].token.starts_with("s0:1-30/2#")) << calls[3].token;
  auto stats = worker.stats();
  EXPECT_EQ(stats.rejected_sessions, 1U);
  EXPECT_EQ(stats.rejected_events, 0U);
  EXPECT_EQ(stats.sessions_written, 4U);
}

TEST(RejectedRows, WhenEverythingIsRejectedTheWorkerStopsSettingRowsAside) {
  FakeQueue queue;
  FakeSink sink;
  for (int i = 0; i < 6; ++i) {
    auto e = named(pageview(kSid, kT0 + i, "/p"), "ev" + std::to_string(i));
    queue.push(0, core::encode_event(e));
    sink.reject_event(e.event_id);  // e.g. a table that no longer matches the rows
  }
  WorkerOptions options = fast_options();
  options.max_rejected_in_a_row = 3;
  Worker worker(queue, sink, options);
  worker.start();
  ASSERT_TRUE(eventually([&] { return worker.stats().retrying_attempts >= 5; }));
  EXPECT_EQ(worker.stats().rejected_events, 3U);
  EXPECT_EQ(worker.stats().retrying_call, "write_events");
  EXPECT_EQ(queue.dead_letters(10).size(), 3U);
  EXPECT_EQ(queue.acked(0), 0U);

  sink.clear_rejections();  // the operator fixed the table
  ASSERT_TRUE(eventually([&] { return queue.acked(0) == 6; }));
  worker.stop();
  EXPECT_EQ(sink.events().size(), 3U);
  EXPECT_EQ(queue.dead_letters(10).size(), 3U);
  EXPECT_EQ(sink.session(kSid)->pageviews, 3U);
  EXPECT_EQ(worker.stats().retrying_since_ms, 0);
}

}  // namespace
}  // namespace bklit::pipeline
