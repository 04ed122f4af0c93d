#include "src/uap_rules.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "bklit/core/text.hpp"
#include "src/pcre_translate.hpp"

namespace bklit::enrich {

namespace {

// Field order of UapRule::replacements per list.
constexpr std::array<const char*, 5> kUserAgentFields = {
    "family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", "v4_replacement"};
constexpr std::array<const char*, 5> kOsFields = {"os_replacement", "os_v1_replacement",
                                                  "os_v2_replacement", "os_v3_replacement",
                                                  "os_v4_replacement"};
constexpr std::array<const char*, 5> kDeviceFields = {"device_replacement", "brand_replacement",
                                                      "model_replacement", nullptr, nullptr};

// Big alternations with counted repetitions need more than RE2's default 8 MiB budget; the
// Set's budget also bounds its lazily built DFA.
constexpr int64_t kRegexMaxMem = 32 << 20;
constexpr int64_t kSetMaxMem = 16 << 20;
constexpr std::size_t kRulesPerSet = 96;  // measured: 64-128 is fastest on uap-core 0.16

RE2::Options regex_options() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMem);
  return options;
}

core::Error rules_error(const std::string& path, const std::string& why) {
  return core::make_error("invalid_uap_rules",
                          "Cannot load user agent rules from '" + path + "': " + why, 500);
}

core::Result<UapRuleList> build_list(const YAML::Node& list,
                                     const std::array<const char*, 5>& fields,
                                     UserAgentRuleStats& stats, const std::string& path,
                                     const char* name) {
  if (!list || !list.IsSequence()) {
    return rules_error(path, std::string("missing list '") + name + "'");
  }
  RE2::Options set_options = regex_options();
  set_options.set_max_mem(kSetMaxMem);
  std::vector<UapRule> rules;
  std::vector<UapRuleList::Chunk> chunks;
  rules.reserve(list.size());
  for (const auto& node : list) {
    if (!node.IsMap() || !node["regex"]) {
      return rules_error(path, std::string("an entry of '") + name + "' has no regex");
    }
    std::string pattern = node["regex"].as<std::string>();
    if (const auto& flag = node["regex_flag"]; flag && flag.as<std::string>() == "i") {
      pattern = "(?i)" + pattern;
    }
    auto regex = std::make_unique<RE2>(pattern, regex_options());
    if (!regex->ok()) {
      auto translated = translate_pcre_for_re2(pattern);
      if (translated) regex = std::make_unique<RE2>(*translated, regex_options());
      if (!regex->ok()) {
        ++stats.skipped;
        continue;
      }
      ++stats.translated;
      pattern = *translated;
    }
    if (chunks.empty() || chunks.back().rule_count == kRulesPerSet) {
      UapRuleList::Chunk chunk;
      chunk.set = std::make_unique<RE2::Set>(set_options, RE2::UNANCHORED);
      chunk.first_rule = rules.size();
      chunks.push_back(std::move(chunk));
    }
    auto& chunk = chunks.back();
    int expected = static_cast<int>(chunk.rule_count);
    if (chunk.set->Add(relax_counted_repetitions(pattern), nullptr) != expected &&
        chunk.set->Add(pattern, nullptr) != expected) {
      ++stats.skipped;  // accepted alone but not in a Set (not seen with uap-core)
      continue;
    }
    ++chunk.rule_count;
    UapRule rule;
    rule.regex = std::move(regex);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] == nullptr) continue;
      if (const auto& value = node[fields[i]]; value && !value.IsNull()) {
        rule.replacements[i] = value.as<std::string>();
      }
    }
    rules.push_back(std::move(rule));
  }
  for (auto& chunk : chunks) {
    if (!chunk.set->Compile()) {
      return rules_error(path, std::string("cannot compile '") + name + "'");
    }
  }
  return UapRuleList(std::move(rules), std::move(chunks));
}

}  // namespace

bool UapRuleList::try_rule(std::size_t index, std::string_view text, UapGroups& groups) const {
  const RE2& regex = *rules_[index].regex;
  int n = std::min<int>(regex.NumberOfCapturingGroups() + 1, groups.size());
  if (!regex.Match(text, 0, text.size(), RE2::UNANCHORED, groups.data(), n)) return false;
  for (std::size_t g = n; g < groups.size(); ++g) groups[g] = re2::StringPiece();
  return true;
}

const UapRule* UapRuleList::first_match(std::string_view text, UapGroups& groups) const {
  thread_local std::vector<int> candidates;
  for (const auto& chunk : chunks_) {
    candidates.clear();
    RE2::Set::ErrorInfo error;
    if (!chunk.set->Match(text, &candidates, &error)) {
      if (error.kind == RE2::Set::kNoError) continue;
      // The Set's DFA ran out of its memory budget on this input: try each rule of the
      // chunk instead, which is slower but gives the same answer.
      for (std::size_t i = 0; i < chunk.rule_count; ++i) {
        if (try_rule(chunk.first_rule + i, text, groups)) return &rules_[chunk.first_rule + i];
      }
      continue;
    }
    // Candidates come from relaxed patterns: confirm them in rule order.
    std::sort(candidates.begin(), candidates.end());
    for (int candidate : candidates) {
      std::size_t index = chunk.first_rule + static_cast<std::size_t>(candidate);
      if (try_rule(index, text, groups)) return &rules_[index];
    }
  }
  return nullptr;
}

core::Result<std::unique_ptr<UapRules>> load_uap_rules(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return rules_error(path, e.what());
  }
  auto rules = std::make_unique<UapRules>();
  try {
    auto ua = build_list(root["user_agent_parsers"], kUserAgentFields, rules->stats, path,
                         "user_agent_parsers");
    if (!ua) return ua.error();
    auto os = build_list(root["os_parsers"], kOsFields, rules->stats, path, "os_parsers");
    if (!os) return os.error();
    auto device =
        build_list(root["device_parsers"], kDeviceFields, rules->stats, path, "device_parsers");
    if (!device) return device.error();
    rules->user_agent = std::move(ua).value();
    rules->os = std::move(os).value();
    rules->device = std::move(device).value();
  } catch (const YAML::Exception& e) {
    return rules_error(path, e.what());
  }
  rules->stats.ua_rules = rules->user_agent.size();
  rules->stats.os_rules = rules->os.size();
  rules->stats.device_rules = rules->device.size();
  return rules;
}

std::string substitute_groups(std::string_view replacement, const UapGroups& groups) {
  std::string out;
  out.reserve(replacement.size() + 16);
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c == '$' && i + 1 < replacement.size() && replacement[i + 1] >= '1' &&
        replacement[i + 1] <= '9') {
      const auto& group = groups[replacement[i + 1] - '0'];
      out.append(group.data(), group.size());
      ++i;
      continue;
    }
    out += c;
  }
  std::string_view trimmed = core::trim(out);
  if (trimmed.size() != out.size()) return std::string(trimmed);
  return out;
}

}  // namespace bklit::enrich
