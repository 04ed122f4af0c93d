#include "stats/stats_sql.hpp"

#include <string>
#include <vector>

#include "bklit/store/sql_text.hpp"
#include "bklit/store/stats_query.hpp"
#include "stats/stats_catalog.hpp"

namespace bklit::store {
namespace stats {

std::string resolve_time_dimension(std::string_view name, std::int64_t from_s, std::int64_t to_s) {
  if (name != "time") return std::string(name);
  std::int64_t span = to_s - from_s;
  if (span <= 25 * 3600) return "time:hour";  // one day, DST days included
  if (span <= 100 * 86400) return "time:day";
  return "time:month";
}

}  // namespace stats

namespace {

using stats::DimLevel;

constexpr std::string_view kSessionNumericColumns[] = {
    "visitor_id", "start_ts", "start_ms", "last_seen_ms", "ended_ms", "pageviews", "events"};

struct Context {
  const StatsQuery& q;
  const SqlDialect& dialect;
  std::string tz;       // quoted
  std::string project;  // quoted
  std::int64_t from_s, to_s;
};

std::string time_bucket(std::string_view dim, std::string_view column, const std::string& tz) {
  std::string c(column);
  if (dim == "time:hour") return "toString(toStartOfHour(" + c + ", " + tz + "), " + tz + ")";
  if (dim == "time:week") return "toString(toMonday(" + c + ", " + tz + "))";
  if (dim == "time:month") return "toString(toStartOfMonth(" + c + ", " + tz + "))";
  return "toString(toDate(" + c + ", " + tz + "))";
}

// SQL for one dimension: event columns are unprefixed, session columns carry "s_".
std::string dimension_sql(const Context& ctx, const std::string& name,
                          std::string_view time_column) {
  const stats::DimensionDef* def = stats::find_dimension(name);
  if (def->level == DimLevel::kTime) {
    return time_bucket(stats::resolve_time_dimension(name, ctx.from_s, ctx.to_s), time_column,
                       ctx.tz);
  }
  if (def->level == DimLevel::kVisit) return stats::with_prefix(def->expr, "s_");
  return std::string(def->expr);
}

std::string value_list(const std::vector<std::string>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.append(", ");
    sql::append_quoted(out, values[i]);
  }
  out.push_back(')');
  return out;
}

std::string any_of(const std::string& fn, const std::string& expr,
                   const std::vector<std::string>& values, std::string_view suffix) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.append(" OR ");
    out.append(fn).append("(").append(expr).append(", ");
    sql::append_quoted(out, values[i]);
    out.append(")").append(suffix);
  }
  out.push_back(')');
  return out;
}

std::string filter_sql(const Context& ctx, const StatsFilter& f) {
  if (f.op == "and" || f.op == "or") {
    std::string out = "(";
    for (std::size_t i = 0; i < f.children.size(); ++i) {
      if (i > 0) out.append(f.op == "and" ? " AND " : " OR ");
      out.append(filter_sql(ctx, f.children[i]));
    }
    return out + ")";
  }
  if (f.op == "not") return "NOT " + filter_sql(ctx, f.children.front());
  std::string expr = dimension_sql(ctx, f.dimension, "ts");
  if (f.op == "is") return "(" + expr + " IN " + value_list(f.values) + ")";
  if (f.op == "is_not") return "(" + expr + " NOT IN " + value_list(f.values) + ")";
  if (f.op == "contains" || f.op == "contains_not") {
    std::string fn = f.case_sensitive ? "position" : "positionCaseInsensitiveUTF8";
    std::string match = any_of(fn, expr, f.values, " > 0");
    return f.op == "contains" ? match : "NOT " + match;
  }
  std::string match = any_of("match", expr, f.values, "");
  return f.op == "matches" ? match : "NOT " + match;
}

void collect_levels(const StatsFilter& f, bool& event_level, bool& visit_level) {
  for (const auto& child : f.children) collect_levels(child, event_level, visit_level);
  if (f.dimension.empty()) return;
  auto level = stats::find_dimension(f.dimension)->level;
  event_level = event_level || level == DimLevel::kEvent;
  visit_level = visit_level || level == DimLevel::kVisit;
}

