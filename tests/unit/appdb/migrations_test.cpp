#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bklit/appdb/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace bklit::appdb {
namespace {

using testing::TempDir;

// Reads the database behind the store's back, as an operator with the sqlite3 shell would.
std::vector<std::string> raw_column(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  std::vector<std::string> values;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    values.emplace_back(text != nullptr ? text : "");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return values;
}

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Each version recorded exactly once, in order, with nothing missing.
void expect_each_migration_once(const std::string& path, int version) {
  const auto versions = raw_column(path, "SELECT version FROM schema_migrations ORDER BY version");
  ASSERT_EQ(versions.size(), static_cast<std::size_t>(version));
  for (int i = 0; i < version; ++i) EXPECT_EQ(versions[i], std::to_string(i + 1));
}

TEST(SqliteMigrations, FreshDatabaseGetsEveryTable) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_GE((*store)->schema_version(), 1);
  const auto tables = raw_column(path, "SELECT name FROM sqlite_master WHERE type = 'table'");
  for (const char* table : {"schema_migrations", "projects", "api_tokens", "api_token_projects",
                            "api_token_domains", "visitor_salts", "event_definitions"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), table), tables.end()) << table;
  }
}

TEST(SqliteMigrations, ReopeningAppliesNothingTwice) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  int version = 0;
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    version = (*store)->schema_version();
  }
  const auto applied_at = raw_column(path, "SELECT applied_at FROM schema_migrations");
  auto again = open_sqlite_store(path);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ((*again)->schema_version(), version);
  expect_each_migration_once(path, version);
  EXPECT_EQ(raw_column(path, "SELECT applied_at FROM schema_migrations"), applied_at);
}

TEST(SqliteMigrations, ThreadsOpeningTogetherApplyEachMigrationOnce) {
  TempDir dir;
  const std::string path = dir.file("nested/app.db");
  constexpr int kThreads = 8;
  std::vector<std::string> errors(kThreads);
  std::vector<int> versions(kThreads, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto store = open_sqlite_store(path);
      if (!store.ok()) {
        errors[i] = store.error().message;
        return;
      }
      versions[i] = (*store)->schema_version();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(errors[i], "");
    EXPECT_EQ(versions[i], versions[0]);
  }
  expect_each_migration_once(path, versions[0]);
}

TEST(SqliteMigrations, ProcessesOpeningTogetherApplyEachMigrationOnce) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  constexpr int kProcesses = 4;
  // The children wait on a pipe so that they all open the file at the same moment.
  int gate[2];
  ASSERT_EQ(pipe(gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate[1]);
      char byte;
      if (read(gate[0], &byte, 1) != 0) _exit(3);
      auto store = open_sqlite_store(path);
      if (!store.ok()) {
        std::fprintf(stderr, "child %d: %s\n", i, store.error().message.c_str());
        _exit(1);
      }
      _exit((*store)->schema_version() >= 1 ? 0 : 2);
    }
    children.push_back(pid);
  }
  close(gate[0]);
  close(gate[1]);  // EOF releases every child at once
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  expect_each_migration_once(path, (*store)->schema_version());
}

TEST(SqliteMigrations, RefusesADatabaseFromANewerBklit) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  ASSERT_TRUE(open_sqlite_store(path).ok());
  raw_exec(path, "INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)");
  auto store = open_sqlite_store(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "appdb_open_failed");
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer bklit"), std::string::npos);
}

TEST(SqliteMigrations, UsesWriteAheadLogAndForeignKeys) {
  TempDir dir;
  const std::string path = dir.file("app.db");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(raw_column(path, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  ApiToken token;
  token.id = "t1";
  token.hash = "h1";
  token.project_ids = {"no-such-project"};
  EXPECT_THROW((*store)->create_token(token), std::runtime_error);
}

TEST(SqliteOpen, CreatesMissingParentFolders) {
  TempDir dir;
  const std::string path = dir.file("a/b/c/app.db");
  auto store = open_sqlite_store(path);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(SqliteOpen, ReportsAPathThatCannotHoldADatabase) {
  TempDir dir;
  auto on_folder = open_sqlite_store(dir.path().string());
  ASSERT_FALSE(on_folder.ok());
  EXPECT_EQ(on_folder.error().code, "appdb_open_failed");
  EXPECT_NE(on_folder.error().message.find(dir.path().string()), std::string::npos);

  std::ofstream(dir.file("plain-file")) << "x";
  auto under_file = open_sqlite_store(dir.file("plain-file/app.db"));
  ASSERT_FALSE(under_file.ok());
  EXPECT_NE(under_file.error().message.find("cannot create the folder"), std::string::npos)
      << under_file.error().message;

  std::ofstream(dir.file("garbage.db")) << std::string(8192, 'z');
  auto garbage = open_sqlite_store(dir.file("garbage.db"));
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("not a database"), std::string::npos)
      << garbage.error().message;

  EXPECT_FALSE(open_sqlite_store("").ok());
}

}  // namespace
}  // namespace bklit::appdb
