#include <algorithm>
#include <charconv>
#include <iterator>
#include <set>
#include <utility>

#include "bklit/store/row_writer.hpp"
#include "bklit/store/sql_dialect.hpp"
#include "bklit/store/sql_text.hpp"
#include "row_encoding.hpp"
#include "schema/columns.hpp"

namespace bklit::store {
namespace {

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

std::string_view AnalyticsWriter::effective_token(const std::string& dedup_token) {
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
  return dedup_token_support_ == 1 ? std::string_view(dedup_token) : std::string_view();
}

RowFormat AnalyticsWriter::effective_format() {
  if (format_ != RowFormat::kNative) return format_;
  if (native_support_ < 0) {
    native_support_ = SqlDialect::for_version(store_.version()).native_insert ? 1 : 0;
  }
  return native_support_ == 1 ? RowFormat::kNative : RowFormat::kRowBinary;
}

void AnalyticsWriter::write_events(const std::vector<StoredEvent>& events,
                                   const std::string& dedup_token) {
  std::string_view token = effective_token(dedup_token);
  const RowFormat format = effective_format();
  std::set<std::pair<std::uint32_t, std::uint64_t>> already;
  if (dedup_token_support_ == 0) already = stored_positions(store_, events);
  event_rows_.clear();
  for (const auto& stored : events) {
    if (stored.event == nullptr || already.contains({stored.shard, stored.seq})) continue;
    event_rows_.push_back(&stored);
  }
  if (event_rows_.empty()) return;
  buffer_.clear();
  if (format == RowFormat::kNative) {
    append_event_block(buffer_, event_rows_);
  } else {
    for (const StoredEvent* stored : event_rows_) append_event_row(buffer_, *stored, format);
  }
  store_.insert("events", event_columns(), format_name(format), buffer_, token);
}

void AnalyticsWriter::write_sessions(const std::vector<SessionRow>& sessions,
                                     const std::string& dedup_token) {
  if (sessions.empty()) return;
  std::string_view token = effective_token(dedup_token);
  const RowFormat format = effective_format();
  buffer_.clear();
  if (format == RowFormat::kNative) {
    append_session_block(buffer_, sessions);
  } else {
    for (const auto& s : sessions) append_session_row(buffer_, s, format);
  }
  store_.insert("sessions", session_columns(), format_name(format), buffer_, token);
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
  // generation, the worker keeps the newest. The ids go out in chunks of at most
  // kMaxIdBytes of SQL, because the engines refuse a statement longer than max_query_size
  // (256 KiB by default) and one batch can hold tens of thousands of sessions (10 000
  // sockets closing at once end 10 000 sessions).
  constexpr std::size_t kMaxIdBytes = std::size_t{64} << 10U;
  const std::string head =
      "project_id = " + sql::quote(project_id) + " AND splitByChar('/', session_id)[1] IN (";
  std::vector<SessionRow> rows;
  std::size_t i = 0;
  while (i < session_ids.size()) {
    std::string where = head;
    bool first = true;
    while (i < session_ids.size() && (first || where.size() - head.size() < kMaxIdBytes)) {
      if (!first) where.push_back(',');
      sql::append_quoted(where, session_ids[i++]);
      first = false;
    }
    where.push_back(')');
    auto part = load_where(where);
    if (rows.empty()) {
      rows = std::move(part);
    } else {
      rows.insert(rows.end(), std::make_move_iterator(part.begin()),
                  std::make_move_iterator(part.end()));
    }
  }
  return rows;
}

std::vector<SessionRow> AnalyticsWriter::load_active_sessions(std::int64_t since_ms) {
  return load_where("greatest(last_seen_ms, ended_ms) >= " + std::to_string(since_ms));
}

std::vector<SessionRow> AnalyticsWriter::load_where(const std::string& where) {
  static const std::string readable = column_list(session_table_columns(), true);
  // LIMIT 1 BY picks the latest state on every engine version, merged or not.
  std::string sql = "SELECT ";
  sql.append(readable)
      .append(" FROM sessions WHERE ")
      .append(where)
      .append(" ORDER BY version DESC LIMIT 1 BY project_id, session_id");
  std::string out = store_.query(sql, "RowBinary");
  std::vector<SessionRow> rows;
  RowDecoder in(out);
  while (!in.at_end()) {
    SessionRow& row = rows.emplace_back();
    for (const auto& column : session_table_columns()) {
      if (column.decode != nullptr) column.decode(in, row);
    }
  }
  return rows;
}

}  // namespace bklit::store
