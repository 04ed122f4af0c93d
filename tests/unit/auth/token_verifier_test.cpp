#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/api_tokens.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/ids.hpp"
#include "temp_dir.hpp"

namespace bklit::auth {
namespace {

using appdb::Scope;
using namespace std::chrono_literals;

constexpr std::uint32_t kIngest = static_cast<std::uint32_t>(Scope::kIngest);
constexpr std::uint32_t kRead = static_cast<std::uint32_t>(Scope::kRead);
constexpr std::int64_t kNow = 1'800'000'000'000;

// A real SQLite store that counts token lookups and can revoke a token in place, standing in
// for an operator revoking it from another process.
class ObservedStore final : public appdb::AppStore {
 public:
  explicit ObservedStore(std::unique_ptr<appdb::AppStore> inner) : inner_(std::move(inner)) {}

  void revoke(const std::string& hash) {
    std::lock_guard lock(mutex_);
    revoked_[hash] = true;
  }
  int lookups() const { return lookups_; }

  std::optional<appdb::ApiToken> find_token_by_hash(const std::string& hash) override {
    ++lookups_;
    auto token = inner_->find_token_by_hash(hash);
    std::lock_guard lock(mutex_);
    if (token && revoked_.contains(hash)) token->revoked = true;
    return token;
  }

  int schema_version() override { return inner_->schema_version(); }
  void create_project(const appdb::Project& p) override { inner_->create_project(p); }
  std::optional<appdb::Project> find_project(const std::string& id) override {
    return inner_->find_project(id);
  }
  std::vector<appdb::Project> list_projects() override { return inner_->list_projects(); }
  void create_token(const appdb::ApiToken& t) override { inner_->create_token(t); }
  std::string salt_for_day(std::int64_t day) override { return inner_->salt_for_day(day); }
  void delete_salts_before(std::int64_t day) override { inner_->delete_salts_before(day); }
  bool ensure_event_definition(const appdb::EventDefinition& d) override {
    return inner_->ensure_event_definition(d);
  }
  std::vector<appdb::EventDefinition> list_event_definitions(const std::string& id) override {
    return inner_->list_event_definitions(id);
  }
  bool healthy() override { return inner_->healthy(); }

 private:
  std::unique_ptr<appdb::AppStore> inner_;
  std::atomic<int> lookups_{0};
  std::mutex mutex_;
  std::map<std::string, bool> revoked_;
};

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = appdb::open_sqlite_store(dir_.file("app.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::make_unique<ObservedStore>(std::move(opened).value());
    for (const char* id : {"p1", "p2"}) {
      appdb::Project p;
      p.id = id;
      p.name = id;
      p.domain = "shop.example";
      store_->create_project(p);
    }
  }

  std::string add_token(std::uint32_t scopes, std::vector<std::string> projects,
                        std::int64_t expires_ms = 0, bool revoked = false) {
    MintedToken minted = mint_token("t", scopes, std::move(projects), {}, expires_ms);
    minted.record.revoked = revoked;
    store_->create_token(minted.record);
    return minted.secret;
  }

  testing::TempDir dir_;
  std::unique_ptr<ObservedStore> store_;
};

void expect_denied(const core::Result<std::shared_ptr<const appdb::ApiToken>>& result,
                   const std::string& code, int status) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, code);
  EXPECT_EQ(result.error().http_status, status);
  EXPECT_FALSE(result.error().message.empty());
}

TEST_F(TokenVerifierTest, AcceptsAnAssignedTokenWithTheScope) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1", "p2"});
  const auto result = verifier.verify(secret, "p2", Scope::kIngest, kNow);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ((*result)->project_ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ((*result)->prefix, secret.substr(0, 8));
}

TEST_F(TokenVerifierTest, TokenOfAnotherProjectIsForbidden) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"});
  expect_denied(verifier.verify(secret, "p2", Scope::kIngest, kNow), "token_wrong_project", 403);
}

TEST_F(TokenVerifierTest, ReadTokenCannotIngestAndIngestTokenCannotRead) {
  TokenVerifier verifier(*store_, 10s);
  const std::string read = add_token(kRead, {"p1"});
  const std::string ingest = add_token(kIngest, {"p1"});
  expect_denied(verifier.verify(read, "p1", Scope::kIngest, kNow), "token_missing_scope", 403);
  expect_denied(verifier.verify(ingest, "p1", Scope::kRead, kNow), "token_missing_scope", 403);
  EXPECT_TRUE(verifier.verify(read, "p1", Scope::kRead, kNow).ok());
  EXPECT_TRUE(verifier.verify(ingest, "p1", Scope::kIngest, kNow).ok());
  EXPECT_NE(verifier.verify(read, "p1", Scope::kIngest, kNow).error().message.find("ingest"),
            std::string::npos);
}

