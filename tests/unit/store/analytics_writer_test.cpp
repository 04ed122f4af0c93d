#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "bklit/store/row_writer.hpp"
#include "bklit/store/sql_text.hpp"
#include "store_env.hpp"

namespace bklit::store {
namespace {

std::string hex(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

core::Event make_event(const std::string& project, const std::string& session, int n) {
  core::Event e;
  e.type = core::EventType::kPageview;
  e.event_id = session + "-" + std::to_string(n);
  e.project_id = project;
  e.session_id = session;
  e.visitor_id = 7;
  e.timestamp_ms = 1'795'000'000'000 + n * 1000;
  e.received_ms = e.timestamp_ms;
  e.pathname = "/p" + std::to_string(n);
  return e;
}

std::string count_of(AnalyticsStore& store, const std::string& project) {
  return store.query("SELECT count() FROM events WHERE project_id = " + sql::quote(project),
                     "TabSeparated");
}

TEST(AnalyticsWriter, ReplayedBatchWithTheSameTokenIsNotCountedTwice) {
  auto& store = testing::shared_store();
  AnalyticsWriter writer(store);
  std::vector<core::Event> events;
  for (int i = 0; i < 10; ++i) events.push_back(make_event("p_dedup", "s1", i));
  std::vector<StoredEvent> batch;
  for (int i = 0; i < 10; ++i) batch.push_back({&events[i], 3, 100u + i});
  writer.write_events(batch, "shard3-100-109");
  writer.write_events(batch, "shard3-100-109");  // replay after a crash
  EXPECT_EQ(count_of(store, "p_dedup"), "10\n");
  writer.write_events(batch, "shard3-100-109-other");  // a different batch token is new data
  EXPECT_EQ(count_of(store, "p_dedup"), "20\n");
  EXPECT_EQ(writer.max_event_seq(3), 109u);
  EXPECT_EQ(writer.max_event_seq(12345), 0u);
}

TEST(AnalyticsWriter, HostileStringsRoundTripByteForByte) {
  auto& store = testing::shared_store();
  AnalyticsWriter writer(store);
  const std::string hostile[] = {
      "quote ' and \" double",   "back\\slash \\n not newline", "tab\there",
      "new\nline and \r cr",     std::string("nul\0byte", 8),   "ünïcødé ✓ \xF0\x9F\x98\x80",
      "[',\\'] array-ish '],['", "'); DROP TABLE events; --"};
  std::vector<core::Event> events;
  for (std::size_t i = 0; i < std::size(hostile); ++i) {
    core::Event e = make_event("p_hostile", "s" + std::to_string(i), static_cast<int>(i));
    e.pathname = hostile[i];
    e.url = hostile[i];
    e.metadata = {{hostile[i], hostile[(i + 1) % std::size(hostile)]}, {"k", hostile[i]}};
    events.push_back(e);
  }
  std::vector<StoredEvent> batch;
  for (auto& e : events) batch.push_back({&e, 0, 0});
  writer.write_events(batch, "hostile-1");
  for (std::size_t i = 0; i < std::size(hostile); ++i) {
    std::string got = store.query(
        "SELECT hex(pathname), hex(url), hex(meta_keys[1]), hex(meta_values[1]), "
        "hex(meta_values[2]), length(meta_keys) FROM events WHERE project_id = 'p_hostile' AND "
        "session_id = " +
            sql::quote("s" + std::to_string(i)),
        "TabSeparated");
    std::string h = hex(hostile[i]);
    EXPECT_EQ(got, h + "\t" + h + "\t" + h + "\t" + hex(hostile[(i + 1) % std::size(hostile)]) +
                       "\t" + h + "\t2\n")
        << "string #" << i;
  }
}

// A Native block stores exactly what RowBinary rows store: every column of events and sessions,
// with metadata arrays of 0, 1 and 3 pairs (the offsets run across rows), empty strings and
// bytes that need escaping elsewhere.
TEST(AnalyticsWriter, NativeBlocksStoreWhatRowBinaryRowsStore) {
  auto& store = testing::shared_store();
  auto events_for = [](const std::string& project) {
    std::vector<core::Event> events;
    for (int i = 0; i < 5; ++i) {
      core::Event e = make_event(project, "s" + std::to_string(i % 2), i);
      e.type = i % 2 == 0 ? core::EventType::kPageview : core::EventType::kCustom;
      e.url = "https://a.example/p" + std::to_string(i) + "?q=\t\n" + std::string(1, '\0');
      e.hostname = "a.example";
      e.referrer = i == 0 ? "" : "https://www.google.com/";
      e.source = "Google";
      e.country = i == 3 ? "" : "DE";
      e.browser = "Firefox";
      e.is_bot = i == 4;
      e.screen_width = static_cast<std::uint16_t>(1000 + i);
      e.is_new_visitor = i == 0;
      if (i % 3 == 1) e.metadata = {{"plan", "pro"}};
      if (i % 3 == 2) e.metadata = {{"a", "1"}, {"b", ""}, {"", "3"}};
      events.push_back(e);
    }
    return events;
  };
  auto select = [&store](const char* table, const std::string& project) {
    return store.query(std::string("SELECT * EXCEPT project_id FROM ") + table +
                           " WHERE project_id = " + sql::quote(project) + " ORDER BY ALL",
                       "TabSeparated");
  };
  std::array<std::string, 2> stored;
  std::array<std::string, 2> sessions;
  const std::array<RowFormat, 2> formats = {RowFormat::kRowBinary, RowFormat::kNative};
  for (std::size_t f = 0; f < formats.size(); ++f) {
    const std::string project = std::string("p_native_") + std::string(format_name(formats[f]));
    AnalyticsWriter writer(store, formats[f]);
    auto events = events_for(project);
    std::vector<StoredEvent> batch;
    for (std::size_t i = 0; i < events.size(); ++i) batch.push_back({&events[i], 4, 10 + i});
    writer.write_events(batch, project);
    std::vector<SessionRow> rows;
    for (int v = 1; v <= 3; ++v) {
      SessionRow s;
      s.project_id = project;
      s.session_id = "sess-" + std::to_string(v);
      s.visitor_id = 1000U + v;
      // Before every time LoadSessionsReturnsTheLatestState asks for active sessions.
      s.start_ms = 1'700'000'000'000 + v;
      s.last_seen_ms = s.start_ms + 5000;
      s.entry_page = "/";
      s.exit_page = "/e" + std::to_string(v);
      s.pageviews = static_cast<std::uint32_t>(v);
      s.utm_campaign = "it's";
      s.country = v == 2 ? "" : "FR";
      s.last_seq = 40U + v;
      s.version = static_cast<std::uint64_t>(v);
      rows.push_back(s);
    }
    writer.write_sessions(rows, project);
    stored[f] = select("events", project);
    sessions[f] = select("sessions", project);
  }
  EXPECT_EQ(std::count(stored[0].begin(), stored[0].end(), '\n'), 5);
  EXPECT_EQ(std::count(sessions[0].begin(), sessions[0].end(), '\n'), 3);
  EXPECT_EQ(stored[1], stored[0]);
  EXPECT_EQ(sessions[1], sessions[0]);
}

// DateTime holds 1970-01-01 00:00:00 .. 2106-02-07 06:28:15 UTC. Both insert formats store a
// time outside that range as the nearest end (RowBinary used to wrap, TabSeparated to print
// NUL bytes), and timestamp_ms keeps the exact value.
TEST(AnalyticsWriter, TimesOutsideTheDateTimeRangeStoreTheNearestEndInBothFormats) {
  auto& store = testing::shared_store();
  const std::array<std::int64_t, 5> times = {-5'000, 0, 4'294'967'295'999, 4'294'967'296'000,
                                             std::numeric_limits<std::int64_t>::max()};
  const std::array<const char*, 5> expected = {"0", "0", "4294967295", "4294967295", "4294967295"};
  for (RowFormat format : {RowFormat::kRowBinary, RowFormat::kTabSeparated, RowFormat::kNative}) {
    const std::string project = std::string("p_range_") + std::string(format_name(format));
    AnalyticsWriter writer(store, format);
    std::vector<core::Event> events;
    for (std::size_t i = 0; i < std::size(times); ++i) {
      core::Event e = make_event(project, "s" + std::to_string(i), static_cast<int>(i));
      e.timestamp_ms = times[i];
      events.push_back(e);
    }
    std::vector<StoredEvent> batch;
    batch.reserve(events.size());
    for (auto& e : events) batch.push_back({&e, 0, 0});
    writer.write_events(batch, project);
    for (std::size_t i = 0; i < std::size(times); ++i) {
      std::string got = store.query(
          "SELECT toUnixTimestamp(ts), timestamp_ms FROM events WHERE project_id = " +
              sql::quote(project) + " AND session_id = " + sql::quote("s" + std::to_string(i)),
          "TabSeparated");
      EXPECT_EQ(got, std::string(expected[i]) + "\t" + std::to_string(times[i]) + "\n")
          << format_name(format) << " time #" << i;
    }
  }
}

SessionRow session_state(std::uint64_t version, std::uint32_t pageviews, const char* exit_page) {
  SessionRow s;
  s.project_id = "p_load";
  s.session_id = "sess-1";
  s.visitor_id = 99;
  s.start_ms = 1'795'000'000'000;
  s.last_seen_ms = s.start_ms + version * 1000;
  s.entry_page = "/";
  s.exit_page = exit_page;
  s.pageviews = pageviews;
  s.source = "google.com";
  s.utm_campaign = "it's \"new\"";
  s.country = "DE";
  s.last_shard = 2;
  s.last_seq = 500 + version;
  s.version = version;
  return s;
}

TEST(AnalyticsWriter, LoadSessionsReturnsTheLatestState) {
  auto& store = testing::shared_store();
  AnalyticsWriter writer(store);
  // Separate inserts: the states sit in separate parts until a merge collapses them.
  writer.write_sessions({session_state(1, 1, "/")}, "load-1");
  writer.write_sessions({session_state(3, 3, "/pricing")}, "load-3");
  writer.write_sessions({session_state(2, 2, "/blog")}, "load-2");
  SessionRow other = session_state(1, 1, "/");
  other.session_id = "sess-2";
  other.last_seen_ms = 1'000;
  writer.write_sessions({other}, "load-other");

  auto rows = writer.load_sessions("p_load", {"sess-1", "missing"});
  ASSERT_EQ(rows.size(), 1u);
  const SessionRow& s = rows[0];
  EXPECT_EQ(s.version, 3u);
  EXPECT_EQ(s.pageviews, 3u);
  EXPECT_EQ(s.exit_page, "/pricing");
  EXPECT_EQ(s.visitor_id, 99u);
  EXPECT_EQ(s.start_ms, 1'795'000'000'000);
  EXPECT_EQ(s.last_seen_ms, 1'795'000'003'000);
  EXPECT_EQ(s.utm_campaign, "it's \"new\"");
  EXPECT_EQ(s.last_shard, 2u);
  EXPECT_EQ(s.last_seq, 503u);

  EXPECT_TRUE(writer.load_sessions("other_project", {"sess-1"}).empty());
  auto active = writer.load_active_sessions(1'795'000'000'500);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].session_id, "sess-1");
  EXPECT_EQ(active[0].version, 3u);

  // A session that went on after a timeout is stored as "<id>/<n>"; loading by the SDK id
  // returns every generation, and ids that merely share a prefix are not included.
  SessionRow second = session_state(7, 1, "/again");
  second.session_id = "sess-1/2";
  SessionRow lookalike = session_state(8, 1, "/x");
  lookalike.session_id = "sess-10";
  writer.write_sessions({second, lookalike}, "load-gen2");
  auto generations = writer.load_sessions("p_load", {"sess-1"});
  ASSERT_EQ(generations.size(), 2u);
  std::set<std::string> ids;
  for (const auto& g : generations) ids.insert(g.session_id);
  EXPECT_EQ(ids, (std::set<std::string>{"sess-1", "sess-1/2"}));
}

}  // namespace
}  // namespace bklit::store
