#pragma once
// Thin RAII layer over the SQLite C API: a connection that keeps every statement prepared
// once, a cursor that always resets its statement, and an immediate-mode transaction.
// Not thread-safe by itself; SqliteStore serializes access with its mutex.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bklit::appdb::sqlite {

// SQLite itself failed (I/O error, corrupt file, lock held past busy_timeout).
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A prepared statement in use. The destructor resets it and clears its bindings so that a
// statement is never left mid-step holding a read snapshot open.
class Cursor {
 public:
  Cursor(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Parameters are numbered from 1, as in SQLite.
  Cursor& bind(int index, std::string_view text);
  Cursor& bind(int index, std::int64_t value);
  Cursor& bind_blob(int index, const void* data, std::size_t size);

  // Advances to the next row; false when done. Throws SqliteError on failure.
  bool step();
  // Runs a statement that returns no rows; returns the number of rows it changed.
  int run();

  // Columns are numbered from 0, as in SQLite.
  std::string text(int column) const;
  std::int64_t int64(int column) const;
  std::string blob(int column) const;

 private:
  void check_bind(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (creating if needed) the file and applies the connection settings: WAL journal,
  // busy timeout, foreign keys. Throws SqliteError when the file cannot be used.
  explicit Connection(const std::string& path);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Returns a cursor on the statement for `sql`, prepared on first use and kept. `sql` must
  // be a string with static storage (a constant): it is the cache key.
  Cursor query(std::string_view sql);

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(const char* sql);

  sqlite3* handle() { return db_; }

 private:
  void enable_wal(const std::string& path);

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

// BEGIN IMMEDIATE ... COMMIT. Taking the write lock up front means a transaction that reads
// then writes never has to upgrade its lock, which SQLite cannot wait for (it fails with
// SQLITE_BUSY at once); with the lock taken at BEGIN, busy_timeout applies instead.
// Rolls back in the destructor unless committed.
class WriteTransaction {
 public:
  explicit WriteTransaction(Connection& connection);
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  ~WriteTransaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// BEGIN ... COMMIT around several reads that must see one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& connection);
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;
  ~ReadTransaction();

 private:
  Connection& connection_;
};

// Throws SqliteError with context and SQLite's own message.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

}  // namespace bklit::appdb::sqlite
