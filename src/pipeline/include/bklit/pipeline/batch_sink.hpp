#pragma once
// Where the worker writes its batches. Implemented on top of the AnalyticsStore; kept
// this narrow so the worker can be tested without a store.

#include <cstdint>
#include <string>
#include <vector>

#include "bklit/store/rows.hpp"

namespace bklit::pipeline {

// Every method may throw (any std::exception) when the store is unavailable; the worker
// then retries the same call with backoff. A write that throws may or may not have been
// applied, so writes must honour `dedup_token`: the same token again is a no-op. A write the
// engine refuses for a value in its rows throws a store::StoreError whose rejects_data() is
// true; the worker then stores the rows in parts and sets the rejected ones aside
// (docs/architecture.md, "Rejected rows").
// The worker calls write_* from one thread, one call at a time and in queue order, and
// max_event_seq / load_sessions from another thread, possibly while a write runs.
class BatchSink {
 public:
  virtual ~BatchSink() = default;

  // One insert per table per call; the events of one call all fall in one calendar month
  // (UTC) of their timestamp, so one call is one partition.
  virtual void write_events(const std::vector<store::StoredEvent>& events,
                            const std::string& dedup_token) = 0;
  virtual void write_sessions(const std::vector<store::SessionRow>& sessions,
                              const std::string& dedup_token) = 0;

  // Highest seq of `shard` already in the events table (0 if none). Events are written in
  // seq order per shard, so everything at or below it is stored.
  virtual std::uint64_t max_event_seq(std::uint32_t shard) = 0;

  // Latest stored state (highest version) of each of `session_ids` of `project_id`, and of
  // their continuations "<id>/<n>" (sessions reopened after a timeout). Missing ids are
  // simply absent; returning every generation is allowed, the highest one wins.
  virtual std::vector<store::SessionRow> load_sessions(
      const std::string& project_id, const std::vector<std::string>& session_ids) = 0;
};

}  // namespace bklit::pipeline
