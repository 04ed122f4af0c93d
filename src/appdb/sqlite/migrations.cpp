#include "sqlite/migrations.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace bklit::appdb::sqlite {

namespace {

// Version 1: projects, API tokens, visitor salts, event definitions. Users, organizations
// and members arrive in a later migration; projects.organization_id is there already so
// that projects never need a table rebuild (SQLite cannot add a constraint to an existing
// column), and it stays NULL until then.
constexpr const char* kV1 = R"sql(
CREATE TABLE projects (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  domain TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  public_ingest INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  organization_id TEXT NULL
);
CREATE INDEX projects_by_organization ON projects(organization_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  prefix TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scopes INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_token_projects (
  token_id TEXT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  PRIMARY KEY (token_id, project_id)
) WITHOUT ROWID;
CREATE INDEX api_token_projects_by_project ON api_token_projects(project_id);

CREATE TABLE api_token_domains (
  token_id TEXT NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  PRIMARY KEY (token_id, domain)
) WITHOUT ROWID;

CREATE TABLE visitor_salts (
  day INTEGER PRIMARY KEY NOT NULL,
  salt BLOB NOT NULL
);

CREATE TABLE event_definitions (
  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  tracking_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (project_id, tracking_id)
) WITHOUT ROWID;
)sql";

constexpr std::array kMigrations = {
    Migration{1, kV1},
};

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " applied_at INTEGER NOT NULL)";

constexpr std::string_view kSelectVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr std::string_view kInsertVersion =
    "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, ?2)";

int read_version(Connection& connection) {
  auto cursor = connection.query(kSelectVersion);
  cursor.step();
  return static_cast<int>(cursor.int64(0));
}

void check_not_newer(int version, int latest) {
  if (version > latest) {
    throw std::runtime_error("the app database has schema version " + std::to_string(version) +
                             " but this bklit knows only up to " + std::to_string(latest) +
                             "; run a newer bklit");
  }
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int current_version(Connection& connection) {
  connection.exec(kCreateMigrationsTable);
  return read_version(connection);
}

void apply_migrations(Connection& connection, std::int64_t now_ms) {
  const int latest = kMigrations.back().version;
  // Every start after the first finds nothing to do; it need not take the write lock.
  const int found = current_version(connection);
  check_not_newer(found, latest);
  if (found == latest) {
    return;
  }
  for (const Migration& migration : kMigrations) {
    WriteTransaction transaction(connection);
    connection.exec(kCreateMigrationsTable);
    const int version = read_version(connection);
    check_not_newer(version, latest);
    if (version >= migration.version) {
      continue;  // applied already, maybe by another process
    }
    if (version != migration.version - 1) {
      throw std::runtime_error("the app database is at schema version " + std::to_string(version) +
                               ", cannot apply migration " + std::to_string(migration.version));
    }
    connection.exec(migration.sql);
    connection.query(kInsertVersion).bind(1, std::int64_t{migration.version}).bind(2, now_ms).run();
    transaction.commit();
  }
}

}  // namespace bklit::appdb::sqlite
