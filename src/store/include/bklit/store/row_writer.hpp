#pragma once
// Row encoding shared by every AnalyticsStore, and the worker-facing writer on top of it.
// The columns, their types and their order come from one declaration (schema/columns.cpp);
// rows are encoded in RowBinary by default (measured in bench/README.md, "Store path":
// cheaper to encode and to parse than TabSeparated) or TabSeparated, both read by every
// ClickHouse version we support. Strings are written byte for byte, so any input round-trips.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::store {

enum class RowFormat { kRowBinary, kTabSeparated };

// "RowBinary" / "TabSeparated": the name in `INSERT ... FORMAT <name>`.
std::string_view format_name(RowFormat format);

// Column lists for `INSERT INTO t (<columns>) FORMAT ...`, in the order the rows are encoded.
std::string_view event_columns();
std::string_view session_columns();

// Appends one `events` row (TabSeparated: with its trailing newline). The event must be set.
void append_event_row(std::string& out, const StoredEvent& e,
                      RowFormat format = RowFormat::kRowBinary);
// Appends one `sessions` row.
void append_session_row(std::string& out, const SessionRow& s,
                        RowFormat format = RowFormat::kRowBinary);

class AnalyticsWriter {
 public:
  explicit AnalyticsWriter(AnalyticsStore& store, RowFormat format = RowFormat::kRowBinary)
      : store_(store), format_(format) {}

  // One INSERT per call (through AnalyticsStore::insert); the same dedup_token
  // again (a replayed batch) is dropped by engines that support insert_deduplication_token.
  // On older engines write_events first leaves out the events whose (shard, seq) the table
  // already holds, so a replay is not counted twice there either (one extra query per batch);
  // replayed session rows are harmless anyway (readers take the highest version).
  // Events whose pointer is null are skipped. Throws StoreError on failure.
  void write_events(const std::vector<StoredEvent>& events, const std::string& dedup_token);
  void write_sessions(const std::vector<SessionRow>& sessions, const std::string& dedup_token);

  // Highest `seq` stored for `shard` (0 when none): where a restarted worker resumes.
  std::uint64_t max_event_seq(std::uint32_t shard);

  // Latest state of the given sessions of one project (those not found are absent).
  // Safe to call from another thread while a write_* call runs (the worker does).
  std::vector<SessionRow> load_sessions(const std::string& project_id,
                                        const std::vector<std::string>& session_ids);
  // Latest state of every session (all projects) whose last event or close is at or after
  // since_ms: the sessions a restarted worker may still extend.
  std::vector<SessionRow> load_active_sessions(std::int64_t since_ms);

 private:
  std::vector<SessionRow> load_where(const std::string& where);
  // The token to send with an insert: empty where the engine would not honour it.
  std::string_view effective_token(const std::string& dedup_token);

  AnalyticsStore& store_;
  RowFormat format_;
  std::string buffer_;            // reused between batches to keep inserts allocation-light
  int dedup_token_support_ = -1;  // unknown until the first insert asks the engine
};

}  // namespace bklit::store
