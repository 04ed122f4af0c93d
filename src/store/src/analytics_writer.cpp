#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <set>
#include <utility>

#include "bklit/store/row_writer.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/sql_text.hpp"

namespace bklit::store {
namespace {

namespace json = boost::json;

constexpr std::string_view kSessionColumns =
    "project_id, session_id, visitor_id, start_ms, last_seen_ms, ended_ms, entry_page, "
    "exit_page, hostname, pageviews, events, referrer_host, source, channel, utm_source, "
    "utm_medium, utm_campaign, utm_term, utm_content, utm_id, click_id, country, region, city, "
    "browser, browser_version, os, os_version, device_type, screen_class, language, "
    "is_new_visitor, is_bot, last_shard, last_seq, version";

// JSON output quotes 64-bit integers by default; accept both forms.
template <typename T>
T integer_field(const json::object& row, std::string_view key) {
  const json::value* v = row.if_contains(key);
  if (v == nullptr) return T{};
  if (v->is_int64()) return static_cast<T>(v->as_int64());
  if (v->is_uint64()) return static_cast<T>(v->as_uint64());
  if (v->is_string()) {
    const auto& s = v->as_string();
    T out{};
    std::from_chars(s.data(), s.data() + s.size(), out);
    return out;
  }
  return T{};
}

std::string string_field(const json::object& row, std::string_view key) {
  const json::value* v = row.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

SessionRow session_from_json(const json::object& o) {
  SessionRow s;
  s.project_id = string_field(o, "project_id");
  s.session_id = string_field(o, "session_id");
  s.visitor_id = integer_field<std::uint64_t>(o, "visitor_id");
  s.start_ms = integer_field<std::int64_t>(o, "start_ms");
  s.last_seen_ms = integer_field<std::int64_t>(o, "last_seen_ms");
  s.ended_ms = integer_field<std::int64_t>(o, "ended_ms");
  s.entry_page = string_field(o, "entry_page");
  s.exit_page = string_field(o, "exit_page");
  s.hostname = string_field(o, "hostname");
  s.pageviews = integer_field<std::uint32_t>(o, "pageviews");
  s.events = integer_field<std::uint32_t>(o, "events");
  s.referrer_host = string_field(o, "referrer_host");
  s.source = string_field(o, "source");
  s.channel = string_field(o, "channel");
  s.utm_source = string_field(o, "utm_source");
  s.utm_medium = string_field(o, "utm_medium");
  s.utm_campaign = string_field(o, "utm_campaign");
  s.utm_term = string_field(o, "utm_term");
  s.utm_content = string_field(o, "utm_content");
  s.utm_id = string_field(o, "utm_id");
  s.click_id = string_field(o, "click_id");
  s.country = string_field(o, "country");
  s.region = string_field(o, "region");
  s.city = string_field(o, "city");
  s.browser = string_field(o, "browser");
  s.browser_version = string_field(o, "browser_version");
  s.os = string_field(o, "os");
  s.os_version = string_field(o, "os_version");
  s.device_type = string_field(o, "device_type");
  s.screen_class = string_field(o, "screen_class");
  s.language = string_field(o, "language");
  s.is_new_visitor = integer_field<int>(o, "is_new_visitor") != 0;
  s.is_bot = integer_field<int>(o, "is_bot") != 0;
  s.last_shard = integer_field<std::uint32_t>(o, "last_shard");
  s.last_seq = integer_field<std::uint64_t>(o, "last_seq");
  s.version = integer_field<std::uint64_t>(o, "version");
  return s;
}

// The queue positions among `events` that the table already holds. For engines without
// insert_deduplication_token (ClickHouse before 22.2), where a replayed batch would otherwise
// be stored twice. Exact, not a high-water mark: one batch is one INSERT, which lands whole or
// not at all, and (shard, seq) names one queued event. The time and project bounds let the
// server prune by partition and primary key instead of scanning the table.
std::set<std::pair<std::uint32_t, std::uint64_t>> stored_positions(
    AnalyticsStore& store, const std::vector<StoredEvent>& events) {
  std::set<std::pair<std::uint32_t, std::uint64_t>> found;
  std::set<std::string_view> projects;
  std::vector<std::pair<std::uint32_t, std::pair<std::uint64_t, std::uint64_t>>> shards;
  std::int64_t min_s = INT64_MAX;
  std::int64_t max_s = 0;
  for (const auto& stored : events) {
    if (stored.event == nullptr) continue;
    projects.insert(stored.event->project_id);
    std::int64_t s = stored.event->timestamp_ms > 0 ? stored.event->timestamp_ms / 1000 : 0;
    min_s = std::min(min_s, s);
    max_s = std::max(max_s, s);
    auto it = std::find_if(shards.begin(), shards.end(),
                           [&](const auto& e) { return e.first == stored.shard; });
    if (it == shards.end()) {
      shards.push_back({stored.shard, {stored.seq, stored.seq}});
    } else {
      it->second.first = std::min(it->second.first, stored.seq);
      it->second.second = std::max(it->second.second, stored.seq);
    }
  }
  if (projects.empty()) return found;
  std::string sql = "SELECT shard, seq FROM events WHERE project_id IN (";
  bool first = true;
  for (auto p : projects) {
    if (!first) sql.push_back(',');
    first = false;
    sql::append_quoted(sql, p);
  }
  sql.append(") AND ts >= toDateTime(")
      .append(std::to_string(min_s))
      .append(") AND ts <= toDateTime(")
      .append(std::to_string(max_s))
      .append(") AND (");
  for (std::size_t i = 0; i < shards.size(); ++i) {
    sql.append(i > 0 ? " OR " : "")
        .append("(shard = ")
        .append(std::to_string(shards[i].first))
        .append(" AND seq BETWEEN ")
        .append(std::to_string(shards[i].second.first))
        .append(" AND ")
        .append(std::to_string(shards[i].second.second))
        .append(")");
  }
  sql.push_back(')');
  std::string out = store.query(sql, "TabSeparated");
  std::string_view rest(out);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    auto tab = line.find('\t');
    if (tab != std::string_view::npos) {
      std::uint32_t shard = 0;
      std::uint64_t seq = 0;
      std::from_chars(line.data(), line.data() + tab, shard);
      std::from_chars(line.data() + tab + 1, line.data() + line.size(), seq);
      found.emplace(shard, seq);
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return found;
}

}  // namespace

void AnalyticsWriter::begin_insert(std::string_view table, std::string_view columns,
                                   const std::string& dedup_token) {
  if (dedup_token_support_ < 0) {
    bool effective = SqlDialect::for_version(store_.version()).dedup_token;
    if (effective) {
      // The token only deduplicates on replicated tables or with the table setting
      // non_replicated_deduplication_window. A table created by an older server (then
      // upgraded) lacks it: keep the exact replay guard on until an operator adds it.
      std::string engine = store_.query(
          "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND "
          "name = 'events'",
          "TabSeparated");
      effective = engine.starts_with("Replicated") ||
                  engine.find("non_replicated_deduplication_window") != std::string::npos;
    }
    dedup_token_support_ = effective ? 1 : 0;
  }
  buffer_.clear();
  buffer_.append("INSERT INTO ").append(table).append(" (").append(columns).append(")");
  if (dedup_token_support_ == 1 && !dedup_token.empty()) {
    buffer_.append(" SETTINGS insert_deduplication_token = ");
    sql::append_quoted(buffer_, dedup_token);
  }
  buffer_.append(" FORMAT TabSeparated\n");
}

void AnalyticsWriter::write_events(const std::vector<StoredEvent>& events,
                                   const std::string& dedup_token) {
  begin_insert("events", event_columns(), dedup_token);
  std::set<std::pair<std::uint32_t, std::uint64_t>> already;
  if (dedup_token_support_ == 0) already = stored_positions(store_, events);
  std::size_t header = buffer_.size();
  for (const auto& stored : events) {
    if (stored.event == nullptr || already.contains({stored.shard, stored.seq})) continue;
    append_event_row(buffer_, *stored.event, stored.shard, stored.seq);
  }
  if (buffer_.size() == header) return;
  store_.execute(buffer_);
}

void AnalyticsWriter::write_sessions(const std::vector<SessionRow>& sessions,
                                     const std::string& dedup_token) {
  if (sessions.empty()) return;
  begin_insert("sessions", session_columns(), dedup_token);
  for (const auto& s : sessions) append_session_row(buffer_, s);
  store_.execute(buffer_);
}

std::uint64_t AnalyticsWriter::max_event_seq(std::uint32_t shard) {
  std::string out = store_.query(
      "SELECT max(seq) FROM events WHERE shard = " + std::to_string(shard), "TabSeparated");
  std::uint64_t seq = 0;
  std::from_chars(out.data(), out.data() + out.size(), seq);
  return seq;
}

std::vector<SessionRow> AnalyticsWriter::load_sessions(
    const std::string& project_id, const std::vector<std::string>& session_ids) {
  if (session_ids.empty()) return {};
  // A session that timed out and went on is stored as "<id>/<n>": return every
  // generation, the worker keeps the newest.
  std::string where =
      "project_id = " + sql::quote(project_id) + " AND splitByChar('/', session_id)[1] IN (";
  for (std::size_t i = 0; i < session_ids.size(); ++i) {
    if (i > 0) where.push_back(',');
    sql::append_quoted(where, session_ids[i]);
  }
  where.push_back(')');
  return load_where(where);
}

std::vector<SessionRow> AnalyticsWriter::load_active_sessions(std::int64_t since_ms) {
  return load_where("greatest(last_seen_ms, ended_ms) >= " + std::to_string(since_ms));
}

std::vector<SessionRow> AnalyticsWriter::load_where(const std::string& where) {
  // LIMIT 1 BY picks the latest state on every engine version, merged or not.
  std::string sql = "SELECT ";
  sql.append(kSessionColumns)
      .append(" FROM sessions WHERE ")
      .append(where)
      .append(" ORDER BY version DESC LIMIT 1 BY project_id, session_id");
  std::string out = store_.query(sql, "JSONEachRow");
  std::vector<SessionRow> rows;
  std::string_view rest(out);
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty()) {
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object()) throw StoreError("unreadable session row from the store");
      rows.push_back(session_from_json(v.as_object()));
    }
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return rows;
}

}  // namespace bklit::store
