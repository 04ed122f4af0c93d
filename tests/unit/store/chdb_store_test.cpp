#include "bklit/store/chdb_store.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "bklit/store/schema.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/sql_text.hpp"
#include "store_env.hpp"

namespace bklit::store {
namespace {

volatile std::sig_atomic_t g_terms = 0;
void on_term(int) { g_terms = g_terms + 1; }

TEST(ChdbStore, FindsTheLibraryFromTheBuildTree) { EXPECT_FALSE(find_chdb_library().empty()); }

TEST(ChdbStore, ReportsAnEngineVersionAndIsHealthy) {
  auto& store = testing::shared_store();
  EngineVersion v = store.version();
  EXPECT_GE(v.major, 23);
  EXPECT_FALSE(v.text.empty());
  EXPECT_TRUE(store.healthy());
}

TEST(InsertStatement, SettingsOnlyWhenGiven) {
  EXPECT_EQ(sql::insert_statement("t", "a, b", "RowBinary", ""),
            "INSERT INTO t (a, b) FORMAT RowBinary");
  EXPECT_EQ(sql::insert_statement("t", "a", "RowBinary", "0:1-5", "/f", 10),
            "INSERT INTO t (a) FROM INFILE '/f' SETTINGS insert_deduplication_token = '0:1-5', "
            "os_thread_priority = 10 FORMAT RowBinary");
  EXPECT_EQ(sql::insert_statement("t", "a", "TabSeparated", "", "", 10),
            "INSERT INTO t (a) SETTINGS os_thread_priority = 10 FORMAT TabSeparated");
}

// Insert pacing sends os_thread_priority with each insert: the engine must accept it and store
// the rows as before, at any nice value the pacer uses.
TEST(ChdbStore, InsertsWithAThreadPriorityStoreTheRows) {
  auto& store = testing::shared_store();
  store.execute("DROP TABLE IF EXISTS paced_insert");
  store.execute("CREATE TABLE paced_insert (n UInt32) ENGINE = MergeTree ORDER BY n");
  store.set_insert_nice(10);
  store.insert("paced_insert", "n", "TabSeparated", "1\n2\n3\n", "");
  store.set_insert_nice(0);
  store.insert("paced_insert", "n", "TabSeparated", "4\n", "");
  EXPECT_EQ(store.query("SELECT count(), sum(n) FROM paced_insert", "TabSeparated"), "4\t10\n");
  store.execute("DROP TABLE paced_insert");
}

TEST(ChdbStore, BadStatementThrowsStoreErrorWithTheEngineMessage) {
  auto& store = testing::shared_store();
  try {
    store.execute("SELEKT 1");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("SELEKT"), std::string::npos);
  }
  EXPECT_TRUE(store.healthy());  // the connection survives a failed statement
}

TEST(ChdbStore, SamePathSharesTheConnectionAndAnotherPathFails) {
  auto& store = testing::shared_store();
  auto again = open_chdb_store(testing::shared_store_path() + "/chdb", "");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->query("SELECT 41 + 1", "TabSeparated"), "42\n");
  auto other = open_chdb_store(testing::shared_store_path() + "/other", "");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("only one data path"), std::string::npos);
  EXPECT_TRUE(store.healthy());
}

TEST(ChdbStore, DataPathThatIsAFileIsAnError) {
  std::string file = testing::shared_store_path() + "/plain-file";
  std::ofstream(file) << "x";
  auto opened = open_chdb_store(file, "");
  EXPECT_FALSE(opened.ok());
}

TEST(ChdbStore, MissingLibraryIsAClearError) {
  auto opened = open_chdb_store(testing::shared_store_path() + "/x", "/nonexistent/libchdb.so");
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("libchdb.so"), std::string::npos);
}

TEST(ChdbStore, OurSigtermHandlerStillRunsAfterConnectAndQueries) {
  // Installed before the store opens (a fresh process for this test under ctest) ...
  struct sigaction ours {};
  ours.sa_handler = on_term;
  sigemptyset(&ours.sa_mask);
  ASSERT_EQ(sigaction(SIGTERM, &ours, nullptr), 0);
  auto& store = testing::shared_store();
  store.query("SELECT count() FROM numbers(100000)", "TabSeparated");
  g_terms = 0;
  std::raise(SIGTERM);
  EXPECT_EQ(g_terms, 1);
  // ... and after it opened.
  ASSERT_EQ(sigaction(SIGINT, &ours, nullptr), 0);
  store.query("SELECT 1", "TabSeparated");
  std::raise(SIGINT);
  EXPECT_EQ(g_terms, 2);
  struct sigaction now {};
  sigaction(SIGTERM, nullptr, &now);
  EXPECT_EQ(now.sa_handler, on_term);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
}

