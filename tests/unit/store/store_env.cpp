#include "store_env.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "bklit/store/chdb_store.hpp"
#include "bklit/store/schema.hpp"

namespace bklit::store::testing {
namespace {

std::unique_ptr<AnalyticsStore> g_store;
std::string g_dir;

class StoreEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    g_store.reset();
    if (!g_dir.empty()) std::filesystem::remove_all(g_dir);
  }
};

[[maybe_unused]] auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new StoreEnvironment);  // gtest owns it

}  // namespace

AnalyticsStore& shared_store() {
  if (!g_store) {
    char tmpl[] = "/tmp/bklit-store-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    g_dir = tmpl;
    auto opened = open_chdb_store(g_dir + "/chdb", "");
    if (!opened) throw std::runtime_error(opened.error().message);
    g_store = std::move(opened.value());
    apply_migrations(*g_store);
  }
  return *g_store;
}

const std::string& shared_store_path() {
  shared_store();
  return g_dir;
}

}  // namespace bklit::store::testing
