#include <re2/re2.h>

#include <boost/json.hpp>
#include <cstdint>

#include "bklit/core/clock.hpp"
#include "bklit/store/stats_query.hpp"
#include "stats/stats_catalog.hpp"

namespace bklit::store {
namespace {

namespace json = boost::json;

core::Error bad(std::string message) {
  return core::make_error("invalid_query", std::move(message), 400);
}

bool is_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  int y = std::stoi(std::string(s.substr(0, 4)));
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1970) return false;
  // Reject 2026-02-30: the day must survive a round trip through the calendar.
  int ry;
  unsigned rm, rd;
  core::civil_from_days(core::days_from_civil(y, m, d), ry, rm, rd);
  return ry == y && static_cast<int>(rm) == m && static_cast<int>(rd) == d;
}

core::Status parse_filter(const json::value& v, StatsFilter& out, int depth) {
  if (depth > 8) return bad("filters are nested too deeply");
  if (!v.is_array() || v.as_array().empty() || !v.as_array()[0].is_string()) {
    return bad("each filter must be an array like [\"is\", \"visit:source\", [\"Google\"]]");
  }
  const auto& a = v.as_array();
  out.op = std::string(a[0].as_string());
  if (out.op == "and" || out.op == "or") {
    if (a.size() != 2 || !a[1].is_array() || a[1].as_array().empty()) {
      return bad("\"" + out.op + "\" takes one non-empty array of filters");
    }
    for (const auto& child : a[1].as_array()) {
      StatsFilter f;
      if (auto s = parse_filter(child, f, depth + 1); !s) return s;
      out.children.push_back(std::move(f));
    }
    return core::Ok{};
  }
  if (out.op == "not") {
    if (a.size() != 2) return bad("\"not\" takes one filter");
    StatsFilter f;
    if (auto s = parse_filter(a[1], f, depth + 1); !s) return s;
    out.children.push_back(std::move(f));
    return core::Ok{};
  }
  static constexpr std::string_view kOps[] = {"is",           "is_not",  "contains",
                                              "contains_not", "matches", "matches_not"};
  bool known = false;
  for (auto op : kOps) known = known || op == out.op;
  if (!known) {
    return bad("unknown filter operator \"" + out.op +
               "\"; supported: is, is_not, contains, contains_not, matches, matches_not, "
               "and, or, not");
  }
  if (a.size() < 3 || a.size() > 4 || !a[1].is_string() || !a[2].is_array()) {
    return bad("filter \"" + out.op + "\" must be [operator, dimension, [values...]]");
  }
  out.dimension = std::string(a[1].as_string());
  const auto* dim = stats::find_dimension(out.dimension);
  if (dim == nullptr || dim->level == stats::DimLevel::kTime) {
    return bad("cannot filter on \"" + out.dimension + "\"");
  }
  const auto& values = a[2].as_array();
  if (values.empty() || values.size() > 1000) return bad("a filter needs 1 to 1000 values");
  for (const auto& value : values) {
    if (!value.is_string()) return bad("filter values must be strings");
    out.values.emplace_back(value.as_string());
    if (out.values.back().size() > 4096) return bad("a filter value is longer than 4096 bytes");
    if (out.op == "matches" || out.op == "matches_not") {
      RE2 re(out.values.back(), RE2::Quiet);
      if (!re.ok()) return bad("invalid regular expression \"" + out.values.back() + "\"");
    }
  }
  if (a.size() == 4) {
    if (!a[3].is_object()) return bad("filter modifiers must be an object");
    for (const auto& [key, mod] : a[3].as_object()) {
      if (key != "case_sensitive" || !mod.is_bool()) {
        return bad("unknown filter modifier \"" + std::string(key) + "\"");
      }
      if (out.op != "contains" && out.op != "contains_not") {
        return bad("case_sensitive applies to contains and contains_not only");
      }
      out.case_sensitive = mod.as_bool();
    }
  }
  return core::Ok{};
}

core::Status parse_date_range(const json::value& v, StatsQuery& q) {
  if (v.is_string()) {
    static constexpr std::string_view kPeriods[] = {"day",   "7d",  "28d",  "30d",  "91d",
                                                    "month", "6mo", "12mo", "year", "all"};
    std::string period(v.as_string());
    for (auto p : kPeriods) {
      if (p == period) {
        q.period = period;
        return core::Ok{};
      }
    }
    return bad("unknown date_range \"" + period +
               "\"; use day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all or [from, to]");
  }
  if (!v.is_array() || v.as_array().size() != 2 || !v.as_array()[0].is_string() ||
      !v.as_array()[1].is_string()) {
    return bad("date_range must be a period name or [\"YYYY-MM-DD\", \"YYYY-MM-DD\"]");
  }
  q.period = "custom";
  q.range_from = std::string(v.as_array()[0].as_string());
  q.range_to = std::string(v.as_array()[1].as_string());
  if (is_iso_date(q.range_from) && is_iso_date(q.range_to)) {
    if (q.range_from > q.range_to) return bad("date_range starts after it ends");
    return core::Ok{};
  }
  std::int64_t from_ms = 0, to_ms = 0;
  if (!core::parse_iso8601_ms(q.range_from, from_ms) ||
      !core::parse_iso8601_ms(q.range_to, to_ms)) {
    return bad("date_range bounds must both be ISO 8601 dates or both datetimes with offset");
  }
  if (from_ms > to_ms) return bad("date_range starts after it ends");
  if (from_ms < 0) return bad("date_range starts before 1970");
  q.range_has_time = true;
  return core::Ok{};
}

