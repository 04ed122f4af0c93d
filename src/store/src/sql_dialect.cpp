#include "bklit/store/sql_dialect.hpp"

namespace bklit::store {

SqlDialect SqlDialect::for_version(const EngineVersion& v) {
  SqlDialect d;
  d.low_cardinality = v.at_least(20, 1);
  d.dedup_window = v.at_least(21, 3);
  d.dedup_token = v.at_least(22, 2);
  d.codecs = v.at_least(19, 1);
  // Before 20.x FINAL ran on one thread and was far slower than grouping.
  d.sessions_final = v.at_least(20, 1);
  d.native_insert = v.at_least(23, 8);
  d.merge_selector_base = v.at_least(24, 11);
  return d;
}

std::string SqlDialect::low_card(std::string_view type) const {
  if (!low_cardinality) return std::string(type);
  std::string out = "LowCardinality(";
  out.append(type).append(")");
  return out;
}

std::string SqlDialect::merge_tree_settings() const {
  std::string out = " SETTINGS index_granularity = 8192";
  // Enough recent insert tokens to cover every batch a worker can replay after a crash.
  if (dedup_window) out += ", non_replicated_deduplication_window = 1000";
  return out;
}

}  // namespace bklit::store
