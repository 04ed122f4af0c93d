#pragma once
// The Stats API v2 query (request and response shaped like Plausible's /api/v2/query):
// parse a request, build ClickHouse SQL for it in one place, run it, answer JSON.
//
// Metrics follow docs/metrics.md. Session metrics (visits, bounce_rate, visit_duration,
// views_per_visit) come from the latest state of `sessions`; event metrics from `events`.
// With an event dimension or filter (event:page, ...) session metrics are computed over the
// sessions that have a matching event. Bots are always excluded; site_id always constrains
// project_id; every request value is quoted or taken from a fixed list.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/sql_dialect.hpp"

namespace bklit::store {

struct StatsFilter {
  // is, is_not, contains, contains_not, matches, matches_not (leaves) or and, or, not.
  std::string op;
  std::string dimension;
  std::vector<std::string> values;
  bool case_sensitive = true;  // contains / contains_not only
  std::vector<StatsFilter> children;
};

struct StatsOrder {
  std::string field;  // a requested metric or dimension
  bool descending = true;
};

struct StatsQuery {
  std::string site_id;
  std::vector<std::string> metrics;
  std::vector<std::string> dimensions;
  std::vector<StatsFilter> filters;  // AND-ed
  std::vector<StatsOrder> order_by;  // empty = time ascending, else first metric descending
  // date_range: a period name ("day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo",
  // "year", "all") or "custom" with two ISO dates (inclusive) or two ISO datetimes.
  std::string period;
  std::string range_from, range_to;
  bool range_has_time = false;
  bool include_total_rows = false;
  bool include_time_labels = false;
  std::size_t limit = 10000;
  std::size_t offset = 0;
};

inline constexpr std::size_t kMaxStatsLimit = 10000;

// Validates the whole request; errors are 400s naming the bad field.
core::Result<StatsQuery> parse_stats_query(std::string_view request_json);

// The SQL for `q` over [from_s, to_s) (Unix seconds), with time buckets in `timezone`.
core::Result<std::string> stats_query_sql(const StatsQuery& q, const SqlDialect& dialect,
                                          const std::string& timezone, std::int64_t from_s,
                                          std::int64_t to_s);

// Runs `q` and returns the response JSON {"results":[...],"meta":{...},"query":{...}}.
// `timezone` is the project's (IANA name); `now_ms` anchors relative date ranges.
core::Result<std::string> run_stats_query(AnalyticsStore& store, const StatsQuery& q,
                                          const std::string& timezone, std::int64_t now_ms);
// Same, with the SQL forms forced (tests compare both forms on one engine).
core::Result<std::string> run_stats_query(AnalyticsStore& store, const StatsQuery& q,
                                          const std::string& timezone, std::int64_t now_ms,
                                          const SqlDialect& dialect);

}  // namespace bklit::store
