#pragma once
// The analytics schema, shared by every AnalyticsStore: numbered migrations applied in order,
// each exactly once, recorded in `schema_migrations`.

#include <cstdint>
#include <string>
#include <vector>

#include "bklit/store/analytics_store.hpp"
#include "bklit/store/sql_dialect.hpp"

namespace bklit::store {

struct Migration {
  std::uint32_t version = 0;
  std::string name;
  std::vector<std::string> statements;  // each idempotent (IF NOT EXISTS), run in order
};

// Every migration, oldest first, rendered for the dialect.
std::vector<Migration> analytics_migrations(const SqlDialect& dialect);

// Applies the migrations not yet recorded; returns how many ran. Throws StoreError when a
// statement fails (the failed migration is not recorded, so the next start retries it).
std::size_t apply_migrations(AnalyticsStore& store);

// Highest applied migration, 0 on an empty store.
std::uint32_t schema_version(AnalyticsStore& store);

}  // namespace bklit::store
