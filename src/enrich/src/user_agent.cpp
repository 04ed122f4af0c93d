#include "bklit/enrich/user_agent.hpp"

#include "src/device_class.hpp"
#include "src/sharded_lru_cache.hpp"
#include "src/uap_rules.hpp"

namespace bklit::enrich {

namespace {

// A rule's field: its replacement with groups substituted, or else the given group.
std::string field(const UapRule& rule, std::size_t index, const UapGroups& groups, int group) {
  if (rule.replacements[index]) return substitute_groups(*rule.replacements[index], groups);
  if (group < 0) return {};
  return std::string(groups[group].data(), groups[group].size());
}

std::string major_minor(const std::string& major, const std::string& minor) {
  if (major.empty()) return {};
  if (minor.empty()) return major;
  return major + "." + minor;
}

std::string_view bounded(std::string_view user_agent) {
  return user_agent.substr(0, UserAgentParser::kMaxUserAgentBytes);
}

}  // namespace

struct UserAgentParser::Impl {
  explicit Impl(std::size_t cache_capacity) : cache(cache_capacity) {}
  std::unique_ptr<UapRules> rules;
  ShardedLruCache<UserAgentInfo> cache;
};

UserAgentParser::UserAgentParser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UserAgentParser::~UserAgentParser() = default;

core::Result<std::unique_ptr<UserAgentParser>> UserAgentParser::load(
    const std::string& regexes_yaml_path, std::size_t cache_capacity) {
  auto rules = load_uap_rules(regexes_yaml_path);
  if (!rules) return rules.error();
  auto impl = std::make_unique<Impl>(cache_capacity);
  impl->rules = std::move(rules).value();
  return std::unique_ptr<UserAgentParser>(new UserAgentParser(std::move(impl)));
}

UserAgentDetails UserAgentParser::details(std::string_view user_agent) const {
  user_agent = bounded(user_agent);
  UserAgentDetails d;
  UapGroups groups;
  if (const UapRule* rule = impl_->rules->user_agent.first_match(user_agent, groups)) {
    d.family = field(*rule, 0, groups, 1);
    d.major = field(*rule, 1, groups, 2);
    d.minor = field(*rule, 2, groups, 3);
    d.patch = field(*rule, 3, groups, 4);
    if (d.family.empty()) d.family = "Other";
  }
  if (const UapRule* rule = impl_->rules->os.first_match(user_agent, groups)) {
    d.os = field(*rule, 0, groups, 1);
    d.os_major = field(*rule, 1, groups, 2);
    d.os_minor = field(*rule, 2, groups, 3);
    d.os_patch = field(*rule, 3, groups, 4);
    d.os_patch_minor = field(*rule, 4, groups, 5);
    if (d.os.empty()) d.os = "Other";
  }
  if (const UapRule* rule = impl_->rules->device.first_match(user_agent, groups)) {
    d.device = field(*rule, 0, groups, 1);
    d.brand = field(*rule, 1, groups, -1);
    d.model = field(*rule, 2, groups, 1);
    if (d.device.empty()) d.device = "Other";
  }
  return d;
}

UserAgentInfo UserAgentParser::parse_uncached(std::string_view user_agent) const {
  user_agent = bounded(user_agent);
  UserAgentDetails d = details(user_agent);
  UserAgentInfo info;
  info.device_type = std::string(classify_device(user_agent, d));
  info.is_bot = info.device_type == kDeviceBot;
  info.browser_version = major_minor(d.major, d.minor);
  info.os_version = major_minor(d.os_major, d.os_minor);
  info.browser = std::move(d.family);
  info.os = std::move(d.os);
  return info;
}

UserAgentInfo UserAgentParser::parse(std::string_view user_agent) const {
  user_agent = bounded(user_agent);
  if (auto hit = impl_->cache.get(user_agent)) return std::move(*hit);
  UserAgentInfo info = parse_uncached(user_agent);
  impl_->cache.put(user_agent, info);
  return info;
}

UserAgentRuleStats UserAgentParser::rule_stats() const { return impl_->rules->stats; }

UserAgentCacheStats UserAgentParser::cache_stats() const {
  auto s = impl_->cache.stats();
  return UserAgentCacheStats{s.hits, s.misses, s.entries};
}

}  // namespace bklit::enrich
