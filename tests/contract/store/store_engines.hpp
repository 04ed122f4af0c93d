#pragma once
// The two AnalyticsStore implementations the contract runs against, one per process each:
// chDB opened in a temp folder (chDB allows one data path per process), and one
// clickhouse-server child process. Both start on first use, so a test that needs only one
// engine does not pay for the other. Each test works in its own database.

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "bklit/store/analytics_store.hpp"
#include "bklit/store/clickhouse_http_store.hpp"
#include "bklit/store/schema.hpp"
#include "clickhouse_server.hpp"

namespace bklit::store::contract {

enum class Engine { kChdb, kClickHouse };

inline std::string engine_name(Engine e) { return e == Engine::kChdb ? "chdb" : "clickhouse"; }
inline void PrintTo(Engine e, std::ostream* os) { *os << engine_name(e); }

// The process's clickhouse-server (started on first call; fails the test when missing).
testing::ClickHouseServer& clickhouse_server();

// Options for a store on the shared server in `database` (short timeouts for tests).
ClickHouseHttpOptions server_options(const std::string& database);

// A store on `engine` whose statements run in `database` (created when missing). For chDB
// the one connection switches to it (USE), so open one database at a time there.
std::unique_ptr<AnalyticsStore> open_store(Engine engine, const std::string& database);

// "t_<suite>_<test>_<engine>" made identifier-safe, for the running test.
std::string test_database(Engine engine);

// A suite parameterized by engine whose tests each start on a freshly migrated database.
class MigratedStoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    store_ = open_store(GetParam(), test_database(GetParam()));
    apply_migrations(*store_);
  }
  AnalyticsStore& store() { return *store_; }
  std::string scalar(const std::string& sql) { return store().query(sql, "TabSeparated"); }

  std::unique_ptr<AnalyticsStore> store_;
};

}  // namespace bklit::store::contract
