// The worker's view of the store: batch inserts through AnalyticsWriter, the replay guards
// and reading session state back, identical on both engines.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "bklit/core/clock.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/sql_text.hpp"
#include "bklit/store/stats_query.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

const std::int64_t kT0 = (core::days_from_civil(2026, 11, 20) * 86400 + 10 * 3600) * 1000;

core::Event pageview(const std::string& project, const std::string& session, int n) {
  core::Event e;
  e.type = core::EventType::kPageview;
  e.event_id = session + "-" + std::to_string(n);
  e.project_id = project;
  e.session_id = session;
  e.visitor_id = 42;
  e.timestamp_ms = kT0 + n * 1000;
  e.received_ms = e.timestamp_ms;
  e.hostname = "example.com";
  e.pathname = "/p" + std::to_string(n);
  e.metadata = {{"k'ey", "va\tl\\ue"}};
  return e;
}

SessionRow session_state(const std::string& project, const std::string& id, int pageviews,
                         std::uint64_t version) {
  SessionRow s;
  s.project_id = project;
  s.session_id = id;
  s.visitor_id = 42;
  s.start_ms = kT0;
  s.last_seen_ms = kT0 + pageviews * 1000;
  s.entry_page = "/p0";
  s.exit_page = "/p" + std::to_string(pageviews - 1);
  s.hostname = "example.com";
  s.pageviews = static_cast<std::uint32_t>(pageviews);
  s.source = "news.example";
  s.country = "DE";
  s.browser = "Firefox";
  s.last_shard = 1;
  s.last_seq = version;
  s.version = version;
  return s;
}

class WriterContract : public MigratedStoreTest {};

TEST_P(WriterContract, EventsAndSessionsRoundTrip) {
  AnalyticsWriter writer(store());
  std::vector<core::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(pageview("p1", "s1", i));
  events[3].type = core::EventType::kCustom;
  events[3].tracking_id = "signup";
  std::vector<StoredEvent> batch;
  for (int i = 0; i < 5; ++i) batch.push_back({&events[i], 1, 10u + i});
  writer.write_events(batch, "1:10-14");
  EXPECT_EQ(scalar("SELECT count(), countIf(type = 2) FROM events WHERE project_id = 'p1'"),
            "5\t1\n");
  EXPECT_EQ(scalar("SELECT hex(meta_keys[1]), hex(meta_values[1]) FROM events WHERE seq = 10"),
            "6B276579\t7661096C5C7565\n");
  EXPECT_EQ(scalar("SELECT toString(ts) FROM events WHERE seq = 12"), "2026-11-20 10:00:02\n");
  EXPECT_EQ(writer.max_event_seq(1), 14u);
  EXPECT_EQ(writer.max_event_seq(2), 0u);

  // Three states of s1 (the latest wins), a later generation "s1/2", and s2 elsewhere.
  writer.write_sessions({session_state("p1", "s1", 1, 1), session_state("p1", "s2", 1, 1)}, "s-a");
  writer.write_sessions({session_state("p1", "s1", 3, 3)}, "s-b");
  SessionRow ended = session_state("p1", "s1", 4, 4);
  ended.ended_ms = kT0 + 60'000;
  ended.events = 1;
  writer.write_sessions({ended, session_state("p1", "s1/2", 1, 1)}, "s-c");
  writer.write_sessions({session_state("p2", "s1", 2, 2)}, "s-d");

  auto loaded = writer.load_sessions("p1", {"s1", "missing"});
  std::sort(loaded.begin(), loaded.end(),
            [](const auto& a, const auto& b) { return a.session_id < b.session_id; });
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].session_id, "s1");
  EXPECT_EQ(loaded[0].version, 4u);
  EXPECT_EQ(loaded[0].pageviews, 4u);
  EXPECT_EQ(loaded[0].events, 1u);
  EXPECT_EQ(loaded[0].ended_ms, kT0 + 60'000);
  EXPECT_EQ(loaded[0].exit_page, "/p3");
  EXPECT_EQ(loaded[0].source, "news.example");
  EXPECT_EQ(loaded[0].last_seq, 4u);
  EXPECT_EQ(loaded[1].session_id, "s1/2");

  auto active = writer.load_active_sessions(kT0 + 30'000);  // only s1 (ended at +60 s)
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].project_id, "p1");
  EXPECT_EQ(active[0].session_id, "s1");
  EXPECT_EQ(writer.load_active_sessions(0).size(), 4u);  // p1: s1, s2, s1/2; p2: s1
}

