// The README's configuration table and `bklit serve --help` come from one declaration
// (core/src/config.cpp): this fails when README.md is not what that declaration generates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bklit/core/config.hpp"

namespace bklit::core {
namespace {

constexpr std::string_view kBegin =
    "<!-- configuration table: generated from src/core/src/config.cpp -->\n";
constexpr std::string_view kEnd = "<!-- end of configuration table -->";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigReference, ReadmeTableIsTheDeclaration) {
  std::string readme = read(std::string(BKLIT_SOURCE_DIR) + "/README.md");
  auto begin = readme.find(kBegin);
  auto end = readme.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "README.md lacks the line " << kBegin;
  ASSERT_NE(end, std::string::npos) << "README.md lacks the line " << kEnd;
  begin += kBegin.size();
  ASSERT_LT(begin, end);
  std::string generated = config_reference_markdown();
  if (readme.substr(begin, end - begin) != generated) {
    std::string path = std::string(BKLIT_BINARY_DIR) + "/configuration_table.md";
    std::ofstream(path) << generated;
    FAIL() << "README.md's configuration table differs from the settings declared in "
              "src/core/src/config.cpp; replace it with "
           << path << ":\n"
           << generated;
  }
}

TEST(ConfigReference, EverySettingSaysWhatItMeansAndItsDefault) {
  const auto settings = config_settings();
  ASSERT_EQ(settings.size(), config_setting_names().size());
  for (const auto& s : settings) {
    EXPECT_FALSE(s.meaning.empty()) << s.name;
    EXPECT_FALSE(s.section.empty()) << s.name;
    EXPECT_FALSE(s.default_text().empty()) << s.name;
    EXPECT_EQ(s.meaning.find('|'), std::string::npos) << s.name << " breaks the table";
  }
}

TEST(ConfigReference, HelpTextCarriesUnitDefaultAndEnvironment) {
  for (const auto& s : config_settings()) {
    if (s.name == "token_cache_ttl_ms") {
      EXPECT_EQ(s.help_text(),
                "how long token and project lookups are cached (unit: ms; default: 10000; env "
                "BKLIT_TOKEN_CACHE_TTL_MS)");
    }
    if (s.name == "chdb_library") {
      EXPECT_NE(s.help_text().find("default: found next to the executable"), std::string::npos);
    }
  }
}

// The defaults shown are those a configuration without the setting gets.
TEST(ConfigReference, ShownDefaultsAreTheDefaults) {
  std::map<std::string, std::string> flags;
  for (const auto& s : config_settings()) {
    if (!s.default_value.empty()) flags[s.name] = s.default_value;
  }
  auto given = load_config("", flags, nullptr);
  ASSERT_TRUE(given.ok()) << given.error().message;
  auto defaults = load_config("", {}, nullptr);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(given->queue_max_backlog_bytes, defaults->queue_max_backlog_bytes);
  EXPECT_EQ(given->rate_limit_connection_per_s, defaults->rate_limit_connection_per_s);
  EXPECT_EQ(given->listen, defaults->listen);
  EXPECT_EQ(given->clickhouse_compress, defaults->clickhouse_compress);
}

}  // namespace
}  // namespace bklit::core
