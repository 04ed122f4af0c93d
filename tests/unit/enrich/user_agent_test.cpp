#include "bklit/enrich/user_agent.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bklit::enrich {
namespace {

const UserAgentParser& parser() {
  static const std::unique_ptr<UserAgentParser> instance = [] {
    auto loaded = UserAgentParser::load(std::string(kDefaultRegexesPath));
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return std::move(loaded).value();
  }();
  return *instance;
}

struct UaCase {
  const char* name;
  const char* user_agent;
  const char* browser;
  const char* browser_version;
  const char* os;
  const char* os_version;
  const char* device_type;
};

class UserAgentCases : public ::testing::TestWithParam<UaCase> {};

TEST_P(UserAgentCases, ParsesRealUserAgent) {
  const UaCase& c = GetParam();
  UserAgentInfo info = parser().parse(c.user_agent);
  EXPECT_EQ(info.browser, c.browser);
  EXPECT_EQ(info.browser_version, c.browser_version);
  EXPECT_EQ(info.os, c.os);
  EXPECT_EQ(info.os_version, c.os_version);
  EXPECT_EQ(info.device_type, c.device_type);
  EXPECT_EQ(info.is_bot, std::string(c.device_type) == "bot");
}

INSTANTIATE_TEST_SUITE_P(
    Real, UserAgentCases,
    ::testing::Values(
        UaCase{"ChromeWindows",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0.6099.130 Safari/537.36",
               "Chrome", "120.0", "Windows", "10", "desktop"},
        UaCase{"SafariIphone",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
               "Mobile Safari", "17.1", "iOS", "17.1", "mobile"},
        UaCase{"SafariIpad",
               "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
               "Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
               "Mobile Safari", "16.6", "iOS", "16.6", "tablet"},
        UaCase{"SafariMac",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
               "Gecko) Version/17.2 Safari/605.1.15",
               "Safari", "17.2", "Mac OS X", "10.15", "desktop"},
        UaCase{"ChromeAndroidPhone",
               "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/119.0.6045.163 Mobile Safari/537.36",
               "Chrome Mobile", "119.0", "Android", "13", "mobile"},
        UaCase{"ChromeAndroidTablet",
               "Mozilla/5.0 (Linux; Android 12; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/118.0.5993.111 Safari/537.36",
               "Chrome", "118.0", "Android", "12", "tablet"},
        UaCase{"FirefoxAndroidTablet",
               "Mozilla/5.0 (Android 13; Tablet; rv:120.0) Gecko/120.0 Firefox/120.0",
               "Firefox Mobile", "120.0", "Android", "13", "tablet"},
        UaCase{"FirefoxLinux",
               "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
               "Firefox", "121.0", "Ubuntu", "", "desktop"},
        UaCase{"EdgeWindows",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
               "Edge", "120.0", "Windows", "10", "desktop"},
        UaCase{"KindleFire",
               "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Silk/119.2.1 like Chrome/119.0.6045.193 Safari/537.36",
               "Amazon Silk", "119.2", "Android", "9", "tablet"},
        UaCase{"Googlebot",
               "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               "Googlebot", "2.1", "Other", "", "bot"},
        UaCase{"GooglebotSmartphone",
               "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/119.0.6045.199 Mobile Safari/537.36 (compatible; "
               "Googlebot/2.1; +http://www.google.com/bot.html)",
               "Googlebot", "2.1", "Android", "6.0", "bot"},
        UaCase{"Curl", "curl/8.4.0", "curl", "8.4", "Other", "", "bot"},
        UaCase{"HeadlessChrome",
               "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "HeadlessChrome/120.0.6099.28 Safari/537.36",
               "HeadlessChrome", "120.0", "Linux", "", "bot"},
        UaCase{"PythonRequests", "python-requests/2.31.0", "Python Requests", "2.31", "Other", "",
               "bot"},
        UaCase{"Empty", "", "Other", "", "Other", "", "bot"}),
    [](const ::testing::TestParamInfo<UaCase>& info) { return std::string(info.param.name); });

TEST(UserAgentParser, CubotPhoneIsNotABot) {
  UserAgentInfo info = parser().parse(
      "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/96.0.4664.104 Mobile Safari/537.36");
  EXPECT_FALSE(info.is_bot);
  EXPECT_EQ(info.device_type, "mobile");
}

TEST(UserAgentParser, TabletPcTokenOnWindowsIsDesktop) {
  UserAgentInfo info = parser().parse(
      "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; SLCC2; .NET CLR 2.0.50727; Tablet PC "
      "2.0; rv:11.0) like Gecko");
  EXPECT_EQ(info.browser, "IE");
  EXPECT_EQ(info.device_type, "desktop");
}

TEST(UserAgentParser, CachedAnswerEqualsFreshAnswer) {
  auto loaded = UserAgentParser::load(std::string(kDefaultRegexesPath), 100);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const auto& p = **loaded;
  const std::string ua =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0";
  UserAgentInfo first = p.parse(ua);
  UserAgentInfo second = p.parse(ua);
  UserAgentInfo fresh = p.parse_uncached(ua);
  EXPECT_EQ(second.browser, first.browser);
  EXPECT_EQ(second.browser_version, fresh.browser_version);
  EXPECT_EQ(second.os, fresh.os);
  EXPECT_EQ(second.device_type, fresh.device_type);
  auto stats = p.cache_stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST(UserAgentParser, CacheStaysWithinItsBound) {
  auto loaded = UserAgentParser::load(std::string(kDefaultRegexesPath), 64);
  ASSERT_TRUE(loaded) << loaded.error().message;
  for (int i = 0; i < 1000; ++i) {
    (*loaded)->parse("Mozilla/5.0 (X11; Linux x86_64; rv:" + std::to_string(i) +
                     ".0) Gecko/20100101 Firefox/" + std::to_string(i) + ".0");
  }
  EXPECT_LE((*loaded)->cache_stats().entries, 64u);
  EXPECT_EQ((*loaded)
                ->parse("Mozilla/5.0 (X11; Linux x86_64; rv:999.0) Gecko/20100101 "
                        "Firefox/999.0")
                .browser_version,
            "999.0");
}

TEST(UserAgentParser, ConcurrentParsesAgree) {
  const std::vector<std::string> uas = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0.0.0 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
      "curl/8.4.0"};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        const auto& ua = uas[i % uas.size()];
        auto info = parser().parse(ua);
        const char* expected = i % 3 == 0 ? "Chrome" : i % 3 == 1 ? "Mobile Safari" : "curl";
        if (info.browser != expected) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(UserAgentParser, AllDebianRulesCompile) {
  auto stats = parser().rule_stats();
  EXPECT_GT(stats.ua_rules, 300);
  EXPECT_GT(stats.os_rules, 150);
  EXPECT_GT(stats.device_rules, 500);
  EXPECT_EQ(stats.skipped, 0);
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("bklit-enrich-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::ofstream(p) << content;
    return p.string();
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(UserAgentParser, TranslatesPcreOnlyRulesAndSkipsImpossibleOnes) {
  TempDir dir;
  std::string path = dir.file("regexes.yaml", R"(user_agent_parsers:
  - regex: '(?!Fake)(Widget)/(\d+)'
  - regex: '(?>(Gadget))/(\d++)\.(\d+)'
    family_replacement: 'Super $1'
  - regex: '(Thing)(\d+)'
    regex_flag: 'i'
os_parsers:
  - regex: '(Plan9) (\d+)'
device_parsers:
  - regex: 'Gadget'
    device_replacement: 'Gadget Phone'
    brand_replacement: 'Acme'
)");
  auto loaded = UserAgentParser::load(path);
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto stats = (*loaded)->rule_stats();
  EXPECT_EQ(stats.translated, 1);
  EXPECT_EQ(stats.skipped, 1);  // the negative lookahead has no RE2 form
  EXPECT_EQ(stats.ua_rules, 2);

  auto d = (*loaded)->details("Gadget/12.3 Plan9 4");
  EXPECT_EQ(d.family, "Super Gadget");
  EXPECT_EQ(d.major, "12");
  EXPECT_EQ(d.minor, "3");
  EXPECT_EQ(d.os, "Plan9");
  EXPECT_EQ(d.os_major, "4");
  EXPECT_EQ(d.device, "Gadget Phone");
  EXPECT_EQ(d.brand, "Acme");
  EXPECT_EQ((*loaded)->details("THING7").family, "THING");
  EXPECT_EQ((*loaded)->details("nothing known").family, "Other");
}

TEST(UserAgentParser, MissingOrBrokenRulesFileIsAnError) {
  TempDir dir;
  auto missing = UserAgentParser::load(dir.file("x", "") + ".does-not-exist");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "invalid_uap_rules");
  auto broken = UserAgentParser::load(dir.file("broken.yaml", "user_agent_parsers: [\n"));
  EXPECT_FALSE(broken);
  auto no_lists = UserAgentParser::load(dir.file("empty.yaml", "foo: 1\n"));
  EXPECT_FALSE(no_lists);
}

}  // namespace
}  // namespace bklit::enrich