// One batch can end tens of thousands of sessions (every socket closing at once); their ids
// exceed the engines' 256 KiB statement limit when sent in one IN list.
TEST_P(WriterContract, LoadsMoreSessionsThanOneStatementCanName) {
  AnalyticsWriter writer(store());
  std::vector<SessionRow> rows;
  std::vector<std::string> ids;
  constexpr int kSessions = 12000;  // ~45 bytes of SQL each: ~540 KiB of ids
  for (int i = 0; i < kSessions; ++i) {
    std::string id = "1796202898484-many-sessions-in-one-batch-" + std::to_string(i);
    if (i % 2 == 0) rows.push_back(session_state("p_many", id, 1, 1));  // half are stored
    ids.push_back(std::move(id));
  }
  writer.write_sessions(rows, "s-many");
  auto loaded = writer.load_sessions("p_many", ids);
  ASSERT_EQ(loaded.size(), static_cast<std::size_t>(kSessions / 2));
  std::set<std::string> seen;
  for (const auto& row : loaded) seen.insert(row.session_id);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kSessions / 2));  // each once
  EXPECT_EQ(seen.count(ids.front()), 1U);
  EXPECT_EQ(seen.count(ids[kSessions - 2]), 1U);  // from the last chunk
  EXPECT_EQ(seen.count(ids[1]), 0U);
}

// A worker that crashed after the insert and before the ack sends the same batch again.
TEST_P(WriterContract, ReplayedBatchIsNotCountedTwice) {
  AnalyticsWriter writer(store());
  std::vector<core::Event> events;
  for (int i = 0; i < 6; ++i) events.push_back(pageview("p_replay", i < 3 ? "a" : "b", i));
  std::vector<StoredEvent> batch;
  for (int i = 0; i < 6; ++i) batch.push_back({&events[i], 2, 100u + i});
  std::vector<SessionRow> sessions = {session_state("p_replay", "a", 3, 3),
                                      session_state("p_replay", "b", 3, 3)};
  for (int attempt = 0; attempt < 2; ++attempt) {
    writer.write_events(batch, "2:100-105");
    writer.write_sessions(sessions, "s2:100-105");
  }
  // Another writer (a restarted worker) replays it too.
  AnalyticsWriter restarted(store());
  restarted.write_events(batch, "2:100-105");
  restarted.write_sessions(sessions, "s2:100-105");

  EXPECT_EQ(scalar("SELECT count() FROM events WHERE project_id = 'p_replay'"), "6\n");
  auto q = parse_stats_query(
      R"({"site_id":"p_replay","metrics":["visitors","visits","pageviews","bounce_rate"],
          "date_range":["2026-11-20","2026-11-20"]})");
  ASSERT_TRUE(q.ok());
  auto out = run_stats_query(store(), *q, "UTC", kT0);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->find(R"("results":[{"metrics":[1,2,6,0],"dimensions":[]}])"), std::string::npos)
      << *out;
  auto by_page = parse_stats_query(
      R"({"site_id":"p_replay","metrics":["pageviews","visits"],"dimensions":["event:page"],
          "date_range":["2026-11-20","2026-11-20"],"order_by":[["event:page","asc"]]})");
  ASSERT_TRUE(by_page.ok());
  out = run_stats_query(store(), *by_page, "UTC", kT0);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->find(R"({"metrics":[1,1],"dimensions":["/p0"]})"), std::string::npos) << *out;
}

TEST_P(WriterContract, WithoutAnEffectiveDedupWindowReplaysOfAnyShapeAreSkippedExactly) {
  // A table created by a server without dedup tokens and later upgraded lacks the dedup
  // window, which makes a token a no-op: the writer must keep its exact (shard, seq) guard
  // there, and that guard also covers a replay cut into different batches.
  if (GetParam() == Engine::kChdb) {
    store().execute("ALTER TABLE events RESET SETTING non_replicated_deduplication_window");
  }
  std::vector<core::Event> events;
  for (int i = 0; i < 8; ++i) events.push_back(pageview("p_reshaped", "c", i));
  std::vector<StoredEvent> first;
  std::vector<StoredEvent> replay;
  for (int i = 0; i < 8; ++i) {
    if (i < 6) first.push_back({&events[i], 5, 200u + i});
    replay.push_back({&events[i], 5, 200u + i});
  }
  AnalyticsWriter(store()).write_events(first, "5:200-205");
  // A new owner of shard 5 replays the unacked records together with newer ones.
  AnalyticsWriter(store()).write_events(replay, "5:200-207");
  EXPECT_EQ(scalar("SELECT count() FROM events WHERE project_id = 'p_reshaped'"), "8\n");
  EXPECT_EQ(scalar("SELECT uniqExact(seq) FROM events WHERE project_id = 'p_reshaped'"), "8\n");
}

INSTANTIATE_TEST_SUITE_P(Store, WriterContract,
                         ::testing::Values(Engine::kChdb, Engine::kClickHouse),
                         [](const auto& info) { return engine_name(info.param); });

}  // namespace
}  // namespace bklit::store::contract
