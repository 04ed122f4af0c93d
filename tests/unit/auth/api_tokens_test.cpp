#include "bklit/auth/api_tokens.hpp"

#include <gtest/gtest.h>

#include <set>

#include "bklit/core/ids.hpp"

namespace bklit::auth {
namespace {

TEST(MintToken, SecretHasTheDocumentedShape) {
  const MintedToken minted =
      mint_token("SDK", static_cast<std::uint32_t>(appdb::Scope::kIngest), {"p1"});
  ASSERT_EQ(minted.secret.size(), 43u);
  EXPECT_TRUE(minted.secret.starts_with("bk_"));
  for (char c : minted.secret.substr(3)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  EXPECT_TRUE(looks_like_token(minted.secret));
}

TEST(MintToken, RecordKeepsOnlyTheHashAndAPrefix) {
  const MintedToken minted = mint_token("Stats", static_cast<std::uint32_t>(appdb::Scope::kRead),
                                        {"p1", "p2"}, {"cdn.example"}, 123456);
  const appdb::ApiToken& r = minted.record;
  EXPECT_EQ(r.hash, core::sha256_hex(minted.secret));
  EXPECT_EQ(r.hash.size(), 64u);
  EXPECT_EQ(r.prefix, minted.secret.substr(0, 8));
  EXPECT_EQ(r.name, "Stats");
  EXPECT_TRUE(r.has_scope(appdb::Scope::kRead));
  EXPECT_FALSE(r.has_scope(appdb::Scope::kIngest));
  EXPECT_EQ(r.project_ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(r.allowed_domains, std::vector<std::string>{"cdn.example"});
  EXPECT_EQ(r.expires_ms, 123456);
  EXPECT_GT(r.created_ms, 0);
  EXPECT_FALSE(r.revoked);
  EXPECT_FALSE(r.id.empty());
  EXPECT_EQ(r.id.find(minted.secret.substr(3)), std::string::npos);
}

TEST(MintToken, EverySecretAndIdIsNew) {
  std::set<std::string> secrets, ids;
  for (int i = 0; i < 200; ++i) {
    const MintedToken minted = mint_token("t", 1, {"p"});
    secrets.insert(minted.secret);
    ids.insert(minted.record.id);
  }
  EXPECT_EQ(secrets.size(), 200u);
  EXPECT_EQ(ids.size(), 200u);
}

TEST(LooksLikeToken, RejectsOtherShapes) {
  const std::string good = mint_token("t", 1, {"p"}).secret;
  EXPECT_TRUE(looks_like_token(good));
  EXPECT_FALSE(looks_like_token(""));
  EXPECT_FALSE(looks_like_token(good.substr(0, 42)));
  EXPECT_FALSE(looks_like_token(good + "x"));
  EXPECT_FALSE(looks_like_token("xx_" + good.substr(3)));
  EXPECT_FALSE(looks_like_token("bk_" + std::string(39, 'a') + "-"));
  EXPECT_FALSE(looks_like_token("Bearer " + good));
}

}  // namespace
}  // namespace bklit::auth
