#include <charconv>
#include <string>
#include <vector>

#include "bklit/core/clock.hpp"
#include "bklit/core/json.hpp"
#include "bklit/store/sql_text.hpp"
#include "bklit/store/stats_query.hpp"
#include "stats/stats_catalog.hpp"
#include "stats/stats_sql.hpp"

namespace bklit::store {
namespace {

struct ResolvedRange {
  std::int64_t from_s = 0, to_s = 0;      // [from_s, to_s)
  std::string from_label, to_label;       // echoed in "query.date_range"
  std::int64_t from_day = 0, to_day = 0;  // inclusive local days (date ranges only)
  bool by_dates = true;
};

std::string date_text(std::int64_t day) {
  int y;
  unsigned m, d;
  core::civil_from_days(day, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, m, d);
  return buf;
}

std::int64_t parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0, d = 0;
  std::from_chars(text.data(), text.data() + 4, y);
  std::from_chars(text.data() + 5, text.data() + 7, m);
  std::from_chars(text.data() + 8, text.data() + 10, d);
  return core::days_from_civil(y, m, d);
}

std::string first_line(std::string s) {
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

std::string offset_text(std::int64_t offset_s) {
  char buf[16];
  std::int64_t a = offset_s < 0 ? -offset_s : offset_s;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_s < 0 ? '-' : '+',
                static_cast<int>(a / 3600), static_cast<int>(a / 60 % 60));
  return buf;
}

ResolvedRange resolve_range(AnalyticsStore& store, const StatsQuery& q, const std::string& tz,
                            std::int64_t now_ms) {
  ResolvedRange r;
  if (q.period == "custom" && q.range_has_time) {
    std::int64_t from_ms = 0, to_ms = 0;
    core::parse_iso8601_ms(q.range_from, from_ms);
    core::parse_iso8601_ms(q.range_to, to_ms);
    r.by_dates = false;
    r.from_s = from_ms / 1000;
    r.to_s = to_ms / 1000 + 1;  // the end second is included
    r.from_label = q.range_from;
    r.to_label = q.range_to;
    return r;
  }
  std::string qtz = sql::quote(tz);
  if (q.period == "custom") {
    r.from_day = parse_day(q.range_from);
    r.to_day = parse_day(q.range_to);
  } else {
    std::int64_t today = parse_day(first_line(store.query(
        "SELECT toString(toDate(toDateTime(" + std::to_string(now_ms / 1000) + "), " + qtz + "))",
        "TabSeparated")));
    int y;
    unsigned m, d;
    core::civil_from_days(today, y, m, d);
    auto months_back = [&](int back) {
      int total = y * 12 + static_cast<int>(m) - 1 - back;
      return core::days_from_civil(total / 12, static_cast<unsigned>(total % 12) + 1, 1);
    };
    r.to_day = today;
    const std::string& p = q.period;
    if (p == "day") {
      r.from_day = today;
    } else if (p == "7d" || p == "28d" || p == "30d" || p == "91d") {
      r.from_day = today - (std::stoi(p) - 1);
    } else if (p == "month") {
      r.from_day = months_back(0);
    } else if (p == "6mo") {
      r.from_day = months_back(5);
    } else if (p == "12mo") {
      r.from_day = months_back(11);
    } else if (p == "year") {
      r.from_day = core::days_from_civil(y, 1, 1);
    } else {  // all: from the project's first event
      std::string first =
          first_line(store.query("SELECT toString(toDate(min(ts), " + qtz +
                                     ")) FROM events WHERE project_id = " + sql::quote(q.site_id),
                                 "TabSeparated"));
      r.from_day = first.size() == 10 && first != "1970-01-01" ? parse_day(first) : today;
      if (r.from_day > today) r.from_day = today;
    }
  }
  std::string bounds = store.query("SELECT toUnixTimestamp(toDateTime('" + date_text(r.from_day) +
                                       " 00:00:00', " + qtz + ")), toUnixTimestamp(toDateTime('" +
                                       date_text(r.to_day + 1) + " 00:00:00', " + qtz + "))",
                                   "TabSeparated");
  auto tab = bounds.find('\t');
  std::from_chars(bounds.data(), bounds.data() + tab, r.from_s);
  std::from_chars(bounds.data() + tab + 1, bounds.data() + bounds.size(), r.to_s);
  r.from_label = date_text(r.from_day) + "T00:00:00" + offset_text(r.from_day * 86400 - r.from_s);
  r.to_label = date_text(r.to_day) + "T23:59:59" + offset_text((r.to_day + 1) * 86400 - r.to_s);
  return r;
}

std::string tsv_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '0':
        out.push_back('\0');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void append_number(std::string& out, std::string_view token) {
  bool numeric = !token.empty();
  for (char c : token) {
    numeric = numeric &&
              ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+');
  }
  out.append(numeric ? token : std::string_view("0"));  // nan / inf never reach a client
}

void append_filter_json(std::string& out, const StatsFilter& f) {
  out.push_back('[');
  core::append_json_string(out, f.op);
  if (f.op == "and" || f.op == "or") {
    out.append(",[");
    for (std::size_t i = 0; i < f.children.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_filter_json(out, f.children[i]);
    }
    out.append("]]");
    return;
  }
  if (f.op == "not") {
    out.push_back(',');
    append_filter_json(out, f.children.front());
    out.push_back(']');
    return;
  }
  out.push_back(',');
  core::append_json_string(out, f.dimension);
  out.append(",[");
  for (std::size_t i = 0; i < f.values.size(); ++i) {
    if (i > 0) out.push_back(',');
    core::append_json_string(out, f.values[i]);
  }
  out.push_back(']');
  if (!f.case_sensitive) out.append(",{\"case_sensitive\":false}");
  out.push_back(']');
}

void append_string_array(std::string& out, const std::vector<std::string>& values) {
  out.push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    core::append_json_string(out, values[i]);
  }
  out.push_back(']');
}

