// A store created by an earlier bklit keeps working after an upgrade: its tables were made
// by the CREATE statements below (the text the binary before the column declarations sent,
// kept verbatim), its migrations are recorded, and the new binary writes and reads it.

#include <gtest/gtest.h>

#include "bklit/core/clock.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/stats_query.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

// Tables as the earlier binary created them (LowCardinality where the engine has it), with
// its table settings appended.
constexpr std::string_view kEarlierEvents =
    "CREATE TABLE IF NOT EXISTS events (project_id LowCardinality(String), "
    "ts DateTime('UTC'), timestamp_ms Int64, received_ms Int64, type UInt8, "
    "event_id String, session_id String, visitor_id UInt64, url String, "
    "hostname LowCardinality(String), pathname String, query String, referrer String, "
    "referrer_host LowCardinality(String), source LowCardinality(String), "
    "channel LowCardinality(String), utm_source LowCardinality(String), "
    "utm_medium LowCardinality(String), utm_campaign LowCardinality(String), "
    "utm_term String, utm_content String, utm_id String, "
    "click_id LowCardinality(String), country LowCardinality(String), "
    "region LowCardinality(String), city LowCardinality(String), "
    "browser LowCardinality(String), browser_version LowCardinality(String), "
    "os LowCardinality(String), os_version LowCardinality(String), "
    "device_type LowCardinality(String), is_bot UInt8, screen_width UInt16, "
    "screen_height UInt16, viewport_width UInt16, viewport_height UInt16, "
    "screen_class LowCardinality(String), language LowCardinality(String), "
    "timezone LowCardinality(String), is_new_visitor UInt8, landing_page String, "
    "tracking_id LowCardinality(String), event_name LowCardinality(String), "
    "meta_keys Array(String), meta_values Array(String), shard UInt32, "
    "seq UInt64) ENGINE = MergeTree() PARTITION BY toYYYYMM(ts) ORDER BY (project_id, "
    "toDate(ts), session_id, timestamp_ms)";
constexpr std::string_view kEarlierSessions =
    "CREATE TABLE IF NOT EXISTS sessions (project_id LowCardinality(String), "
    "session_id String, visitor_id UInt64, start_ts DateTime('UTC'), start_ms Int64, "
    "last_seen_ms Int64, ended_ms Int64, entry_page String, exit_page String, "
    "hostname LowCardinality(String), pageviews UInt32, events UInt32, "
    "referrer_host LowCardinality(String), source LowCardinality(String), "
    "channel LowCardinality(String), utm_source LowCardinality(String), "
    "utm_medium LowCardinality(String), utm_campaign LowCardinality(String), "
    "utm_term String, utm_content String, utm_id String, "
    "click_id LowCardinality(String), country LowCardinality(String), "
    "region LowCardinality(String), city LowCardinality(String), "
    "browser LowCardinality(String), browser_version LowCardinality(String), "
    "os LowCardinality(String), os_version LowCardinality(String), "
    "device_type LowCardinality(String), screen_class LowCardinality(String), "
    "language LowCardinality(String), is_new_visitor UInt8, is_bot UInt8, "
    "last_shard UInt32, last_seq UInt64, "
    "version UInt64) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(start_ts) ORDER BY "
    "(project_id, "
    "toDate(start_ts), session_id)";

std::string earlier(std::string_view ddl, const SqlDialect& dialect) {
  std::string out(ddl);
  if (!dialect.low_cardinality) {
    const std::string lc = "LowCardinality(String)";
    for (auto pos = out.find(lc); pos != std::string::npos; pos = out.find(lc, pos)) {
      out.replace(pos, lc.size(), "String");
    }
  }
  return out + dialect.merge_tree_settings();
}

std::string without_codecs(std::string ddl) {
  for (auto pos = ddl.find(" CODEC("); pos != std::string::npos; pos = ddl.find(" CODEC(")) {
    ddl.erase(pos, ddl.find(')', pos) + 1 - pos);
  }
  return ddl;
}

const std::int64_t kT0 = (core::days_from_civil(2026, 11, 20) * 86400 + 10 * 3600) * 1000;

core::Event pageview(const std::string& session, int n) {
  core::Event e;
  e.type = core::EventType::kPageview;
  e.event_id = session + "-" + std::to_string(n);
  e.project_id = "p_upgrade";
  e.session_id = session;
  e.visitor_id = 7;
  e.timestamp_ms = kT0 + n * 1000;
  e.received_ms = e.timestamp_ms;
  e.hostname = "example.com";
  e.pathname = "/p" + std::to_string(n);
  e.browser = "Firefox";
  e.metadata = {{"k", "v"}};
  return e;
}

class UpgradeContract : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { store_ = open_store(GetParam(), test_database(GetParam())); }
  AnalyticsStore& store() { return *store_; }
  std::string scalar(const std::string& sql) { return store().query(sql, "TabSeparated"); }
  std::unique_ptr<AnalyticsStore> store_;
};

