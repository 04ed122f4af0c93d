#pragma once
// Numbered schema migrations of the SQLite app database. A migration is never edited once
// released; a schema change is a new entry at the end of the list.

#include <span>

#include "sqlite/connection.hpp"

namespace bklit::appdb::sqlite {

struct Migration {
  int version;      // 1, 2, 3... in order, no gaps
  const char* sql;  // one or more statements
};

std::span<const Migration> migrations();

// Applies every migration newer than the database, each in its own immediate transaction
// that re-reads the version first, so processes starting together apply each exactly once.
// Throws SqliteError on failure, and std::runtime_error when the database is newer than
// this binary.
void apply_migrations(Connection& connection, std::int64_t now_ms);

int current_version(Connection& connection);

}  // namespace bklit::appdb::sqlite
