// What only the server store has: credentials, a server that goes away and comes back, pooled
// connections shared by threads, compression and the open-time checks.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bklit/store/clickhouse_http_store.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<AnalyticsStore> open_or_fail(const ClickHouseHttpOptions& o) {
  auto opened = open_clickhouse_http_store(o);
  if (!opened) throw std::runtime_error(opened.error().message);
  return std::move(opened.value());
}

TEST(ClickHouseHttp, CredentialsAreCheckedAtOpen) {
  auto o = server_options(test_database(Engine::kClickHouse));
  o.user = testing::ClickHouseServer::kUser;
  o.password = "wrong";
  auto bad = open_clickhouse_http_store(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Wrong password"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("wrong"), std::string::npos)  // no password echoed
      << bad.error().message;

  o.user = "nobody";
  auto unknown = open_clickhouse_http_store(o);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("nobody"), std::string::npos) << unknown.error().message;

  o.user = testing::ClickHouseServer::kUser;
  o.password = testing::ClickHouseServer::kPassword;
  auto good = open_or_fail(o);
  EXPECT_EQ(good->query("SELECT 1", "TabSeparated"), "1\n");
  EXPECT_TRUE(good->healthy());
}

TEST(ClickHouseHttp, OpenRejectsBadOptionsClearly) {
  auto o = server_options("x");
  o.url = "ftp://127.0.0.1:1";
  EXPECT_FALSE(open_clickhouse_http_store(o).ok());
  o = server_options("bad-name; DROP");
  auto bad_db = open_clickhouse_http_store(o);
  ASSERT_FALSE(bad_db.ok());
  EXPECT_NE(bad_db.error().message.find("database"), std::string::npos);
  o = server_options("x");
  o.url = "http://127.0.0.1:" + std::to_string(testing::free_port());
  auto down = open_clickhouse_http_store(o);
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.error().message.find("unreachable"), std::string::npos) << down.error().message;
}

TEST(ClickHouseHttp, CreatesItsDatabase) {
  std::string db = test_database(Engine::kClickHouse);
  auto store = open_or_fail(server_options(db));
  EXPECT_EQ(store->query("SELECT currentDatabase()", "TabSeparated"), db + "\n");
  // Opening again is fine (IF NOT EXISTS).
  EXPECT_EQ(open_or_fail(server_options(db))->query("SELECT 1", "TabSeparated"), "1\n");
}

TEST(ClickHouseHttp, CompressedInsertsAndResponses) {
  auto o = server_options(test_database(Engine::kClickHouse));
  o.compress = true;
  auto store = open_or_fail(o);
  apply_migrations(*store);
  AnalyticsWriter writer(*store);
  std::vector<core::Event> events(2000);
  std::vector<StoredEvent> batch;
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].project_id = "pz";
    events[i].session_id = "s" + std::to_string(i % 50);
    events[i].timestamp_ms = 1'795'000'000'000 + static_cast<std::int64_t>(i);
    events[i].pathname = "/page/" + std::to_string(i % 17);
    batch.push_back({&events[i], 0, i + 1});
  }
  writer.write_events(batch, "gz-1");
  EXPECT_EQ(store->query("SELECT count(), uniqExact(pathname) FROM events", "TabSeparated"),
            "2000\t17\n");
  std::string rows;
  for (int i = 0; i < 300; ++i) rows += "{\"version\":9,\"name\":\"n" + std::to_string(i) + "\"}\n";
  store->insert("schema_migrations", "version, name", "JSONEachRow", rows, "");
  EXPECT_EQ(store->query("SELECT count() FROM schema_migrations WHERE version = 9", "JSONEachRow"),
            "{\"count()\":\"300\"}\n");
}

TEST(ClickHouseHttp, ThreadsShareThePooledConnections) {
  auto o = server_options(test_database(Engine::kClickHouse));
  o.max_connections = 2;
  auto store = open_or_fail(o);
  store->execute("CREATE TABLE n (t UInt32, i UInt32) ENGINE = MergeTree() ORDER BY t");
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        try {
          store->execute("INSERT INTO n VALUES (" + std::to_string(t) + ", " + std::to_string(i) +
                         ")");
          if (store->query("SELECT count() FROM n WHERE t = " + std::to_string(t),
                           "TabSeparated") != std::to_string(i + 1) + "\n") {
            ++errors;
          }
        } catch (const StoreError&) {
          ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(store->query("SELECT count() FROM n", "TabSeparated"), "120\n");
}

TEST(ClickHouseHttp, HttpsWithTheServersCertificate) {
  testing::ClickHouseServer tls_server(/*tls=*/true);
  ClickHouseHttpOptions o;
  o.url = tls_server.https_url();
  o.database = "tls";
  o.ca_file = tls_server.cert_file();
  auto store = open_or_fail(o);
  EXPECT_EQ(store->query("SELECT 1", "TabSeparated"), "1\n");
  EXPECT_TRUE(store->healthy());

  o.ca_file.clear();  // the system CAs do not know the self-signed certificate
  auto untrusted = open_clickhouse_http_store(o);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.error().message.find("certificate"), std::string::npos)
      << untrusted.error().message;

  o.verify = false;
  EXPECT_EQ(open_or_fail(o)->query("SELECT 2", "TabSeparated"), "2\n");
}

// Runs last in this file's order: it restarts the shared server.
TEST(ClickHouseHttp, ServerDownThenBack) {
  auto& server = clickhouse_server();
  auto store = open_or_fail(server_options(test_database(Engine::kClickHouse)));
  store->execute("CREATE TABLE kept (a UInt8) ENGINE = MergeTree() ORDER BY a");
  store->execute("INSERT INTO kept VALUES (7)");
  ASSERT_TRUE(store->healthy());

  server.stop(/*hard=*/true);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past the health cache
  EXPECT_FALSE(store->healthy());
  auto started = Clock::now();
  EXPECT_THROW(store->execute("INSERT INTO kept VALUES (8)"), StoreError);
  try {
    store->query("SELECT 1", "TabSeparated");
    ADD_FAILURE() << "query succeeded with the server down";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos) << e.what();
    EXPECT_TRUE(e.transient()) << "a server that is down may come back";
    EXPECT_EQ(e.engine_code(), 0);
  }
  // Connection refused fails fast (a few backoff sleeps), not after request_timeout (20 s).
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));

  server.start();
  // The same store (its pooled handles held connections to the old process) works again.
  EXPECT_EQ(store->query("SELECT a FROM kept", "TabSeparated"), "7\n");
  store->execute("INSERT INTO kept VALUES (9)");
  EXPECT_EQ(store->query("SELECT count() FROM kept", "TabSeparated"), "2\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(store->healthy());
}

}  // namespace
}  // namespace bklit::store::contract
