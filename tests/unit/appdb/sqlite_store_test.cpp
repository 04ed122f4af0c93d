#include "bklit/appdb/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace bklit::appdb {
namespace {

using testing::TempDir;

Project make_project(std::string id, std::int64_t created_ms = 1000) {
  Project p;
  p.id = std::move(id);
  p.name = "Shop " + p.id;
  p.domain = "shop.example";
  p.timezone = "Europe/Berlin";
  p.public_ingest = true;
  p.created_ms = created_ms;
  return p;
}

ApiToken make_token(std::string id, std::string hash, std::vector<std::string> projects) {
  ApiToken t;
  t.id = std::move(id);
  t.prefix = "bk_abcde";
  t.hash = std::move(hash);
  t.name = "SDK";
  t.scopes = static_cast<std::uint32_t>(Scope::kIngest) | static_cast<std::uint32_t>(Scope::kRead);
  t.project_ids = std::move(projects);
  t.allowed_domains = {"cdn.example", "localhost"};
  t.expires_ms = 5000;
  t.created_ms = 1234;
  t.revoked = false;
  return t;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    auto opened = open_sqlite_store(dir_.file("app.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  AppStore& store() { return *store_; }

  TempDir dir_;
  std::unique_ptr<AppStore> store_;
};

TEST_F(SqliteStoreTest, ProjectRoundTrip) {
  store().create_project(make_project("p1"));
  const auto found = store().find_project("p1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "p1");
  EXPECT_EQ(found->name, "Shop p1");
  EXPECT_EQ(found->domain, "shop.example");
  EXPECT_EQ(found->timezone, "Europe/Berlin");
  EXPECT_TRUE(found->public_ingest);
  EXPECT_EQ(found->created_ms, 1000);
  EXPECT_FALSE(store().find_project("p2").has_value());
}

TEST_F(SqliteStoreTest, ListsProjectsOldestFirst) {
  EXPECT_TRUE(store().list_projects().empty());
  store().create_project(make_project("b", 2000));
  store().create_project(make_project("a", 3000));
  store().create_project(make_project("c", 1000));
  std::vector<std::string> ids;
  for (const auto& p : store().list_projects()) ids.push_back(p.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"c", "b", "a"}));
}

TEST_F(SqliteStoreTest, RejectsADuplicateProjectId) {
  store().create_project(make_project("p1"));
  EXPECT_THROW(store().create_project(make_project("p1")), std::runtime_error);
  EXPECT_EQ(store().list_projects().size(), 1u);
}

TEST_F(SqliteStoreTest, TokenRoundTripWithProjectsAndDomains) {
  store().create_project(make_project("p1"));
  store().create_project(make_project("p2"));
  store().create_token(make_token("t1", "hash-1", {"p2", "p1"}));

  const auto token = store().find_token_by_hash("hash-1");
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(token->id, "t1");
  EXPECT_EQ(token->prefix, "bk_abcde");
  EXPECT_EQ(token->hash, "hash-1");
  EXPECT_EQ(token->name, "SDK");
  EXPECT_TRUE(token->has_scope(Scope::kIngest));
  EXPECT_TRUE(token->has_scope(Scope::kRead));
  EXPECT_EQ(token->project_ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(token->allowed_domains, (std::vector<std::string>{"cdn.example", "localhost"}));
  EXPECT_EQ(token->expires_ms, 5000);
  EXPECT_EQ(token->created_ms, 1234);
  EXPECT_FALSE(token->revoked);

  EXPECT_FALSE(store().find_token_by_hash("hash-2").has_value());
}

TEST_F(SqliteStoreTest, KeepsTheRevokedFlagAndScopes) {
  store().create_project(make_project("p1"));
  ApiToken token = make_token("t1", "hash-1", {"p1"});
  token.revoked = true;
  token.scopes = static_cast<std::uint32_t>(Scope::kRead);
  token.allowed_domains.clear();
  store().create_token(token);
  const auto found = store().find_token_by_hash("hash-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->revoked);
  EXPECT_FALSE(found->has_scope(Scope::kIngest));
  EXPECT_TRUE(found->allowed_domains.empty());
}

TEST_F(SqliteStoreTest, AFailedTokenInsertLeavesNothingBehind) {
  store().create_project(make_project("p1"));
  // The second project does not exist: the whole token must be rolled back.
  EXPECT_THROW(store().create_token(make_token("t1", "hash-1", {"p1", "missing"})),
               std::runtime_error);
  EXPECT_FALSE(store().find_token_by_hash("hash-1").has_value());
  // And the store stays usable for the next write.
  store().create_token(make_token("t1", "hash-1", {"p1"}));
  EXPECT_TRUE(store().find_token_by_hash("hash-1").has_value());
}

TEST_F(SqliteStoreTest, RejectsADuplicateTokenHash) {
  store().create_project(make_project("p1"));
  store().create_token(make_token("t1", "same-hash", {"p1"}));
  EXPECT_THROW(store().create_token(make_token("t2", "same-hash", {"p1"})), std::runtime_error);
  EXPECT_EQ(store().find_token_by_hash("same-hash")->id, "t1");
}

TEST_F(SqliteStoreTest, EventDefinitionsAreCreatedOnce) {
  store().create_project(make_project("p1"));
  store().create_project(make_project("p2"));
  EXPECT_TRUE(store().ensure_event_definition({"p1", "cta-button", "CTA button", 10}));
  EXPECT_FALSE(store().ensure_event_definition({"p1", "cta-button", "Renamed", 20}));
  EXPECT_TRUE(store().ensure_event_definition({"p1", "signup", "Sign up", 5}));
  EXPECT_TRUE(store().ensure_event_definition({"p2", "cta-button", "CTA", 30}));

  const auto defs = store().list_event_definitions("p1");
  ASSERT_EQ(defs.size(), 2u);
  EXPECT_EQ(defs[0].tracking_id, "signup");
  EXPECT_EQ(defs[1].tracking_id, "cta-button");
  EXPECT_EQ(defs[1].name, "CTA button");  // the first registration wins
  EXPECT_EQ(defs[1].created_ms, 10);
  EXPECT_EQ(defs[1].project_id, "p1");
  EXPECT_EQ(store().list_event_definitions("p2").size(), 1u);
  EXPECT_TRUE(store().list_event_definitions("p3").empty());
}

TEST_F(SqliteStoreTest, ConcurrentEventDefinitionRegistrationCreatesOnce) {
  store().create_project(make_project("p1"));
  constexpr int kThreads = 8;
  std::vector<int> created(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        if (store().ensure_event_definition({"p1", "e" + std::to_string(j), "E", j})) ++created[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int n : created) total += n;
  EXPECT_EQ(total, 50);
  EXPECT_EQ(store().list_event_definitions("p1").size(), 50u);
}

TEST_F(SqliteStoreTest, EverythingSurvivesReopen) {
  store().create_project(make_project("p1"));
  store().create_token(make_token("t1", "hash-1", {"p1"}));
  store().ensure_event_definition({"p1", "cta", "CTA", 1});
  const std::string salt = store().salt_for_day(20000);
  reopen();
  EXPECT_EQ(store().find_project("p1")->name, "Shop p1");
  EXPECT_EQ(store().find_token_by_hash("hash-1")->project_ids, std::vector<std::string>{"p1"});
  EXPECT_EQ(store().list_event_definitions("p1").size(), 1u);
  EXPECT_EQ(store().salt_for_day(20000), salt);
}

TEST_F(SqliteStoreTest, IsHealthy) { EXPECT_TRUE(store().healthy()); }

TEST_F(SqliteStoreTest, KeepsTextExactly) {
  Project p = make_project("p1");
  p.name = std::string("Caf\xC3\xA9 'quoted' \"x\"; DROP TABLE projects;--") + '\0' + "tail";
  store().create_project(p);
  EXPECT_EQ(store().find_project("p1")->name, p.name);
}

}  // namespace
}  // namespace bklit::appdb