// One row per session of the project that started in [start_from, to): its latest state,
// every column prefixed "s_". Only columns that never change within a session are filtered
// here, so older states cannot leak through either form.
std::string session_source(const Context& ctx, std::int64_t start_from) {
  std::string where = " WHERE project_id = " + ctx.project + " AND start_ts >= toDateTime(" +
                      std::to_string(start_from) + ") AND start_ts < toDateTime(" +
                      std::to_string(ctx.to_s) + ") AND is_bot = 0";
  std::string out = "SELECT session_id AS s_session_id";
  auto add = [&](std::string_view col) {
    std::string c(col);
    if (ctx.dialect.sessions_final) {
      out.append(", ").append(c).append(" AS s_").append(c);
    } else {
      out.append(", argMax(").append(c).append(", version) AS s_").append(c);
    }
  };
  for (auto col : kSessionNumericColumns) add(col);
  for (auto col : stats::kSessionAttributeColumns) add(col);
  if (ctx.dialect.sessions_final) {
    out.append(" FROM sessions FINAL").append(where);
  } else {
    out.append(" FROM sessions").append(where).append(" GROUP BY session_id");
  }
  return out;
}

std::string session_metric(std::string_view m) {
  constexpr std::string_view kBounce = "(s_pageviews <= 1 AND s_events = 0)";
  if (m == "visitors") return "uniqExact(s_visitor_id)";
  if (m == "visits") return "count()";
  if (m == "pageviews") return "sum(s_pageviews)";
  if (m == "events") return "sum(s_events)";
  if (m == "views_per_visit") return "if(count() = 0, 0, sum(s_pageviews) / count())";
  if (m == "bounce_rate") {
    return "if(count() = 0, 0, 100 * countIf" + std::string(kBounce) + " / count())";
  }
  // visit_duration, seconds; a bounce counts 0.
  return "if(count() = 0, 0, sum(if(s_pageviews <= 1 AND s_events = 0, 0, "
         "greatest(toInt64(0), greatest(s_last_seen_ms, s_ended_ms) - s_start_ms))) / count() / "
         "1000)";
}

std::string grouped_metric(std::string_view m) {
  if (m == "visitors") return "uniqExact(vid)";
  if (m == "visits") return "count()";
  if (m == "pageviews") return "sum(pv)";
  if (m == "events") return "sum(ev)";
  if (m == "views_per_visit") return "if(count() = 0, 0, sum(pv) / count())";
  if (m == "bounce_rate") return "if(count() = 0, 0, 100 * sum(bounce) / count())";
  return "if(count() = 0, 0, sum(dur) / count() / 1000)";
}

std::string order_clause(const Context& ctx) {
  const auto& q = ctx.q;
  std::vector<std::string> terms;
  std::vector<bool> dim_used(q.dimensions.size(), false);
  auto alias_of = [&](const std::string& field, bool mark) -> std::string {
    for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
      if (q.dimensions[i] == field) {
        if (mark) dim_used[i] = true;
        return "d" + std::to_string(i);
      }
    }
    for (std::size_t i = 0; i < q.metrics.size(); ++i) {
      if (q.metrics[i] == field) return "m" + std::to_string(i);
    }
    return {};
  };
  if (!q.order_by.empty()) {
    for (const auto& o : q.order_by) {
      terms.push_back(alias_of(o.field, true) + (o.descending ? " DESC" : " ASC"));
    }
  } else {
    bool has_time = false;
    for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
      if (stats::find_dimension(q.dimensions[i])->level == DimLevel::kTime) {
        terms.push_back("d" + std::to_string(i) + " ASC");
        dim_used[i] = true;
        has_time = true;
      }
    }
    if (!has_time) terms.push_back("m0 DESC");
  }
  for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
    if (!dim_used[i]) terms.push_back("d" + std::to_string(i) + " ASC");
  }
  std::string out = " ORDER BY ";
  for (std::size_t i = 0; i < terms.size(); ++i) out.append(i > 0 ? ", " : "").append(terms[i]);
  return out;
}

}  // namespace

