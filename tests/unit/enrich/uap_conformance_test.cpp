// Runs uap-core's own test cases (shipped with the Debian package) through the parser: the
// RE2 translation and Set-based rule selection must give the answers uap-core specifies.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "bklit/enrich/user_agent.hpp"

namespace bklit::enrich {
namespace {

const std::string kTestsDir = "/usr/share/uap-core/tests/";

const UserAgentParser& parser() {
  static const std::unique_ptr<UserAgentParser> instance = [] {
    auto loaded = UserAgentParser::load(std::string(kDefaultRegexesPath), 0);
    if (!loaded) throw std::runtime_error(loaded.error().message);
    return std::move(loaded).value();
  }();
  return *instance;
}

std::string text(const YAML::Node& node) {
  return node && !node.IsNull() ? node.as<std::string>() : std::string();
}

struct Tally {
  int total = 0, wrong = 0;
  std::string first_failure;
  void check(bool ok, const std::string& what) {
    ++total;
    if (!ok && ++wrong == 1) first_failure = what;
  }
};

TEST(UapConformance, BrowserFamiliesAndVersions) {
  auto cases = YAML::LoadFile(kTestsDir + "test_ua.yaml")["test_cases"];
  Tally tally;
  for (const auto& c : cases) {
    std::string ua = text(c["user_agent_string"]);
    auto d = parser().details(ua);
    tally.check(d.family == text(c["family"]) && d.major == text(c["major"]) &&
                    d.minor == text(c["minor"]) && d.patch == text(c["patch"]),
                ua + " -> " + d.family + " " + d.major + "." + d.minor + "." + d.patch);
  }
  EXPECT_GT(tally.total, 1000);
  EXPECT_EQ(tally.wrong, 0) << "first: " << tally.first_failure;
}

TEST(UapConformance, OperatingSystems) {
  auto cases = YAML::LoadFile(kTestsDir + "test_os.yaml")["test_cases"];
  Tally tally;
  for (const auto& c : cases) {
    std::string ua = text(c["user_agent_string"]);
    auto d = parser().details(ua);
    tally.check(d.os == text(c["family"]) && d.os_major == text(c["major"]) &&
                    d.os_minor == text(c["minor"]) && d.os_patch == text(c["patch"]) &&
                    d.os_patch_minor == text(c["patch_minor"]),
                ua + " -> " + d.os + " " + d.os_major + "." + d.os_minor);
  }
  EXPECT_GT(tally.total, 400);
  EXPECT_EQ(tally.wrong, 0) << "first: " << tally.first_failure;
}

TEST(UapConformance, Devices) {
  auto cases = YAML::LoadFile(kTestsDir + "test_device.yaml")["test_cases"];
  Tally tally;
  for (const auto& c : cases) {
    std::string ua = text(c["user_agent_string"]);
    auto d = parser().details(ua);
    tally.check(
        d.device == text(c["family"]) && d.brand == text(c["brand"]) && d.model == text(c["model"]),
        ua + " -> " + d.device + " / " + d.brand + " / " + d.model);
  }
  EXPECT_GT(tally.total, 15000);
  EXPECT_EQ(tally.wrong, 0) << "first: " << tally.first_failure;
}

}  // namespace
}  // namespace bklit::enrich
