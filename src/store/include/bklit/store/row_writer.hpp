#pragma once
// Row encoding shared by every AnalyticsStore, and the worker-facing writer on top of it.
// The columns, their types and their order come from one declaration (schema/columns.cpp);
// batches are inserted as one Native block by default where the engine converts a block's
// String columns into LowCardinality (23.8 and later; measured in bench/README.md, "Native
// inserts": a quarter of RowBinary's engine CPU), else in RowBinary (cheaper to encode and to
// parse than TabSeparated); TabSeparated stays supported. Strings are written byte for byte,
// so any input round-trips.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::store {

enum class RowFormat { kRowBinary, kTabSeparated, kNative };

// "RowBinary" / "TabSeparated" / "Native": the name in `INSERT ... FORMAT <name>`.
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
// Appends one Native block of the given rows (every event must be set): the column count, the
// row count, then each column's name, type and values. LowCardinality columns are sent as
// String, which the engine converts.
void append_event_block(std::string& out, std::span<const StoredEvent* const> rows);
void append_session_block(std::string& out, std::span<const SessionRow> rows);

class AnalyticsWriter {
 public:
  // kNative falls back to kRowBinary on engines before 23.8.
  explicit AnalyticsWriter(AnalyticsStore& store, RowFormat format = RowFormat::kNative)
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
  // The format inserts use: format_, or RowBinary where the engine cannot take Native blocks.
  RowFormat effective_format();

  AnalyticsStore& store_;
  RowFormat format_;
  std::string buffer_;  // reused between batches to keep inserts allocation-light
  std::vector<const StoredEvent*> event_rows_;  // the events of a batch that are inserted
  int dedup_token_support_ = -1;                // unknown until the first insert asks the engine
  int native_support_ = -1;                     // likewise
};

}  // namespace bklit::store
