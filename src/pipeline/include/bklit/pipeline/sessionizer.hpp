#pragma once
// Turns the event stream into session states (docs/metrics.md "Session"). Single-threaded:
// owned by one worker, which owns the shards the sessions hash to.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::pipeline {

struct SessionizerOptions {
  std::chrono::milliseconds session_timeout{30 * 60 * 1000};
  // Sessions idle (by server receive time) longer than timeout + margin leave memory.
  std::chrono::milliseconds eviction_margin{5 * 60 * 1000};
  std::size_t max_sessions = 2'000'000;
  // Server time (Unix ms) since which this process has seen every event of its shards.
  // A session created before it may have state in the store written by a predecessor
  // (crash, restart, shard takeover), so it is loaded instead of started from scratch.
  std::int64_t started_ms = 0;
};

enum class ApplyOutcome {
  kApplied,    // the session state changed
  kReplay,     // seq already applied to this session (queue redelivery): state unchanged
  kNoSession,  // a session_end for a session that is unknown or already timed out
};

struct ApplyResult {
  ApplyOutcome outcome = ApplyOutcome::kApplied;
  // Session id to store the event under: the SDK id, or "<sdk id>/<n>" once the session
  // was reopened after a timeout. Empty for kNoSession. Valid until the next call.
  std::string_view session_id;
};

// Takes one counted pageview (or custom event, by `type`) out of `row`, a state of the event's
// session taken after the event was applied (Sessionizer::discount for the rows). True when the
// row then counts neither pageviews nor custom events: it describes no visit and is not stored.
bool discount_row(store::SessionRow& row, core::EventType type);

class Sessionizer {
 public:
  explicit Sessionizer(SessionizerOptions options = {});
  ~Sessionizer();
  Sessionizer(const Sessionizer&) = delete;
  Sessionizer& operator=(const Sessionizer&) = delete;

  // True when the event's session is not in memory but the store may hold its state
  // (an SDK id created well before the event, an id of another shape such as "v-...",
  // or a session that may predate this process or was pushed out by the memory cap).
  // Call for every event of a batch before applying any, then restore() what was found.
  bool may_have_stored_state(const core::Event& event) const;

  // Installs stored rows for `requested_ids` (SDK ids) of `project_id`, as returned by
  // BatchSink::load_sessions. The highest generation per id wins; sessions already in
  // memory keep their (newer) in-memory state.
  void restore(const std::string& project_id, const std::vector<std::string>& requested_ids,
               std::vector<store::SessionRow> rows);

  // Applies one event taken from (shard, seq) of the queue.
  ApplyResult apply(const core::Event& event, std::uint32_t shard, std::uint64_t seq);

  // Takes back one pageview or custom event (`type`) that apply() counted (kApplied) and the
  // store then rejected, from the session it was stored under (`stored_session_id`: the id
  // apply() returned). Only the count is undone (docs/architecture.md, "Rejected rows"): the
  // session's times, entry and exit page and attributes keep what the event set, except that a
  // generation left with no pageview and no custom event starts over with its next event (its
  // times, pages and attributes are then that event's, and a session_end alone does not revive
  // it). Does not mark the state changed: the caller corrects rows already taken with
  // discount_row(). Nothing happens when that generation is no longer the one in memory.
  void discount(std::string_view project_id, std::string_view stored_session_id,
                core::EventType type);

  // Appends the rows changed since the last call, one (latest) row per session state; a
  // session reopened after a timeout yields its closed generation and the new one. Returns
  // the number of this call (1, 2, ...): the rows' round, for evict().
  std::uint64_t take_changed(std::vector<store::SessionRow>& out);

  // Drops sessions idle past timeout + margin, then the least recently active ones above
  // max_sessions. Only clean states go whose rows are stored: those of rounds up to
  // `stored_round` (by default every round taken so far). Returns how many were dropped.
  std::size_t evict(std::uint64_t stored_round = UINT64_MAX);

  // Drops every in-memory session of `shard` (the worker lost or just took over the shard:
  // another worker may have changed those sessions) and treats every session created
  // before now_ms as possibly stored, so it is reloaded from the store when it returns.
  // Call between batches (no state of the shard is dirty then). Returns how many went.
  std::size_t forget_shard(std::uint32_t shard, std::int64_t now_ms);

  std::size_t size() const { return states_.size(); }
  // Current state of an SDK session id (any generation), or nullptr.
  const store::SessionRow* find(std::string_view project_id, std::string_view sdk_id) const;

 private:
  struct State {
    store::SessionRow row;
    std::uint32_t generation = 1;  // n of "<sdk id>/<n>"; 1 is the bare SDK id
    std::int64_t first_pageview_ms = 0;
    std::int64_t last_pageview_ms = 0;
    std::int64_t last_received_ms = 0;  // server clock, for eviction
    std::int64_t created_server_ms = 0;
    bool dirty = false;
    bool emptied = false;  // every counted event was discounted: the next one starts it over
    std::uint64_t taken_round = 0;     // the take_changed() call that last took its row
    const std::string* key = nullptr;  // points into the map node
    State* lru_prev = nullptr;         // least recently active first
    State* lru_next = nullptr;
  };

  const std::string& make_key(std::string_view project_id, std::string_view sdk_id) const;
  State& create(const std::string& key, const core::Event& event, std::string_view sdk_id,
                std::int64_t received);
  void open_generation(State& state, const core::Event& event, std::string_view sdk_id,
                       std::uint32_t generation);
  void start_over(State& state, const core::Event& event);
  void take_context(State& state, const core::Event& event);
  void mark_changed(State& state, std::uint32_t shard, std::uint64_t seq);
  void touch(State& state, std::int64_t received);
  void lru_unlink(State& state);
  void lru_push_back(State& state);
  void erase(State& state);

  SessionizerOptions options_;
  std::int64_t timeout_ms_;
  std::unordered_map<std::string, State> states_;
  std::vector<State*> dirty_;
  std::uint64_t rounds_taken_ = 0;
  std::vector<store::SessionRow> retired_;  // closed generations changed in this batch
  State* lru_head_ = nullptr;
  State* lru_tail_ = nullptr;
  std::int64_t stream_now_ms_ = 0;  // highest server receive time seen
  // Sessions created (server time) before this may have been forgotten: start of the
  // process, raised when the memory cap pushes sessions out.
  std::int64_t forgotten_before_ms_;
  bool cap_warned_ = false;
  mutable std::string key_buf_;
};

}  // namespace bklit::pipeline
