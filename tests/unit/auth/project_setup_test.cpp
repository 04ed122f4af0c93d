#include "bklit/auth/project_setup.hpp"

#include <gtest/gtest.h>

#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/api_tokens.hpp"
#include "bklit/auth/origin.hpp"
#include "bklit/auth/token_cache.hpp"
#include "temp_dir.hpp"

namespace bklit::auth {
namespace {

using namespace std::chrono_literals;

class ProjectSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = appdb::open_sqlite_store(dir_.file("data/app.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  testing::TempDir dir_;
  std::unique_ptr<appdb::AppStore> store_;
};

TEST_F(ProjectSetupTest, CreatesTheProjectAndTwoWorkingTokens) {
  auto created = create_project(*store_, "  My Shop ", "https://WWW.Shop.Example:8443/landing",
                                "Europe/Berlin", true);
  ASSERT_TRUE(created.ok()) << created.error().message;
  const appdb::Project& project = created->project;
  EXPECT_EQ(project.id.size(), 20u);
  EXPECT_EQ(project.name, "My Shop");
  EXPECT_EQ(project.domain, "www.shop.example:8443");
  EXPECT_EQ(project.timezone, "Europe/Berlin");
  EXPECT_TRUE(project.public_ingest);

  const auto stored = store_->find_project(project.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "My Shop");
  EXPECT_EQ(stored->domain, "www.shop.example:8443");

  EXPECT_TRUE(looks_like_token(created->ingest_token));
  EXPECT_TRUE(looks_like_token(created->read_token));
  EXPECT_NE(created->ingest_token, created->read_token);

  TokenVerifier verifier(*store_, 10s);
  const std::int64_t now = 1'800'000'000'000;
  EXPECT_TRUE(verifier.verify(created->ingest_token, project.id, appdb::Scope::kIngest, now).ok());
  EXPECT_TRUE(verifier.verify(created->read_token, project.id, appdb::Scope::kRead, now).ok());
  EXPECT_EQ(verifier.verify(created->read_token, project.id, appdb::Scope::kIngest, now)
                .error()
                .http_status,
            403);
  EXPECT_EQ(verifier.verify(created->ingest_token, project.id, appdb::Scope::kRead, now)
                .error()
                .http_status,
            403);
  EXPECT_TRUE(origin_allowed("https://www.shop.example", project.domain, {}));
}

TEST_F(ProjectSetupTest, ProjectsGetDistinctIds) {
  auto a = create_project(*store_, "A", "a.example");
  auto b = create_project(*store_, "B", "b.example");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->project.id, b->project.id);
  EXPECT_EQ(a->project.timezone, "UTC");
  EXPECT_FALSE(a->project.public_ingest);
  EXPECT_EQ(store_->list_projects().size(), 2u);
}

TEST_F(ProjectSetupTest, RejectsBadNames) {
  for (const std::string& name :
       {std::string(""), std::string("   "), std::string(101, 'a'), std::string("a\nb"),
        std::string("bad \xFF utf8"), std::string("tab\there")}) {
    auto created = create_project(*store_, name, "shop.example");
    ASSERT_FALSE(created.ok()) << "name '" << name << "'";
    EXPECT_EQ(created.error().code, "invalid_project_name");
    EXPECT_EQ(created.error().http_status, 400);
  }
  // 100 characters is fine even when they take more bytes.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "\xC3\xA9";
  EXPECT_TRUE(create_project(*store_, hundred, "shop.example").ok());
  EXPECT_EQ(store_->list_projects().size(), 1u);  // nothing stored for the rejected ones
}

TEST_F(ProjectSetupTest, RejectsBadTimezones) {
  for (const char* tz :
       {"", "Europe/../../etc/passwd", "/etc/localtime", "Mars Time", "a;b", "Mars/Olympus",
        "Europe/Berlinn", "posix/Europe/Berlin", "tzdata.zi", "zone.tab", "Europe"}) {
    auto created = create_project(*store_, "Shop", "shop.example", tz);
    ASSERT_FALSE(created.ok()) << tz;
    EXPECT_EQ(created.error().code, "invalid_timezone");
  }
  // The message names the setting and shows a valid value.
  auto mars = create_project(*store_, "Shop", "shop.example", "Mars/Olympus");
  ASSERT_FALSE(mars.ok());
  EXPECT_NE(mars.error().message.find("timezone 'Mars/Olympus'"), std::string::npos)
      << mars.error().message;
  EXPECT_NE(mars.error().message.find("Europe/Berlin"), std::string::npos) << mars.error().message;
  EXPECT_TRUE(
      create_project(*store_, "Shop", "shop.example", "America/Argentina/Buenos_Aires").ok());
  EXPECT_TRUE(create_project(*store_, "Shop", "shop.example", "Etc/GMT+5").ok());
  // Links (older names) are IANA names too.
  EXPECT_TRUE(create_project(*store_, "Shop", "shop.example", "US/Eastern").ok());
  EXPECT_TRUE(create_project(*store_, "Shop", "shop.example", "Asia/Calcutta").ok());
}

TEST(NormalizeProjectDomain, AcceptsWhatUsersType) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"shop.example", "shop.example"},
      {"Shop.Example", "shop.example"},
      {"https://shop.example/", "shop.example"},
      {"http://shop.example/path?q=1#x", "shop.example"},
      {"shop.example.", "shop.example"},
      {"*.shop.example", "shop.example"},
      {"  www.shop.example  ", "www.shop.example"},
      {"localhost:3000", "localhost:3000"},
      {"http://127.0.0.1:8080", "127.0.0.1:8080"},
      {"[::1]:3000", "[::1]:3000"},
      {"xn--caf-dma.example", "xn--caf-dma.example"},
      {"Caf\xC3\xA9.Example", "xn--caf-dma.example"},  // stored as browsers send it
      {"[0:0::1]:3000", "[::1]:3000"},
      {"my-site.co.uk", "my-site.co.uk"},
  };
  for (const auto& [input, expected] : cases) {
    auto result = normalize_project_domain(input);
    ASSERT_TRUE(result.ok()) << input << ": " << result.error().message;
    EXPECT_EQ(*result, expected) << input;
  }
}

