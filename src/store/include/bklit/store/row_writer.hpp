#pragma once
// Row encoding shared by every AnalyticsStore, and the worker-facing writer on top of it.
// Rows are TabSeparated lines in the column order of event_columns() / session_columns():
// measured 1.5-1.7x faster to insert than JSONEachRow on chDB, and accepted by every
// ClickHouse version. Strings are escaped byte for byte, so any input round-trips.

#include <cstdint>
#include <string>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::store {

// Column lists for `INSERT INTO t (<columns>) FORMAT TabSeparated`.
std::string_view event_columns();
std::string_view session_columns();

// Appends one `events` row (with its trailing newline).
void append_event_row(std::string& out, const core::Event& e, std::uint32_t shard,
                      std::uint64_t seq);
// Appends one `sessions` row (with its trailing newline).
void append_session_row(std::string& out, const SessionRow& s);

class AnalyticsWriter {
 public:
  explicit AnalyticsWriter(AnalyticsStore& store) : store_(store) {}

  // One INSERT statement per call (through AnalyticsStore::execute); the same dedup_token
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
  std::vector<SessionRow> load_sessions(const std::string& project_id,
                                        const std::vector<std::string>& session_ids);
  // Latest state of every session (all projects) whose last event or close is at or after
  // since_ms: the sessions a restarted worker may still extend.
  std::vector<SessionRow> load_active_sessions(std::int64_t since_ms);

 private:
  std::vector<SessionRow> load_where(const std::string& where);
  void begin_insert(std::string_view table, std::string_view columns,
                    const std::string& dedup_token);

  AnalyticsStore& store_;
  std::string buffer_;            // reused between batches to keep inserts allocation-light
  int dedup_token_support_ = -1;  // unknown until the first insert asks the engine
};

}  // namespace bklit::store
