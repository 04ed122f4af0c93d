#include "bklit/core/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace bklit::core {
namespace {

std::string write_file(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("bklit-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
               "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(Config, DefaultsMatchTheSdkDevelopmentHost) {
  auto c = load_config("", {}, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->data_dir, "./data");
}

TEST(Config, FlagsOverrideEnvironmentOverrideFile) {
  auto file = write_file(
      "[server]\nlisten = \"127.0.0.1:1000\"\ndata_dir = \"/from/file\"\n"
      "[worker]\nbatch_max_events = 10\n");
  std::string e1 = "BKLIT_LISTEN=127.0.0.1:2000";
  std::string e2 = "BKLIT_BATCH_MAX_EVENTS=20";
  char* env[] = {e1.data(), e2.data(), nullptr};
  auto c = load_config(file, {{"listen", "127.0.0.1:3000"}}, env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->listen, "127.0.0.1:3000");  // flag
  EXPECT_EQ(c->batch_max_events, 20U);     // environment
  EXPECT_EQ(c->data_dir, "/from/file");    // file
  std::filesystem::remove(file);
}

TEST(Config, BadValuesNameTheSetting) {
  auto c = load_config("", {{"listen", "nonsense"}}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("listen"), std::string::npos);

  c = load_config("", {{"batch-max-events", "abc"}}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("batch_max_events"), std::string::npos);

  c = load_config("", {{"batch_max_events", "0"}}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("out of range"), std::string::npos);

  std::string env1 = "BKLIT_LOG_LEVEL=loud";
  char* env[] = {env1.data(), nullptr};
  c = load_config("", {}, env);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("log_level"), std::string::npos);

  c = load_config("", {{"no-such-flag", "1"}}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no-such-flag"), std::string::npos);
}

TEST(Config, UnknownEnvironmentVariablesAreReportedNotFatal) {
  std::string env1 = "BKLIT_BIN=/usr/bin/bklit";
  char* env[] = {env1.data(), nullptr};
  auto c = load_config("", {}, env);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->ignored_environment.size(), 1U);
  EXPECT_EQ(c->ignored_environment[0], "BKLIT_BIN");
}

TEST(Config, FileErrorsNameFileAndSetting) {
  auto file = write_file("log_level = \"loud\"\n");
  auto c = load_config(file, {}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("log_level"), std::string::npos);
  std::filesystem::remove(file);

  file = write_file("[server]\nlisten = \n");
  c = load_config(file, {}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find(file), std::string::npos);
  std::filesystem::remove(file);

  file = write_file("unknown_key = 1\n");
  c = load_config(file, {}, nullptr);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("unknown_key"), std::string::npos);
  std::filesystem::remove(file);
}

TEST(Config, TrustedProxiesListParses) {
  auto c = load_config("", {{"trusted_proxies", "10.0.0.1, 192.168.0.0/16"}}, nullptr);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->trusted_proxies.size(), 2U);
  EXPECT_EQ(c->trusted_proxies[1], "192.168.0.0/16");
}

TEST(Config, BackendsAreChosenFromAClosedList) {
  auto file = write_file(
      "[backends]\nqueue = \"redis\"\nanalytics = \"clickhouse\"\npubsub = \"redis\"\n"
      "[clickhouse]\nclickhouse_compress = false\n");
  auto c = load_config(file, {}, nullptr);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->queue, "redis");
  EXPECT_EQ(c->analytics, "clickhouse");
  EXPECT_EQ(c->pubsub, "redis");
  EXPECT_FALSE(c->clickhouse_compress);
  std::filesystem::remove(file);

  auto bad = load_config("", {{"queue", "kafka"}}, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'queue'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("\"redis\""), std::string::npos) << bad.error().message;
  auto bad_bool = load_config("", {{"clickhouse_tls_verify", "maybe"}}, nullptr);
  ASSERT_FALSE(bad_bool.ok());
  EXPECT_NE(bad_bool.error().message.find("clickhouse_tls_verify"), std::string::npos);
  auto shards = load_config("", {{"queue_shards", "0"}}, nullptr);
  EXPECT_FALSE(shards.ok());
}

}  // namespace
}  // namespace bklit::core
