#include "sqlite/connection.hpp"

#include <chrono>
#include <string>
#include <thread>

#include "bklit/core/log.hpp"

namespace bklit::appdb::sqlite {

namespace {

// Long enough to ride out another process applying migrations or a WAL checkpoint, short
// enough that a stuck lock surfaces as an error instead of a hang.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

void throw_error(sqlite3* db, int rc, std::string_view context) {
  std::string what = "sqlite: ";
  what.append(context);
  what += ": ";
  what += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(rc, what);
}

Cursor::~Cursor() {
  // sqlite3_reset repeats the error of the last step, which step() already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Cursor::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) {
    throw_error(db_, rc, "binding parameter " + std::to_string(index));
  }
}

Cursor& Cursor::bind(int index, std::string_view text) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Cursor& Cursor::bind(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Cursor& Cursor::bind_blob(int index, const void* data, std::size_t size) {
  check_bind(sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT), index);
  return *this;
}

bool Cursor::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  throw_error(db_, rc, sqlite3_sql(stmt_));
}

int Cursor::run() {
  while (step()) {
  }
  return sqlite3_changes(db_);
}

std::string Cursor::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (p == nullptr) {
    return {};
  }
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::int64_t Cursor::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Cursor::blob(int column) const {
  const void* p = sqlite3_column_blob(stmt_, column);
  if (p == nullptr) {
    return {};
  }
  return {static_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

Connection::Connection(const std::string& path) {
  // NOMUTEX: the store serializes every use of the connection with its own mutex, so
  // SQLite's internal one would only add a second lock per call.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string what = "sqlite: cannot open " + path + ": ";
    what += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, what);
  }
  try {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    enable_wal(path);
    // synchronous=NORMAL: in WAL mode a commit then costs no fsync, yet a crash of the
    // process loses nothing and the file stays consistent; only a power cut can drop the
    // last commits. Without it, the worker could register only ~200 new event definitions
    // per second on this hardware.
    exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void Connection::enable_wal(const std::string& path) {
  // WAL lets readers run while a writer commits. Switching a new file to WAL needs an
  // exclusive lock and SQLite reports contention on it at once, without the busy handler,
  // when several processes create the database together; so wait here instead.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  std::string mode;
  for (;;) {
    mode.clear();
    const int rc = sqlite3_exec(
        db_, "PRAGMA journal_mode=WAL",
        [](void* out, int, char** values, char**) {
          if (values[0] != nullptr) {
            *static_cast<std::string*>(out) = values[0];
          }
          return 0;
        },
        &mode, nullptr);
    if (rc == SQLITE_OK) {
      break;
    }
    if ((rc & 0xFF) != SQLITE_BUSY || std::chrono::steady_clock::now() > deadline) {
      throw_error(db_, rc, "PRAGMA journal_mode=WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (mode != "wal" && path != ":memory:") {
    core::log::warn("sqlite: " + path + " cannot use write-ahead logging (journal mode " + mode +
                    "); readers will wait for writers");
  }
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) {
    sqlite3_finalize(stmt);
  }
  // With every statement finalized, close cannot fail with SQLITE_BUSY.
  sqlite3_close(db_);
}

Cursor Connection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      throw_error(db_, rc, sql);
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return {db_, it->second};
}

void Connection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what =
        std::string("sqlite: ") + sql + ": " + (message != nullptr ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    throw SqliteError(rc, what);
  }
}

WriteTransaction::WriteTransaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
  if (done_) {
    return;
  }
  if (sqlite3_get_autocommit(connection_.handle()) != 0) {
    return;  // SQLite already rolled back
  }
  const int rc = sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    core::log::error(std::string("sqlite: ROLLBACK failed: ") +
                     sqlite3_errmsg(connection_.handle()));
  }
}

void WriteTransaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

ReadTransaction::ReadTransaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN");
}

ReadTransaction::~ReadTransaction() {
  if (sqlite3_get_autocommit(connection_.handle()) != 0) {
    return;
  }
  // Nothing was written, so ending the transaction either way only releases the snapshot.
  const int rc = sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    core::log::error(std::string("sqlite: ending a read failed: ") +
                     sqlite3_errmsg(connection_.handle()));
  }
}

}  // namespace bklit::appdb::sqlite