TEST(Schema, MigrationsAreAppliedOnceAndAreIdempotent) {
  auto& store = testing::shared_store();
  const auto all = analytics_migrations(SqlDialect::for_version(store.version()));
  EXPECT_EQ(schema_version(store), all.back().version);
  EXPECT_EQ(apply_migrations(store), 0u);
  EXPECT_EQ(apply_migrations(store), 0u);
  EXPECT_EQ(store.query("SELECT count() FROM schema_migrations", "TabSeparated"),
            std::to_string(all.size()) + "\n");
  EXPECT_EQ(store.query("SELECT count() FROM system.tables WHERE database = currentDatabase() "
                        "AND name IN ('events', 'sessions')",
                        "TabSeparated"),
            "2\n");
}

TEST(Schema, MigrationsRunOnAFreshDatabase) {
  auto& store = testing::shared_store();
  store.execute("CREATE DATABASE IF NOT EXISTS fresh_db");
  store.execute("USE fresh_db");
  const auto all = analytics_migrations(SqlDialect::for_version(store.version()));
  EXPECT_EQ(schema_version(store), 0u);
  EXPECT_EQ(apply_migrations(store), all.size());
  EXPECT_EQ(apply_migrations(store), 0u);
  EXPECT_EQ(schema_version(store), all.back().version);
  // Migration 3 set the merge selector's base on both new tables (docs/architecture.md).
  EXPECT_NE(store
                .query("SELECT create_table_query FROM system.tables WHERE database = "
                       "'fresh_db' AND name = 'events'",
                       "TabSeparated")
                .find("merge_selector_base = 20"),
            std::string::npos);
  store.execute("USE default");
  store.execute("DROP DATABASE fresh_db");
}

TEST(SqlDialect, OldServersGetPlainTypesAndNoDedupSettings) {
  EngineVersion old = sql::parse_engine_version("18.16.1\n");
  EXPECT_EQ(old.major, 18);
  EXPECT_EQ(old.minor, 16);
  SqlDialect d = SqlDialect::for_version(old);
  EXPECT_FALSE(d.low_cardinality);
  EXPECT_FALSE(d.dedup_window);
  EXPECT_FALSE(d.dedup_token);
  EXPECT_FALSE(d.sessions_final);
  for (const auto& m : analytics_migrations(d)) {
    for (const auto& s : m.statements) {
      EXPECT_EQ(s.find("LowCardinality"), std::string::npos) << s;
      EXPECT_EQ(s.find("deduplication"), std::string::npos) << s;
    }
  }
  SqlDialect current = SqlDialect::for_version(sql::parse_engine_version("26.7.2.1"));
  EXPECT_TRUE(current.low_cardinality);
  EXPECT_TRUE(current.dedup_window);
  EXPECT_NE(analytics_migrations(current)[0].statements[0].find("LowCardinality(String)"),
            std::string::npos);
}

TEST(SqlText, QuotingNeutralizesHostileStrings) {
  auto& store = testing::shared_store();
  for (std::string hostile :
       {std::string("it's"), std::string("back\\slash\\"), std::string("'); DROP TABLE events; --"),
        std::string("tab\tnew\nline\r"), std::string("nul\0byte", 8),
        std::string("ünïcødé ✓ \xF0\x9F\x98\x80")}) {
    std::string got = store.query("SELECT hex(" + sql::quote(hostile) + ")", "TabSeparated");
    std::string want;
    static const char* kHex = "0123456789ABCDEF";
    for (unsigned char c : hostile) {
      want.push_back(kHex[c >> 4]);
      want.push_back(kHex[c & 15]);
    }
    EXPECT_EQ(got, want + "\n") << hostile;
  }
  EXPECT_TRUE(sql::is_identifier("events"));
  EXPECT_FALSE(sql::is_identifier("events; DROP"));
  EXPECT_FALSE(sql::is_identifier("1abc"));
}

}  // namespace
}  // namespace bklit::store
