#pragma once

#include <mutex>
#include <string>

#include "bklit/appdb/app_store.hpp"
#include "sqlite/connection.hpp"

namespace bklit::appdb::sqlite {

// One connection behind one mutex. Every call is a few indexed statements that run in
// microseconds, and the hot readers (token checks, salts, event definitions) sit behind
// caches in their callers, so a connection pool would buy nothing but more open files.
class SqliteStore final : public AppStore {
 public:
  // Opens the file and applies its pending migrations; throws what SQLite throws, and when
  // the file was written by a newer bklit.
  explicit SqliteStore(const std::string& path);

  int schema_version() override;

  void create_project(const Project& project) override;
  std::optional<Project> find_project(const std::string& id) override;
  std::vector<Project> list_projects() override;

  void create_token(const ApiToken& token) override;
  std::optional<ApiToken> find_token_by_hash(const std::string& hash) override;

  std::string salt_for_day(std::int64_t day) override;
  void delete_salts_before(std::int64_t day) override;

  bool ensure_event_definition(const EventDefinition& definition) override;
  std::vector<EventDefinition> list_event_definitions(const std::string& project_id) override;

  bool healthy() override;

 private:
  std::mutex mutex_;
  Connection connection_;
};

}  // namespace bklit::appdb::sqlite