TEST_F(TokenVerifierTest, ExpiredTokenIsUnauthorized) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"}, kNow + 1000);
  EXPECT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow + 999).ok());
  // The cached token expires on time too.
  expect_denied(verifier.verify(secret, "p1", Scope::kIngest, kNow + 1000), "token_expired", 401);
}

TEST_F(TokenVerifierTest, RevokedTokenIsUnauthorized) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"}, 0, /*revoked=*/true);
  expect_denied(verifier.verify(secret, "p1", Scope::kIngest, kNow), "token_revoked", 401);
}

TEST_F(TokenVerifierTest, UnknownMissingAndMalformedTokensAreUnauthorized) {
  TokenVerifier verifier(*store_, 10s);
  const std::string never_stored = mint_token("t", kIngest, {"p1"}).secret;
  expect_denied(verifier.verify(never_stored, "p1", Scope::kIngest, kNow), "token_invalid", 401);
  expect_denied(verifier.verify("", "p1", Scope::kIngest, kNow), "token_missing", 401);
  const int before = store_->lookups();
  expect_denied(verifier.verify("not-a-token", "p1", Scope::kIngest, kNow), "token_invalid", 401);
  expect_denied(verifier.verify(std::string(100000, 'x'), "p1", Scope::kIngest, kNow),
                "token_invalid", 401);
  EXPECT_EQ(store_->lookups(), before);  // garbage never reaches the database
}

TEST_F(TokenVerifierTest, CachesLookupsWithinTtl) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"});
  const std::string unknown = mint_token("t", kIngest, {"p1"}).secret;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow + i * 1000).ok());
    EXPECT_FALSE(verifier.verify(unknown, "p1", Scope::kIngest, kNow + i * 1000).ok());
  }
  EXPECT_EQ(store_->lookups(), 2);
}

TEST_F(TokenVerifierTest, RevocationTakesEffectAfterTtl) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"});
  ASSERT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow).ok());
  store_->revoke(core::sha256_hex(secret));
  // Still cached: the short window in which a revoked token keeps working.
  EXPECT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow + 9'999).ok());
  expect_denied(verifier.verify(secret, "p1", Scope::kIngest, kNow + 10'000), "token_revoked", 401);
}

TEST_F(TokenVerifierTest, InvalidateDropsTheCachedTokenAtOnce) {
  TokenVerifier verifier(*store_, 10s);
  const std::string secret = add_token(kIngest, {"p1"});
  ASSERT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow).ok());
  store_->revoke(core::sha256_hex(secret));
  verifier.invalidate(core::sha256_hex(secret));
  expect_denied(verifier.verify(secret, "p1", Scope::kIngest, kNow + 1), "token_revoked", 401);
}

TEST_F(TokenVerifierTest, TokenCreatedAfterAMissWorksAfterTtl) {
  TokenVerifier verifier(*store_, 10s);
  MintedToken minted = mint_token("t", kIngest, {"p1"});
  expect_denied(verifier.verify(minted.secret, "p1", Scope::kIngest, kNow), "token_invalid", 401);
  store_->create_token(minted.record);
  EXPECT_TRUE(verifier.verify(minted.secret, "p1", Scope::kIngest, kNow + 10'000).ok());
}

TEST_F(TokenVerifierTest, AFloodOfUnknownTokensDoesNotEvictRealOnes) {
  TokenVerifier verifier(*store_, 10s, /*capacity=*/16);
  const std::string secret = add_token(kIngest, {"p1"});
  ASSERT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow).ok());
  for (int i = 0; i < 100; ++i) {
    const std::string made_up = mint_token("t", kIngest, {"p1"}).secret;
    EXPECT_FALSE(verifier.verify(made_up, "p1", Scope::kIngest, kNow).ok());
  }
  const int before = store_->lookups();
  EXPECT_TRUE(verifier.verify(secret, "p1", Scope::kIngest, kNow + 1).ok());
  EXPECT_EQ(store_->lookups(), before);
}

TEST_F(TokenVerifierTest, StaysCorrectBeyondCapacity) {
  TokenVerifier verifier(*store_, 10s, /*capacity=*/4);
  std::vector<std::string> secrets;
  for (int i = 0; i < 20; ++i) secrets.push_back(add_token(kIngest, {"p1"}));
  for (int round = 0; round < 3; ++round) {
    for (const auto& s : secrets) EXPECT_TRUE(verifier.verify(s, "p1", Scope::kIngest, kNow).ok());
  }
}

TEST_F(TokenVerifierTest, ManyThreadsVerifyTogether) {
  TokenVerifier verifier(*store_, 10s, 8);
  std::vector<std::string> secrets;
  for (int i = 0; i < 16; ++i) secrets.push_back(add_token(kIngest, {i % 2 == 0 ? "p1" : "p2"}));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const int k = (i * 7 + t) % 16;
        const bool ok = verifier.verify(secrets[k], "p1", Scope::kIngest, kNow + i).ok();
        if (ok != (k % 2 == 0)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace bklit::auth