core::Status parse_size(const json::value& v, const char* name, std::size_t& out) {
  if (!v.is_int64() && !v.is_uint64()) return bad(std::string(name) + " must be an integer");
  if (v.is_int64() && v.as_int64() < 0) return bad(std::string(name) + " must not be negative");
  out = v.is_int64() ? static_cast<std::size_t>(v.as_int64())
                     : static_cast<std::size_t>(v.as_uint64());
  return core::Ok{};
}

}  // namespace

core::Result<StatsQuery> parse_stats_query(std::string_view request_json) {
  boost::system::error_code ec;
  json::value root = json::parse(request_json, ec);
  if (ec || !root.is_object()) return bad("the request body must be a JSON object");
  const auto& o = root.as_object();
  StatsQuery q;
  for (const auto& [key, v] : o) {
    if (key == "site_id") {
      if (!v.is_string() || v.as_string().empty()) return bad("site_id must be a string");
      q.site_id = std::string(v.as_string());
    } else if (key == "metrics") {
      if (!v.is_array() || v.as_array().empty()) return bad("metrics must be a non-empty array");
      for (const auto& m : v.as_array()) {
        if (!m.is_string() || !stats::is_metric(m.as_string())) {
          std::string name = m.is_string() ? std::string(m.as_string()) : json::serialize(m);
          return bad("unknown metric \"" + name + "\"; supported: " + stats::supported_metrics());
        }
        q.metrics.emplace_back(m.as_string());
      }
    } else if (key == "date_range") {
      if (auto s = parse_date_range(v, q); !s) return s.error();
    } else if (key == "dimensions") {
      if (!v.is_array()) return bad("dimensions must be an array");
      int time_dims = 0;
      for (const auto& d : v.as_array()) {
        const stats::DimensionDef* def =
            d.is_string() ? stats::find_dimension(d.as_string()) : nullptr;
        if (def == nullptr) {
          std::string name = d.is_string() ? std::string(d.as_string()) : json::serialize(d);
          return bad("unknown dimension \"" + name +
                     "\"; supported: " + stats::supported_dimensions());
        }
        if (def->level == stats::DimLevel::kTime && ++time_dims > 1) {
          return bad("at most one time dimension");
        }
        q.dimensions.emplace_back(d.as_string());
      }
      if (q.dimensions.size() > 5) return bad("at most 5 dimensions");
    } else if (key == "filters") {
      if (!v.is_array()) return bad("filters must be an array");
      for (const auto& f : v.as_array()) {
        StatsFilter filter;
        if (auto s = parse_filter(f, filter, 0); !s) return s.error();
        q.filters.push_back(std::move(filter));
      }
    } else if (key == "order_by") {
      if (!v.is_array()) return bad("order_by must be an array of [field, \"asc\"|\"desc\"]");
      for (const auto& entry : v.as_array()) {
        if (!entry.is_array() || entry.as_array().size() != 2 || !entry.as_array()[0].is_string() ||
            !entry.as_array()[1].is_string()) {
          return bad("order_by entries must be [field, \"asc\"|\"desc\"]");
        }
        std::string dir(entry.as_array()[1].as_string());
        if (dir != "asc" && dir != "desc") return bad("order_by direction must be asc or desc");
        q.order_by.push_back({std::string(entry.as_array()[0].as_string()), dir == "desc"});
      }
    } else if (key == "include") {
      if (!v.is_object()) return bad("include must be an object");
      for (const auto& [ikey, iv] : v.as_object()) {
        if (!iv.is_bool()) return bad("include." + std::string(ikey) + " must be a boolean");
        if (ikey == "total_rows") {
          q.include_total_rows = iv.as_bool();
        } else if (ikey == "time_labels") {
          q.include_time_labels = iv.as_bool();
        } else if (ikey != "imports") {  // nothing is ever imported: accepted, no effect
          return bad("unknown include \"" + std::string(ikey) + "\"");
        }
      }
    } else if (key == "pagination") {
      if (!v.is_object()) return bad("pagination must be an object");
      for (const auto& [pkey, pv] : v.as_object()) {
        if (pkey == "limit") {
          if (auto s = parse_size(pv, "pagination.limit", q.limit); !s) return s.error();
          if (q.limit < 1 || q.limit > kMaxStatsLimit) {
            return bad("pagination.limit must be between 1 and " + std::to_string(kMaxStatsLimit));
          }
        } else if (pkey == "offset") {
          if (auto s = parse_size(pv, "pagination.offset", q.offset); !s) return s.error();
          if (q.offset > 1'000'000) return bad("pagination.offset must be at most 1000000");
        } else {
          return bad("unknown pagination field \"" + std::string(pkey) + "\"");
        }
      }
    } else {
      return bad("unknown field \"" + std::string(key) + "\"");
    }
  }
  if (q.site_id.empty()) return bad("site_id is required");
  if (q.metrics.empty()) return bad("metrics is required");
  if (q.period.empty()) return bad("date_range is required");
  for (const auto& order : q.order_by) {
    bool found = false;
    for (const auto& m : q.metrics) found = found || m == order.field;
    for (const auto& d : q.dimensions) found = found || d == order.field;
    if (!found) {
      return bad("order_by field \"" + order.field + "\" is not a requested metric or dimension");
    }
  }
  return q;
}

}  // namespace bklit::store
