#pragma once
// AppStore: the relational app database (projects, API tokens, salts, event definitions).
// Implementations: sqlite (embedded default) and postgres (scale-out, later issue).
// It grows into the full accounts model (users, organizations, members) in a later issue;
// every table is created by a numbered migration.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bklit::appdb {

struct Project {
  std::string id;  // public id used by the SDK (projectId)
  std::string name;
  std::string domain;  // e.g. "shop.example"; subdomains match too
  std::string timezone = "UTC";
  bool public_ingest = false;  // accept events without a token
  std::int64_t created_ms = 0;
};

enum class Scope : std::uint32_t { kIngest = 1, kRead = 2 };

struct ApiToken {
  std::string id;      // public id of the token row
  std::string prefix;  // first characters, shown in listings
  std::string hash;    // sha256 hex of the secret; the secret is never stored
  std::string name;
  std::uint32_t scopes = 0;                  // bit set of Scope
  std::vector<std::string> project_ids;      // projects the token is assigned to
  std::vector<std::string> allowed_domains;  // extra origins allowed (subdomains included)
  std::int64_t expires_ms = 0;               // 0 = never
  std::int64_t created_ms = 0;
  bool revoked = false;

  bool has_scope(Scope s) const { return (scopes & static_cast<std::uint32_t>(s)) != 0; }
};

struct EventDefinition {
  std::string project_id;
  std::string tracking_id;
  std::string name;
  std::int64_t created_ms = 0;
};

class AppStore {
 public:
  virtual ~AppStore() = default;

  // The backend's opener applies pending migrations (open_sqlite_store), once per
  // process; this is the version it left.
  virtual int schema_version() = 0;

  virtual void create_project(const Project& project) = 0;
  virtual std::optional<Project> find_project(const std::string& id) = 0;
  virtual std::vector<Project> list_projects() = 0;

  virtual void create_token(const ApiToken& token) = 0;
  virtual std::optional<ApiToken> find_token_by_hash(const std::string& hash) = 0;

  // Daily visitor-id salts (docs/metrics.md "Visitor"): returns the salt for the UTC day
  // (days since epoch), creating a random one atomically if none exists.
  virtual std::string salt_for_day(std::int64_t day) = 0;
  // Removes salts of days before `day` (they must not outlive their use).
  virtual void delete_salts_before(std::int64_t day) = 0;

  // Registers (project, tracking_id) if new; returns true if it was created now.
  virtual bool ensure_event_definition(const EventDefinition& definition) = 0;
  virtual std::vector<EventDefinition> list_event_definitions(const std::string& project_id) = 0;

  virtual bool healthy() = 0;
};

}  // namespace bklit::appdb
