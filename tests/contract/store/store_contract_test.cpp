// What every AnalyticsStore promises: statements and queries, engine errors, the detected
// version, and the schema migrations (idempotent, safe for concurrent starters).

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "bklit/store/schema.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/sql_text.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

class StoreContract : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    database_ = test_database(GetParam());
    store_ = open_store(GetParam(), database_);
  }
  AnalyticsStore& store() { return *store_; }

  std::string database_;
  std::unique_ptr<AnalyticsStore> store_;
};

TEST_P(StoreContract, ExecuteThenQueryInEveryFormat) {
  store().execute("CREATE TABLE items (id UInt32, name String) ENGINE = MergeTree() ORDER BY id");
  store().execute("INSERT INTO items VALUES (1, 'one'), (2, 'tab\\there')");
  store().execute("INSERT INTO items (id, name) FORMAT TabSeparated\n3\tthree\n4\tq'uote\n");
  EXPECT_EQ(store().query("SELECT count() FROM items", "TabSeparated"), "4\n");
  EXPECT_EQ(store().query("SELECT id, name FROM items WHERE id <= 2 ORDER BY id", "TabSeparated"),
            "1\tone\n2\ttab\\there\n");
  EXPECT_EQ(store().query("SELECT id, name FROM items WHERE id = 4", "JSONEachRow"),
            "{\"id\":4,\"name\":\"q'uote\"}\n");
  // A trailing comment must not swallow the FORMAT clause the store adds.
  EXPECT_EQ(store().query("SELECT max(id) FROM items -- the newest", "TabSeparated"), "4\n");
}

TEST_P(StoreContract, EngineErrorsThrowStoreErrorWithTheEngineMessage) {
  store().execute("CREATE TABLE t (a UInt8) ENGINE = MergeTree() ORDER BY a");
  try {
    store().query("SELECT no_such_column FROM t", "TabSeparated");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_column"), std::string::npos) << e.what();
    // The engine rejected it: the same statement fails again, so nobody is told to retry.
    EXPECT_FALSE(e.transient()) << e.what();
    EXPECT_EQ(e.engine_code(), 47) << e.what();  // UNKNOWN_IDENTIFIER
  }
  try {
    store().query("SELECT count() FROM no_such_table", "TabSeparated");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.failure(), StoreFailure::kPermanent) << e.what();
    EXPECT_EQ(e.engine_code(), 60) << e.what();  // UNKNOWN_TABLE
  }
  EXPECT_THROW(store().execute("CREATE TABLE broken (a UInt8) ENGINE = NoSuchEngine"), StoreError);
  EXPECT_THROW(store().execute("INSERT INTO t FORMAT TabSeparated\nnot-a-number\n"), StoreError);
  // The store is still usable after errors.
  EXPECT_EQ(store().query("SELECT count() FROM t", "TabSeparated"), "0\n");
  EXPECT_TRUE(store().healthy());
}

// A statement stopped by an engine limit (here its time limit) may succeed later.
TEST_P(StoreContract, EngineLimitsAreTransientErrors) {
  try {
    store().query(
        "SELECT count() FROM numbers(100000000000) SETTINGS max_execution_time = 1, "
        "timeout_overflow_mode = 'throw'",
        "TabSeparated");
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_TRUE(e.transient()) << e.what();
    // TIMEOUT_EXCEEDED, or TOO_SLOW when the engine predicts it will not finish in time.
    EXPECT_TRUE(e.engine_code() == 159 || e.engine_code() == 160) << e.what();
  }
  EXPECT_TRUE(store().healthy());
}

TEST_P(StoreContract, VersionIsTheEngines) {
  EngineVersion v = store().version();
  EXPECT_GT(v.major, 0);
  std::string text = store().query("SELECT version()", "TabSeparated");
  EXPECT_EQ(v.text + "\n", text);
  EXPECT_EQ(v.major, sql::parse_engine_version(text).major);
}

