#pragma once
// AnalyticsStore: the ClickHouse-dialect analytics database.
// Implementations: chdb (embedded, in-process) and clickhouse_http (a server over HTTP).
// Everything above this interface (schema, row encoding, query builder) is shared.

#include <stdexcept>
#include <string>
#include <string_view>

namespace bklit::store {

// Whether the same statement can succeed later.
enum class StoreFailure {
  kTransient,  // engine unreachable, timed out or overloaded: retry later
  kPermanent,  // the engine rejected the statement, or a bug: it fails the same way again
};

// Thrown for infrastructure failures (engine unreachable, SQL rejected). The message is
// for logs, not for clients; failure() says whether a client may be told to retry.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what, StoreFailure failure = StoreFailure::kPermanent,
                      int engine_code = 0)
      : std::runtime_error(what), failure_(failure), engine_code_(engine_code) {}

  StoreFailure failure() const noexcept { return failure_; }
  bool transient() const noexcept { return failure_ == StoreFailure::kTransient; }
  // The ClickHouse error code (e.g. 60 UNKNOWN_TABLE, 159 TIMEOUT_EXCEEDED); 0 when the
  // failure has none (transport errors, checks of our own).
  int engine_code() const noexcept { return engine_code_; }
  // True when the engine refused the rows of an INSERT for a value in them (one it cannot
  // parse, or out of range for its column): the same rows fail again, other rows may not.
  // The codes are listed in engine_error.cpp; docs/architecture.md, "Rejected rows".
  bool rejects_data() const noexcept;

 private:
  StoreFailure failure_;
  int engine_code_;
};

struct EngineVersion {
  int major = 0, minor = 0;
  std::string text;
  bool at_least(int maj, int min) const { return major > maj || (major == maj && minor >= min); }
};

class AnalyticsStore {
 public:
  virtual ~AnalyticsStore() = default;

  // Runs one statement that returns nothing (DDL, ALTER, INSERT ... SELECT).
  virtual void execute(std::string_view sql) = 0;

  // Runs one SELECT and returns its output in `format` (e.g. "JSONEachRow",
  // "JSONCompact", "TabSeparated"); the SQL must not carry its own FORMAT clause.
  virtual std::string query(std::string_view sql, std::string_view format) = 0;

  // Inserts `rows`, encoded in `format` ("Native", "RowBinary", "TabSeparated"...) with
  // the columns `columns` ("a, b, c": identifiers, in the rows' order), into `table`. The
  // rows travel as data, never as SQL text. A non-empty `dedup_token` is sent as the
  // insert_deduplication_token setting: the same token again is then a no-op on tables with a
  // dedup window. Pass it only to engines that know the setting (SqlDialect::dedup_token).
  virtual void insert(std::string_view table, std::string_view columns, std::string_view format,
                      std::string_view rows, std::string_view dedup_token) = 0;

  // The Linux nice value for the engine threads that run the next inserts, where the engine
  // runs in this process (chDB: its `os_thread_priority` setting on each INSERT, which the
  // engine applies only with CAP_SYS_NICE, e.g. as root, and undoes after the query). The
  // worker raises it while the store keeps pace, so inserts yield the cores to the socket
  // threads (docs/architecture.md, "Insert pacing"). A no-op for an engine in another process.
  virtual void set_insert_nice(int /*nice*/) {}

  virtual EngineVersion version() = 0;

  // True when the engine answers (for /readyz).
  virtual bool healthy() = 0;
};

}  // namespace bklit::store
