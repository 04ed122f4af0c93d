#include <charconv>
#include <chrono>
#include <set>
#include <string_view>
#include <thread>

#include "bklit/store/schema.hpp"
#include "bklit/store/sql_text.hpp"
#include "schema/columns.hpp"

namespace bklit::store {
namespace {

constexpr std::string_view kMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
    "applied_at DateTime('UTC')) ENGINE = MergeTree() ORDER BY version";

// The tables' columns come from their declarations (schema/columns.cpp). A store created by
// an earlier binary keeps its tables as they were: only a migration that is not yet recorded
// runs, and new columns come as new migrations (ALTER TABLE ... ADD COLUMN).
std::string events_table(const SqlDialect& d) {
  return "CREATE TABLE IF NOT EXISTS events " + column_definitions(event_table_columns(), d) +
         " ENGINE = MergeTree() PARTITION BY toYYYYMM(ts) "
         "ORDER BY (project_id, toDate(ts), session_id, timestamp_ms)" +
         d.merge_tree_settings();
}

std::string sessions_table(const SqlDialect& d) {
  return "CREATE TABLE IF NOT EXISTS sessions " + column_definitions(session_table_columns(), d) +
         " ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(start_ts) "
         "ORDER BY (project_id, toDate(start_ts), session_id)" +
         d.merge_tree_settings();
}

// Merges wait for about this many parts of like size instead of the engine's 5: each row is
// rewritten by fewer merges (lower write amplification), at the price of more parts in a
// partition between merges. At 10 000 events/s on two cores the engine's merge threads fell
// from 26 to 11 µs of CPU per event (docs/architecture.md, "Merges"; bench/README.md).
constexpr int kMergeSelectorBase = 20;

std::vector<std::string> merge_selector_statements(const SqlDialect& d) {
  if (!d.merge_selector_base) return {};  // the engine merges with its own base
  std::vector<std::string> out;
  for (const char* table : {"events", "sessions"}) {
    out.push_back(std::string("ALTER TABLE ") + table +
                  " MODIFY SETTING merge_selector_base = " + std::to_string(kMergeSelectorBase));
  }
  return out;
}

std::set<std::uint32_t> applied_versions(AnalyticsStore& store) {
  std::string out = store.query("SELECT DISTINCT version FROM schema_migrations", "TabSeparated");
  std::set<std::uint32_t> versions;
  std::string_view rest(out);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    std::uint32_t v = 0;
    if (std::from_chars(line.data(), line.data() + line.size(), v).ec == std::errc()) {
      versions.insert(v);
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return versions;
}

// Several processes may start at once against one server. Every statement is idempotent
// (IF NOT EXISTS), but two concurrent CREATEs can still both pass the existence check and
// one then fails with "already exists"; running it again sees the table and succeeds. A
// statement that keeps failing is a real error.
void execute_idempotent(AnalyticsStore& store, std::string_view statement) {
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    try {
      store.execute(statement);
      return;
    } catch (const StoreError&) {
      if (attempt >= kAttempts) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
  }
}

}  // namespace

std::vector<Migration> analytics_migrations(const SqlDialect& dialect) {
  return {
      {1, "events", {events_table(dialect)}},
      {2, "sessions", {sessions_table(dialect)}},
      // A setting, not a column: stores made before it get it too. On an engine without
      // the setting the migration is recorded with nothing run.
      {3, "merge selector base", merge_selector_statements(dialect)},
  };
}

// Race-safe enough for concurrent starters: each may run a migration the others are also
// running (harmless, its statements are idempotent) and record it again; readers take the
// DISTINCT versions and the highest one, so duplicate records change nothing.
std::size_t apply_migrations(AnalyticsStore& store) {
  execute_idempotent(store, kMigrationsTable);
  auto applied = applied_versions(store);
  std::size_t count = 0;
  for (const auto& m : analytics_migrations(SqlDialect::for_version(store.version()))) {
    if (applied.contains(m.version)) continue;
    for (const auto& statement : m.statements) execute_idempotent(store, statement);
    std::string record = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                         std::to_string(m.version) + ", " + sql::quote(m.name) + ", now())";
    store.execute(record);
    ++count;
  }
  return count;
}

std::uint32_t schema_version(AnalyticsStore& store) {
  execute_idempotent(store, kMigrationsTable);
  auto applied = applied_versions(store);
  return applied.empty() ? 0 : *applied.rbegin();
}

}  // namespace bklit::store
