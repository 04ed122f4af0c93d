#pragma once
// The three rule lists of uap-core's regexes.yaml, compiled for RE2. RE2::Sets over each
// list find candidate rules in one pass per chunk of rules; only the first candidate that
// really matches is run for its capture groups, so ~1 100 rules cost about as much as a few.

#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/enrich/user_agent.hpp"

namespace bklit::enrich {

// Capture groups of a match; index 0 is the whole match.
using UapGroups = std::array<re2::StringPiece, 10>;

struct UapRule {
  std::unique_ptr<RE2> regex;
  // The list's *_replacement values in the list's field order (see uap_rules.cpp).
  std::array<std::optional<std::string>, 5> replacements;
};

class UapRuleList {
 public:
  // Rules [first_rule, first_rule + set size) of the list, as one RE2::Set of their relaxed
  // patterns (see relax_counted_repetitions). One Set for a whole list would be smaller to
  // describe, but its DFA blows up and it is 10-50x slower than a few chunks.
  struct Chunk {
    std::unique_ptr<RE2::Set> set;
    std::size_t first_rule = 0;
    std::size_t rule_count = 0;
  };

  UapRuleList() = default;
  UapRuleList(std::vector<UapRule> rules, std::vector<Chunk> chunks)
      : rules_(std::move(rules)), chunks_(std::move(chunks)) {}

  // The first rule (in file order) that matches text, with its groups; nullptr if none.
  const UapRule* first_match(std::string_view text, UapGroups& groups) const;
  int size() const { return static_cast<int>(rules_.size()); }

 private:
  bool try_rule(std::size_t index, std::string_view text, UapGroups& groups) const;

  std::vector<UapRule> rules_;
  std::vector<Chunk> chunks_;  // in rule order, covering every rule once
};

struct UapRules {
  UapRuleList user_agent, os, device;
  UserAgentRuleStats stats;
};

core::Result<std::unique_ptr<UapRules>> load_uap_rules(const std::string& regexes_yaml_path);

// "$1 for ArcGIS" with the groups substituted, trimmed.
std::string substitute_groups(std::string_view replacement, const UapGroups& groups);

}  // namespace bklit::enrich