core::Result<std::string> stats_query_sql(const StatsQuery& q, const SqlDialect& dialect,
                                          const std::string& timezone, std::int64_t from_s,
                                          std::int64_t to_s) {
  for (char c : timezone) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return core::make_error("invalid_timezone", "bad time zone name", 400);
  }
  if (timezone.empty()) return core::make_error("invalid_timezone", "empty time zone", 400);
  Context ctx{q, dialect, sql::quote(timezone), sql::quote(q.site_id), from_s, to_s};

  bool event_dim = false, visit_dim = false, time_dim = false;
  for (const auto& d : q.dimensions) {
    auto level = stats::find_dimension(d)->level;
    event_dim = event_dim || level == DimLevel::kEvent;
    visit_dim = visit_dim || level == DimLevel::kVisit;
    time_dim = time_dim || level == DimLevel::kTime;
  }
  bool event_filter = false, visit_filter = false;
  for (const auto& f : q.filters) collect_levels(f, event_filter, visit_filter);
  bool event_metric = false, session_only_metric = false;
  for (const auto& m : q.metrics) {
    event_metric = event_metric || m == "pageviews" || m == "events";
    session_only_metric = session_only_metric || m == "bounce_rate" || m == "visit_duration";
  }

  std::string dims_select, group_by;
  std::string sql;
  // Sessions alone answer when nothing asks about individual events; pageviews per time
  // bucket need the events' own times.
  bool sessions_only = !event_dim && !event_filter && !(time_dim && event_metric);
  if (sessions_only) {
    sql = "SELECT ";
    for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
      sql.append(dimension_sql(ctx, q.dimensions[i], "s_start_ts"))
          .append(" AS d")
          .append(std::to_string(i))
          .append(", ");
      group_by.append(i > 0 ? ", d" : "d").append(std::to_string(i));
    }
    for (std::size_t i = 0; i < q.metrics.size(); ++i) {
      sql.append(i > 0 ? ", " : "")
          .append(session_metric(q.metrics[i]))
          .append(" AS m")
          .append(std::to_string(i));
    }
    sql.append(" FROM (").append(session_source(ctx, from_s)).append(")");
    if (!q.filters.empty()) {
      sql.append(" WHERE ");
      for (std::size_t i = 0; i < q.filters.size(); ++i) {
        sql.append(i > 0 ? " AND " : "").append(filter_sql(ctx, q.filters[i]));
      }
    }
  } else {
    bool join = visit_dim || visit_filter || session_only_metric;
    std::string inner = "SELECT ";
    for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
      inner.append(dimension_sql(ctx, q.dimensions[i], "ts"))
          .append(" AS d")
          .append(std::to_string(i))
          .append(", ");
      group_by.append(i > 0 ? ", d" : "d").append(std::to_string(i));
    }
    inner.append(
        "session_id AS sid, any(visitor_id) AS vid, countIf(type = 1) AS pv, "
        "countIf(type = 2) AS ev");
    if (join) inner.append(", any(s_bounce) AS bounce, any(s_duration) AS dur");
    inner.append(" FROM events");
    if (join) {
      inner
          .append(
              " ANY LEFT JOIN (SELECT *, s_session_id AS session_id, "
              "(s_pageviews <= 1 AND s_events = 0) AS s_bounce, if(s_bounce, 0, "
              "greatest(toInt64(0), greatest(s_last_seen_ms, s_ended_ms) - s_start_ms)) "
              "AS s_duration FROM (")
          .append(session_source(ctx, from_s - stats::kSessionLookbackS))
          .append(")) AS s USING session_id");
    }
    inner.append(" WHERE project_id = ")
        .append(ctx.project)
        .append(" AND ts >= toDateTime(")
        .append(std::to_string(from_s))
        .append(") AND ts < toDateTime(")
        .append(std::to_string(to_s))
        .append(") AND is_bot = 0 AND type IN (1, 2)");
    for (const auto& f : q.filters) inner.append(" AND ").append(filter_sql(ctx, f));
    inner.append(" GROUP BY ").append(group_by.empty() ? "" : group_by + ", ").append("sid");

    sql = "SELECT ";
    for (std::size_t i = 0; i < q.dimensions.size(); ++i) {
      sql.append("d").append(std::to_string(i)).append(", ");
    }
    for (std::size_t i = 0; i < q.metrics.size(); ++i) {
      sql.append(i > 0 ? ", " : "")
          .append(grouped_metric(q.metrics[i]))
          .append(" AS m")
          .append(std::to_string(i));
    }
    sql.append(" FROM (").append(inner).append(")");
  }
  if (!group_by.empty()) sql.append(" GROUP BY ").append(group_by);
  sql.append(order_clause(ctx));
  return sql;
}

}  // namespace bklit::store
