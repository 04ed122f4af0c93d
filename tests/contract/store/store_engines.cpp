#include "store_engines.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "bklit/store/chdb_store.hpp"
#include "bklit/store/sql_text.hpp"

namespace bklit::store::contract {
namespace {

std::unique_ptr<testing::ClickHouseServer> g_server;
std::unique_ptr<testing::TempDir> g_chdb_dir;
std::unique_ptr<AnalyticsStore> g_chdb_keepalive;  // keeps the process's connection open

class EnginesEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    g_chdb_keepalive.reset();
    g_chdb_dir.reset();
    g_server.reset();
  }
};

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new EnginesEnvironment);  // gtest owns it

std::string chdb_library() {
  std::string pinned =
      std::string(BKLIT_SOURCE_DIR) + "/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so";
  if (std::filesystem::exists(pinned)) return pinned;
  return find_chdb_library();
}

std::unique_ptr<AnalyticsStore> open_chdb() {
  if (!g_chdb_dir) g_chdb_dir = std::make_unique<testing::TempDir>();
  auto opened = open_chdb_store(g_chdb_dir->file("chdb"), chdb_library());
  if (!opened) throw std::runtime_error(opened.error().message);
  return std::move(opened.value());
}

}  // namespace

testing::ClickHouseServer& clickhouse_server() {
  if (!g_server) g_server = std::make_unique<testing::ClickHouseServer>();
  return *g_server;
}

ClickHouseHttpOptions server_options(const std::string& database) {
  ClickHouseHttpOptions o;
  o.url = clickhouse_server().url();
  o.database = database;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.request_timeout = std::chrono::milliseconds(20000);
  o.max_connections = 4;
  return o;
}

std::unique_ptr<AnalyticsStore> open_store(Engine engine, const std::string& database) {
  if (engine == Engine::kClickHouse) {
    auto opened = open_clickhouse_http_store(server_options(database));
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(opened.value());
  }
  auto store = open_chdb();
  if (!g_chdb_keepalive) g_chdb_keepalive = open_chdb();
  store->execute("CREATE DATABASE IF NOT EXISTS " + database);
  store->execute("USE " + database);
  return store;
}

std::string test_database(Engine engine) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string raw =
      std::string("t_") + info->test_suite_name() + "_" + info->name() + "_" + engine_name(engine);
  std::string out;
  for (char c : raw) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  if (out.size() > 60)
    out = out.substr(0, 50) + "_" + std::to_string(std::hash<std::string>{}(out) % 1000000);
  return out;
}

}  // namespace bklit::store::contract