std::vector<std::string> time_labels(const std::string& dim, const ResolvedRange& r) {
  std::vector<std::string> labels;
  if (!r.by_dates || r.to_day - r.from_day > 3700) return labels;
  for (std::int64_t day = r.from_day; day <= r.to_day; ++day) {
    std::string date = date_text(day);
    if (dim == "time:hour") {
      for (int h = 0; h < 24; ++h) {
        char buf[16];
        std::snprintf(buf, sizeof buf, " %02d:00:00", h);
        labels.push_back(date + buf);
      }
    } else if (dim == "time:day") {
      labels.push_back(date);
    } else if (dim == "time:month" && (date.ends_with("-01") || day == r.from_day)) {
      labels.push_back(date.substr(0, 8) + "01");
    } else if (dim == "time:week") {
      std::int64_t monday = day - ((day + 3) % 7);  // 1970-01-01 was a Thursday
      std::string label = date_text(monday);
      if (labels.empty() || labels.back() != label) labels.push_back(label);
    }
  }
  return labels;
}

}  // namespace

core::Result<std::string> run_stats_query(AnalyticsStore& store, const StatsQuery& q,
                                          const std::string& timezone, std::int64_t now_ms) {
  return run_stats_query(store, q, timezone, now_ms, SqlDialect::for_version(store.version()));
}

core::Result<std::string> run_stats_query(AnalyticsStore& store, const StatsQuery& q,
                                          const std::string& timezone, std::int64_t now_ms,
                                          const SqlDialect& dialect) {
  // Validate the zone before it reaches any SQL (the builder checks it again).
  auto probe = stats_query_sql(q, dialect, timezone, 0, 1);
  if (!probe) return probe.error();
  ResolvedRange range = resolve_range(store, q, timezone, now_ms);
  auto base = stats_query_sql(q, dialect, timezone, range.from_s, range.to_s);
  if (!base) return base.error();
  std::string sql = *base + " LIMIT " + std::to_string(q.offset) + ", " + std::to_string(q.limit);
  std::string tsv = store.query(sql, "TabSeparated");

  const std::size_t ndims = q.dimensions.size();
  std::string out = "{\"results\":[";
  std::string_view rest(tsv);
  bool first_row = true;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.empty()) continue;
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
      auto tab = line.find('\t', start);
      fields.push_back(line.substr(start, tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (fields.size() != ndims + q.metrics.size()) {
      throw StoreError("stats query returned an unexpected row shape");
    }
    out.append(first_row ? "" : ",").append("{\"metrics\":[");
    first_row = false;
    for (std::size_t i = 0; i < q.metrics.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_number(out, fields[ndims + i]);
    }
    out.append("],\"dimensions\":[");
    for (std::size_t i = 0; i < ndims; ++i) {
      if (i > 0) out.push_back(',');
      core::append_json_string(out, tsv_unescape(fields[i]));
    }
    out.append("]}");
  }
  out.append("],\"meta\":{");

  std::vector<std::string> dims;
  std::string time_dim;
  for (const auto& d : q.dimensions) {
    dims.push_back(stats::resolve_time_dimension(d, range.from_s, range.to_s));
    if (d.starts_with("time")) time_dim = dims.back();
  }
  bool meta_first = true;
  if (q.include_total_rows) {
    std::string count = store.query("SELECT count() FROM (" + *base + ")", "TabSeparated");
    out.append("\"total_rows\":");
    append_number(out, first_line(count));
    meta_first = false;
  }
  if (q.include_time_labels && !time_dim.empty()) {
    out.append(meta_first ? "" : ",").append("\"time_labels\":");
    append_string_array(out, time_labels(time_dim, range));
  }
  out.append("},\"query\":{\"site_id\":");
  core::append_json_string(out, q.site_id);
  out.append(",\"metrics\":");
  append_string_array(out, q.metrics);
  out.append(",\"date_range\":");
  append_string_array(out, {range.from_label, range.to_label});
  out.append(",\"dimensions\":");
  append_string_array(out, dims);
  out.append(",\"filters\":[");
  for (std::size_t i = 0; i < q.filters.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_filter_json(out, q.filters[i]);
  }
  out.append("],\"order_by\":[");
  for (std::size_t i = 0; i < q.order_by.size(); ++i) {
    out.append(i > 0 ? ",[" : "[");
    core::append_json_string(out, q.order_by[i].field);
    out.append(q.order_by[i].descending ? ",\"desc\"]" : ",\"asc\"]");
  }
  out.append("],\"include\":{\"total_rows\":")
      .append(q.include_total_rows ? "true" : "false")
      .append(",\"time_labels\":")
      .append(q.include_time_labels ? "true" : "false")
      .append("},\"pagination\":{\"limit\":")
      .append(std::to_string(q.limit))
      .append(",\"offset\":")
      .append(std::to_string(q.offset))
      .append("}}}");
  return out;
}

}  // namespace bklit::store
