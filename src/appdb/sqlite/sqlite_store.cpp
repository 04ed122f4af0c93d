#include "sqlite/sqlite_store.hpp"

#include <sodium.h>

#include <array>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
#include "sqlite/migrations.hpp"

namespace bklit::appdb {

namespace sqlite {

namespace {

constexpr std::size_t kSaltBytes = 32;

constexpr std::string_view kInsertProject =
    "INSERT INTO projects(id, name, domain, timezone, public_ingest, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view kSelectProject =
    "SELECT id, name, domain, timezone, public_ingest, created_ms FROM projects WHERE id = ?1";
constexpr std::string_view kSelectProjects =
    "SELECT id, name, domain, timezone, public_ingest, created_ms FROM projects"
    " ORDER BY created_ms, id";

constexpr std::string_view kInsertToken =
    "INSERT INTO api_tokens(id, prefix, hash, name, scopes, expires_ms, created_ms, revoked)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr std::string_view kInsertTokenProject =
    "INSERT OR IGNORE INTO api_token_projects(token_id, project_id) VALUES (?1, ?2)";
constexpr std::string_view kInsertTokenDomain =
    "INSERT OR IGNORE INTO api_token_domains(token_id, domain) VALUES (?1, ?2)";
constexpr std::string_view kSelectTokenByHash =
    "SELECT id, prefix, hash, name, scopes, expires_ms, created_ms, revoked"
    " FROM api_tokens WHERE hash = ?1";
constexpr std::string_view kSelectTokenProjects =
    "SELECT project_id FROM api_token_projects WHERE token_id = ?1 ORDER BY project_id";
constexpr std::string_view kSelectTokenDomains =
    "SELECT domain FROM api_token_domains WHERE token_id = ?1 ORDER BY domain";

constexpr std::string_view kInsertSalt =
    "INSERT OR IGNORE INTO visitor_salts(day, salt) VALUES (?1, ?2)";
constexpr std::string_view kSelectSalt = "SELECT salt FROM visitor_salts WHERE day = ?1";
constexpr std::string_view kDeleteSalts = "DELETE FROM visitor_salts WHERE day < ?1";

constexpr std::string_view kInsertDefinition =
    "INSERT OR IGNORE INTO event_definitions(project_id, tracking_id, name, created_ms)"
    " VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kSelectDefinitions =
    "SELECT project_id, tracking_id, name, created_ms FROM event_definitions"
    " WHERE project_id = ?1 ORDER BY created_ms, tracking_id";

constexpr std::string_view kSelectVersion =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr std::string_view kSelectOne = "SELECT 1";

Project read_project(const Cursor& row) {
  Project project;
  project.id = row.text(0);
  project.name = row.text(1);
  project.domain = row.text(2);
  project.timezone = row.text(3);
  project.public_ingest = row.int64(4) != 0;
  project.created_ms = row.int64(5);
  return project;
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : connection_(path) {
  apply_migrations(connection_, core::now_ms());
}

int SqliteStore::schema_version() {
  std::lock_guard lock(mutex_);
  auto cursor = connection_.query(kSelectVersion);
  cursor.step();
  return static_cast<int>(cursor.int64(0));
}

void SqliteStore::create_project(const Project& project) {
  std::lock_guard lock(mutex_);
  connection_.query(kInsertProject)
      .bind(1, project.id)
      .bind(2, project.name)
      .bind(3, project.domain)
      .bind(4, project.timezone)
      .bind(5, std::int64_t{project.public_ingest ? 1 : 0})
      .bind(6, project.created_ms)
      .run();
}

std::optional<Project> SqliteStore::find_project(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto cursor = connection_.query(kSelectProject);
  cursor.bind(1, id);
  if (!cursor.step()) {
    return std::nullopt;
  }
  return read_project(cursor);
}

std::vector<Project> SqliteStore::list_projects() {
  std::lock_guard lock(mutex_);
  std::vector<Project> projects;
  auto cursor = connection_.query(kSelectProjects);
  while (cursor.step()) {
    projects.push_back(read_project(cursor));
  }
  return projects;
}

void SqliteStore::create_token(const ApiToken& token) {
  std::lock_guard lock(mutex_);
  WriteTransaction transaction(connection_);
  connection_.query(kInsertToken)
      .bind(1, token.id)
      .bind(2, token.prefix)
      .bind(3, token.hash)
      .bind(4, token.name)
      .bind(5, std::int64_t{token.scopes})
      .bind(6, token.expires_ms)
      .bind(7, token.created_ms)
      .bind(8, std::int64_t{token.revoked ? 1 : 0})
      .run();
  for (const std::string& project_id : token.project_ids) {
    connection_.query(kInsertTokenProject).bind(1, token.id).bind(2, project_id).run();
  }
  for (const std::string& domain : token.allowed_domains) {
    connection_.query(kInsertTokenDomain).bind(1, token.id).bind(2, domain).run();
  }
  transaction.commit();
}

std::optional<ApiToken> SqliteStore::find_token_by_hash(const std::string& hash) {
  std::lock_guard lock(mutex_);
  // One snapshot, so a token is never seen with half of its assignments.
  ReadTransaction transaction(connection_);
  ApiToken token;
  {
    auto cursor = connection_.query(kSelectTokenByHash);
    cursor.bind(1, hash);
    if (!cursor.step()) {
      return std::nullopt;
    }
    token.id = cursor.text(0);
    token.prefix = cursor.text(1);
    token.hash = cursor.text(2);
    token.name = cursor.text(3);
    token.scopes = static_cast<std::uint32_t>(cursor.int64(4));
    token.expires_ms = cursor.int64(5);
    token.created_ms = cursor.int64(6);
    token.revoked = cursor.int64(7) != 0;
  }
  {
    auto cursor = connection_.query(kSelectTokenProjects);
    cursor.bind(1, token.id);
    while (cursor.step()) {
      token.project_ids.push_back(cursor.text(0));
    }
  }
  {
    auto cursor = connection_.query(kSelectTokenDomains);
    cursor.bind(1, token.id);
    while (cursor.step()) {
      token.allowed_domains.push_back(cursor.text(0));
    }
  }
  return token;
}

std::string SqliteStore::salt_for_day(std::int64_t day) {
  {
    std::lock_guard lock(mutex_);
    auto cursor = connection_.query(kSelectSalt);
    cursor.bind(1, day);
    if (cursor.step()) {
      return cursor.blob(0);
    }
  }
  std::array<unsigned char, kSaltBytes> candidate{};
  randombytes_buf(candidate.data(), candidate.size());
  std::lock_guard lock(mutex_);
  // Whoever inserts first (another thread's store or another process) wins; everyone then
  // reads the winner's salt, so all agree on one salt per day.
  connection_.query(kInsertSalt)
      .bind(1, day)
      .bind_blob(2, candidate.data(), candidate.size())
      .run();
  auto cursor = connection_.query(kSelectSalt);
  cursor.bind(1, day);
  if (!cursor.step()) {
    throw std::runtime_error("sqlite: the salt of day " + std::to_string(day) +
                             " vanished right after it was written");
  }
  return cursor.blob(0);
}

void SqliteStore::delete_salts_before(std::int64_t day) {
  std::lock_guard lock(mutex_);
  connection_.query(kDeleteSalts).bind(1, day).run();
}

bool SqliteStore::ensure_event_definition(const EventDefinition& definition) {
  std::lock_guard lock(mutex_);
  return connection_.query(kInsertDefinition)
             .bind(1, definition.project_id)
             .bind(2, definition.tracking_id)
             .bind(3, definition.name)
             .bind(4, definition.created_ms)
             .run() == 1;
}

std::vector<EventDefinition> SqliteStore::list_event_definitions(const std::string& project_id) {
  std::lock_guard lock(mutex_);
  std::vector<EventDefinition> definitions;
  auto cursor = connection_.query(kSelectDefinitions);
  cursor.bind(1, project_id);
  while (cursor.step()) {
    EventDefinition& definition = definitions.emplace_back();
    definition.project_id = cursor.text(0);
    definition.tracking_id = cursor.text(1);
    definition.name = cursor.text(2);
    definition.created_ms = cursor.int64(3);
  }
  return definitions;
}

bool SqliteStore::healthy() {
  std::lock_guard lock(mutex_);
  try {
    auto cursor = connection_.query(kSelectOne);
    return cursor.step() && cursor.int64(0) == 1;
  } catch (const SqliteError& e) {
    core::log::warn(std::string("app database health check failed: ") + e.what());
    return false;
  }
}

}  // namespace sqlite

core::Result<std::unique_ptr<AppStore>> open_sqlite_store(const std::string& db_path) {
  if (db_path.empty()) {
    return core::make_error("appdb_open_failed", "the app database path is empty");
  }
  if (sodium_init() < 0) {
    throw std::runtime_error("libsodium failed to initialize; no source of random salts");
  }
  const bool in_memory = db_path == ":memory:";
  if (!in_memory) {
    const std::filesystem::path parent = std::filesystem::path(db_path).parent_path();
    std::error_code ec;
    if (!parent.empty()) {
      std::filesystem::create_directories(parent, ec);
    }
    if (ec) {
      return core::make_error("appdb_open_failed", "cannot create the folder " + parent.string() +
                                                       " for the app database: " + ec.message());
    }
  }
  try {
    auto store = std::make_unique<sqlite::SqliteStore>(db_path);
    return std::unique_ptr<AppStore>(std::move(store));
  } catch (const std::runtime_error& e) {
    return core::make_error("appdb_open_failed",
                            "cannot open the app database " + db_path + ": " + e.what());
  }
}

}  // namespace bklit::appdb