TEST_P(UpgradeContract, TheDeclaredColumnsAreTheEarlierTables) {
  // The same names, types and order as before; only codecs may be new.
  const SqlDialect dialect = SqlDialect::for_version(store().version());
  auto migrations = analytics_migrations(dialect);
  ASSERT_GE(migrations.size(), 2u);
  EXPECT_EQ(without_codecs(migrations[0].statements.at(0)), earlier(kEarlierEvents, dialect));
  EXPECT_EQ(without_codecs(migrations[1].statements.at(0)), earlier(kEarlierSessions, dialect));
}

TEST_P(UpgradeContract, AStoreMadeByTheEarlierBinaryIsWrittenAndReadAfterTheUpgrade) {
  const SqlDialect dialect = SqlDialect::for_version(store().version());
  // What the earlier binary left: its tables, its migration records and rows it wrote
  // (TabSeparated, its insert format).
  EXPECT_EQ(schema_version(store()), 0u);
  store().execute(earlier(kEarlierEvents, dialect));
  store().execute(earlier(kEarlierSessions, dialect));
  store().execute(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'events', now()), "
      "(2, 'sessions', now())");
  std::vector<core::Event> old_events = {pageview("s1", 0), pageview("s1", 1)};
  AnalyticsWriter earlier_writer(store(), RowFormat::kTabSeparated);
  earlier_writer.write_events({{&old_events[0], 1, 1}, {&old_events[1], 1, 2}}, "1:1-2");
  SessionRow s1;
  s1.project_id = "p_upgrade";
  s1.session_id = "s1";
  s1.visitor_id = 7;
  s1.start_ms = kT0;
  s1.last_seen_ms = kT0 + 1000;
  s1.entry_page = "/p0";
  s1.exit_page = "/p1";
  s1.hostname = "example.com";
  s1.pageviews = 2;
  s1.browser = "Firefox";
  s1.last_shard = 1;
  s1.last_seq = 2;
  s1.version = 2;
  earlier_writer.write_sessions({s1}, "s1:1-2");

  // The upgrade: no table changes; the later migrations (table settings) apply to the old
  // tables, and the new writer continues the store.
  const auto all = analytics_migrations(dialect);
  EXPECT_EQ(apply_migrations(store()), all.size() - 2);
  EXPECT_EQ(schema_version(store()), all.back().version);
  if (dialect.merge_selector_base) {
    for (const char* table : {"events", "sessions"}) {
      EXPECT_NE(scalar(std::string("SELECT create_table_query FROM system.tables WHERE database = "
                                   "currentDatabase() AND name = '") +
                       table + "'")
                    .find("merge_selector_base = 20"),
                std::string::npos)
          << table;
    }
  }
  AnalyticsWriter writer(store());
  EXPECT_EQ(writer.max_event_seq(1), 2u);
  auto loaded = writer.load_sessions("p_upgrade", {"s1"});
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].pageviews, 2u);
  EXPECT_EQ(loaded[0].exit_page, "/p1");
  EXPECT_EQ(loaded[0].browser, "Firefox");
  EXPECT_EQ(loaded[0].last_seq, 2u);

  std::vector<core::Event> new_events = {pageview("s1", 2)};
  writer.write_events({{&new_events[0], 1, 3}}, "1:3-3");
  SessionRow s1_next = s1;
  s1_next.pageviews = 3;
  s1_next.exit_page = "/p2";
  s1_next.last_seen_ms = kT0 + 2000;
  s1_next.last_seq = 3;
  s1_next.version = 3;
  writer.write_sessions({s1_next}, "s1:3-3");

  EXPECT_EQ(scalar("SELECT count(), uniqExact(event_id), max(seq) FROM events"), "3\t3\t3\n");
  EXPECT_EQ(scalar("SELECT pathname, toString(ts), meta_values[1] FROM events ORDER BY seq"),
            "/p0\t2026-11-20 10:00:00\tv\n/p1\t2026-11-20 10:00:01\tv\n"
            "/p2\t2026-11-20 10:00:02\tv\n");
  auto q = parse_stats_query(
      R"({"site_id":"p_upgrade","metrics":["visitors","visits","pageviews","bounce_rate"],
          "date_range":["2026-11-20","2026-11-20"]})");
  ASSERT_TRUE(q.ok());
  auto out = run_stats_query(store(), *q, "UTC", kT0);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_NE(out->find(R"("results":[{"metrics":[1,1,3,0],"dimensions":[]}])"), std::string::npos)
      << *out;
}

INSTANTIATE_TEST_SUITE_P(Store, UpgradeContract,
                         ::testing::Values(Engine::kChdb, Engine::kClickHouse),
                         [](const auto& info) { return engine_name(info.param); });

}  // namespace
}  // namespace bklit::store::contract