TEST(NormalizeProjectDomain, RejectsGarbageWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "is empty"},
      {"   ", "is empty"},
      {"https://", "has no host name"},
      {"shop..example", "empty part"},
      {".shop.example", "empty part"},
      {"-shop.example", "hyphen"},
      {"shop-.example", "hyphen"},
      {"shop example", "character ' '"},
      {"shop!.example", "character '!'"},
      {"caf\xFF.example", "UTF-8"},
      {"shop.123", "IPv4"},
      {"shop.example:0", "invalid port"},
      {"shop.example:65536", "invalid port"},
      {"shop.example:80a", "invalid port"},
      {"shop.example:", "invalid port"},
      {"user@shop.example", "user name"},
      {std::string(64, 'a') + ".example", "longer than 63"},
      {std::string(250, 'a').replace(60, 1, ".").replace(120, 1, ".").replace(180, 1, ".") +
           ".example",
       "longer than 253"},
      {"[zz::1]", "IPv6"},
      {"[::1", "IPv6"},
  };
  for (const auto& [input, reason] : cases) {
    auto result = normalize_project_domain(input);
    ASSERT_FALSE(result.ok()) << input;
    EXPECT_EQ(result.error().code, "invalid_domain");
    EXPECT_NE(result.error().message.find(reason), std::string::npos)
        << input << ": " << result.error().message;
    EXPECT_NE(result.error().message.find("e.g. shop.example"), std::string::npos);
  }
}

TEST_F(ProjectSetupTest, BadDomainStoresNothing) {
  auto created = create_project(*store_, "Shop", "not a domain");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "invalid_domain");
  EXPECT_TRUE(store_->list_projects().empty());
}

}  // namespace
}  // namespace bklit::auth