TEST_P(StoreContract, InsertedRowsWithDedupToken) {
  const SqlDialect dialect = SqlDialect::for_version(store().version());
  store().execute("CREATE TABLE j (id UInt32, s String) ENGINE = MergeTree() ORDER BY id" +
                  dialect.merge_tree_settings());
  const std::string token = dialect.dedup_token ? "batch-1" : "";
  std::string rows = "{\"id\":1,\"s\":\"a\\\"b\"}\n{\"id\":2,\"s\":\"ü\\n\"}\n";
  store().insert("j", "id, s", "JSONEachRow", rows, token);
  store().insert("j", "id, s", "JSONEachRow", rows, token);  // replay: dropped where tokens work
  std::string expected = dialect.dedup_token ? "2\n" : "4\n";
  EXPECT_EQ(store().query("SELECT count() FROM j", "TabSeparated"), expected);
  EXPECT_EQ(store().query("SELECT s FROM j WHERE id = 1 LIMIT 1", "TabSeparated"), "a\"b\n");
  EXPECT_EQ(store().query("SELECT hex(s) FROM j WHERE id = 2 LIMIT 1", "TabSeparated"), "C3BC0A\n");
  // RowBinary: a String holding every byte value, NULs and newlines included; rows whose
  // first byte is whitespace (id 10 = '\n', 32 = ' ', 9 = '\t'), which must not be taken for
  // the separator between the statement and its data; and an empty line inside the data
  // (id 2570 = bytes 0A 0A, and "\n\n" in a string), where inline data would end.
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  all_bytes.append("\n\n");
  std::string all_hex;
  for (unsigned char c : all_bytes) {
    all_hex.push_back("0123456789ABCDEF"[c >> 4]);
    all_hex.push_back("0123456789ABCDEF"[c & 15]);
  }
  auto row = [&](std::uint32_t id) {
    std::string out;
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(id >> (8 * i)));
    return out.append("\x82\x02", 2).append(all_bytes);
  };
  // Two rows per insert, the second after the "\n\n" of the first.
  for (std::uint32_t id : {3u, 9u, 10u, 32u, 2570u}) {
    store().insert("j", "id, s", "RowBinary", row(id) + row(id + 5000), "");
  }
  EXPECT_EQ(store().query("SELECT groupArray(id), min(hex(s) = '" + all_hex +
                              "') FROM (SELECT id, s FROM j WHERE id > 2 ORDER BY id)",
                          "TabSeparated"),
            "[3,9,10,32,2570,5003,5009,5010,5032,7570]\t1\n");
  EXPECT_THROW(store().insert("j; DROP TABLE j", "id, s", "JSONEachRow", rows, ""), StoreError);
  EXPECT_THROW(store().insert("j", "id, s) SELECT 1 --", "JSONEachRow", rows, ""), StoreError);
  EXPECT_EQ(store().query("SELECT count() FROM j", "TabSeparated"),
            dialect.dedup_token ? "12\n" : "14\n");
}

TEST_P(StoreContract, MigrationsApplyOnceThenAreANoOp) {
  const auto all = analytics_migrations(SqlDialect::for_version(store().version()));
  EXPECT_EQ(schema_version(store()), 0u);
  EXPECT_EQ(apply_migrations(store()), all.size());
  EXPECT_EQ(schema_version(store()), all.back().version);
  EXPECT_EQ(apply_migrations(store()), 0u);
  EXPECT_EQ(schema_version(store()), all.back().version);
  // The tables exist and are empty.
  EXPECT_EQ(store().query("SELECT count() FROM events", "TabSeparated"), "0\n");
  EXPECT_EQ(store().query("SELECT count() FROM sessions", "TabSeparated"), "0\n");
}

TEST_P(StoreContract, ConcurrentStartersMigrateOnce) {
  const auto all = analytics_migrations(SqlDialect::for_version(store().version()));
  constexpr int kStarters = 4;
  std::vector<std::unique_ptr<AnalyticsStore>> stores;
  // Each starter has its own store (its own connections on the server).
  for (int i = 0; i < kStarters; ++i) stores.push_back(open_store(GetParam(), database_));
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::string> errors(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      try {
        apply_migrations(*stores[i]);
      } catch (const StoreError& e) {
        errors[i] = e.what();
        ++failures;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << errors[0] << errors[1] << errors[2] << errors[3];
  EXPECT_EQ(schema_version(store()), all.back().version);
  EXPECT_EQ(apply_migrations(store()), 0u);
  EXPECT_EQ(store().query("SELECT count() FROM events", "TabSeparated"), "0\n");
  EXPECT_EQ(store().query("SELECT count() FROM sessions", "TabSeparated"), "0\n");
}

INSTANTIATE_TEST_SUITE_P(Store, StoreContract,
                         ::testing::Values(Engine::kChdb, Engine::kClickHouse),
                         [](const auto& info) { return engine_name(info.param); });

}  // namespace
}  // namespace bklit::store::contract
