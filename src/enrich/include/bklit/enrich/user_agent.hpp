#pragma once
// User agent -> browser / OS / device class, using the uap-core rules (regexes.yaml).
// One parser is shared by all I/O threads; parse() is thread-safe and cached.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bklit/core/result.hpp"

namespace bklit::enrich {

inline constexpr std::string_view kDefaultRegexesPath = "/usr/share/uap-core/regexes.yaml";

struct UserAgentInfo {
  std::string browser, browser_version, os, os_version, device_type;
  bool is_bot = false;
};

// The raw uap-core answer, before Bklit's device classification. Empty = not given.
struct UserAgentDetails {
  std::string family = "Other", major, minor, patch;
  std::string os = "Other", os_major, os_minor, os_patch, os_patch_minor;
  std::string device = "Other", brand, model;
};

struct UserAgentRuleStats {
  int ua_rules = 0, os_rules = 0, device_rules = 0;  // rules in use
  int translated = 0;  // PCRE-only rules rewritten into an RE2 equivalent
  int skipped = 0;     // rules RE2 cannot express (lookaround, backreferences), left out
};

struct UserAgentCacheStats {
  std::uint64_t hits = 0, misses = 0;
  std::size_t entries = 0;
};

class UserAgentParser {
 public:
  // Loads and compiles the rules (a few hundred ms). cache_capacity bounds the number of
  // distinct user agents remembered; 0 disables the cache.
  static core::Result<std::unique_ptr<UserAgentParser>> load(const std::string& regexes_yaml_path,
                                                             std::size_t cache_capacity = 50000);
  ~UserAgentParser();
  UserAgentParser(const UserAgentParser&) = delete;
  UserAgentParser& operator=(const UserAgentParser&) = delete;

  // device_type is desktop, mobile, tablet or bot; versions are "major.minor" (or "major").
  UserAgentInfo parse(std::string_view user_agent) const;
  // parse() without the cache, for measurements and tests.
  UserAgentInfo parse_uncached(std::string_view user_agent) const;
  UserAgentDetails details(std::string_view user_agent) const;

  UserAgentRuleStats rule_stats() const;
  UserAgentCacheStats cache_stats() const;

  // Longer user agents are cut to this before parsing and caching.
  static constexpr std::size_t kMaxUserAgentBytes = 1024;

 private:
  struct Impl;
  explicit UserAgentParser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bklit::enrich
