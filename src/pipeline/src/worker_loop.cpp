#include "worker_loop.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>

#include "bklit/core/clock.hpp"
#include "bklit/core/hash.hpp"
#include "bklit/core/ids.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"
#include "bklit/store/analytics_store.hpp"
#include "bklit/store/row_writer.hpp"
#include "utc_month.hpp"

namespace bklit::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// Longest a poll may block, so that stop() is noticed promptly while the queue is idle.
constexpr std::chrono::milliseconds kMaxPollWait{50};

// Which RetryRun a thread's calls are counted in: the writer thread's or this loop's.
thread_local bool tl_writer_thread = false;

// A dedup token for a part of a slice's events: the queue ranges they span, in the form of
// the slice's own token.
std::string ranges_token(std::span<const store::StoredEvent> events) {
  std::vector<ShardRange> ranges;
  for (const auto& e : events) add_to_ranges(ranges, e.shard, e.seq);
  return format_ranges(ranges);
}

// A dedup token for a part of a slice's session rows: their count and a 64-bit FNV-1a hash of
// their encoding, so the same rows get the same token again and different rows never do.
std::string rows_token(std::span<const store::SessionRow> rows) {
  std::string encoded;
  for (const auto& row : rows) store::append_session_row(encoded, row);
  std::string token = std::to_string(rows.size()) + '#';
  core::append_hex16(token, core::fnv1a(encoded));
  return token;
}

// What a dead letter of a rejected session row holds: the row, readable.
std::string describe_row(const store::SessionRow& row) {
  std::string out = "{\"project_id\":" + core::json_quote(row.project_id) +
                    ",\"session_id\":" + core::json_quote(row.session_id);
  auto number = [&out](const char* name, auto value) {
    out.append(",\"").append(name).append("\":").append(std::to_string(value));
  };
  number("version", row.version);
  number("start_ms", row.start_ms);
  number("last_seen_ms", row.last_seen_ms);
  number("ended_ms", row.ended_ms);
  number("pageviews", row.pageviews);
  number("events", row.events);
  out.append(",\"entry_page\":").append(core::json_quote(row.entry_page));
  out.append(",\"exit_page\":").append(core::json_quote(row.exit_page));
  out.push_back('}');
  return out;
}

// Takes the rejected events' counts out of rows taken after they were applied, and drops the
// rows left with no pageview and no custom event (sessions that were only rejected events).
void discount_rows(std::vector<store::SessionRow>& rows, std::span<const Discount> discounts) {
  if (discounts.empty() || rows.empty()) return;
  std::vector<char> drop(rows.size(), 0);
  bool any = false;
  for (const Discount& d : discounts) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      store::SessionRow& row = rows[i];
      if (row.session_id != d.session_id || row.project_id != d.project_id) continue;
      if (discount_row(row, d.type)) {
        drop[i] = 1;
        any = true;
      }
    }
  }
  if (!any) return;
  std::size_t out = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (drop[i] == 0) {
      if (out != i) rows[out] = std::move(rows[i]);
      ++out;
    }
  }
  rows.resize(out);
}

SessionizerOptions sessionizer_options(const WorkerOptions& options) {
  SessionizerOptions s;
  s.session_timeout = options.session_timeout;
  s.max_sessions = options.max_sessions;
  s.started_ms = core::now_ms();
  return s;
}

}  // namespace

void add_to_ranges(std::vector<ShardRange>& ranges, std::uint32_t shard, std::uint64_t seq) {
  auto it = std::find_if(ranges.begin(), ranges.end(),
                         [&](const ShardRange& r) { return r.shard == shard; });
  if (it == ranges.end()) {
    ranges.push_back(ShardRange{shard, seq, seq});
  } else {
    it->first_seq = std::min(it->first_seq, seq);
    it->last_seq = std::max(it->last_seq, seq);
  }
}

std::string format_ranges(std::span<const ShardRange> ranges) {
  std::string out;
  for (const ShardRange& r : ranges) {
    if (!out.empty()) out.push_back(',');
    out += std::to_string(r.shard) + ':' + std::to_string(r.first_seq) + '-' +
           std::to_string(r.last_seq);
  }
  return out;
}

Worker::Loop::Loop(queue::EventQueue& queue, BatchSink& sink, WorkerOptions options)
    : queue_(queue), sink_(sink), options_(options), sessionizer_(sessionizer_options(options)) {
  if (options_.batch_max_events == 0) options_.batch_max_events = 1;
  options_.rejected_insert_attempts = std::max(options_.rejected_insert_attempts, 1);
  queue_.on_shard_change(
      [this](std::uint32_t shard, bool acquired) { shard_changed(shard, acquired); });
}

void Worker::Loop::shard_changed(std::uint32_t shard, bool acquired) {
  shard_changes_.emplace_back(shard, acquired);
}

// Another worker may have written a changed shard's events and sessions since we last saw
// it: the replay guard and the session states are reloaded from the store. Only once the
// writer has stored what it holds, so that neither is read back while still in flight.
bool Worker::Loop::apply_shard_changes() {
  if (!wait_writer_idle()) return false;
  settle_discounts(nullptr);
  evict_stored();
  for (auto [shard, acquired] : shard_changes_) {
    written_upto_.erase(shard);
    std::size_t dropped = sessionizer_.forget_shard(shard, core::now_ms());
    core::log::info(
        "pipeline: shard " + std::to_string(shard) + (acquired ? " acquired" : " lost") +
        (dropped > 0 ? "; dropped " + std::to_string(dropped) + " cached sessions" : ""));
  }
  shard_changes_.clear();
  return true;
}

void Worker::Loop::request_stop() {
  {
    std::lock_guard lock(sleep_mu_);
    stop_.store(true);
  }
  sleep_cv_.notify_all();
}

Worker::Stats Worker::Loop::stats() const {
  std::lock_guard lock(stats_mu_);
  Stats out = stats_;
  for (const RetryRun& run : retry_runs_) {
    if (run.since_ms == 0 ||
        (out.retrying_since_ms != 0 && out.retrying_since_ms <= run.since_ms)) {
      continue;
    }
    out.retrying_since_ms = run.since_ms;
    out.retrying_attempts = run.attempts;
    out.retrying_call = run.what;
  }
  return out;
}

void Worker::Loop::sleep_for(std::chrono::milliseconds delay) {
  std::unique_lock lock(sleep_mu_);
  sleep_cv_.wait_for(lock, delay, [this] { return stopping(); });
}

void Worker::Loop::run() {
  writer_ = std::thread([this] {
    core::name_this_thread("bklit-store-wr");
    writer_run();
  });
  try {
    while (!stopping()) {
      collect(records_);
      if (!shard_changes_.empty() && !apply_shard_changes()) break;
      if (records_.empty()) continue;
      Batch& batch = batches_[next_batch_];
      if (options_.before_prepare) options_.before_prepare();
      if (!prepare(records_, batch) || !hand_over(batch)) break;
      next_batch_ ^= 1;
    }
  } catch (const std::exception& e) {
    // A broken invariant, not a store outage: stop here rather than ack past records that
    // were not stored. The queue delivers them again on the next start.
    core::log::error(std::string("pipeline: worker stopped: ") + e.what());
    healthy_.store(false);
  }
  // The batch already handed over is stored and acked (or given up while the store is down).
  {
    std::lock_guard lock(pipe_mu_);
    writer_exit_ = true;
  }
  pipe_cv_.notify_all();
  writer_.join();
  evict_stored();
}

void Worker::Loop::collect(std::vector<queue::QueueRecord>& records) {
  records.clear();
  const std::size_t max = options_.batch_max_events;
  auto started = Clock::now();
  try {
    const auto idle_wait = std::min(options_.batch_max_wait, kMaxPollWait);
    records = queue_.poll(max, idle_wait);
    if (records.empty()) {
      // A closed queue answers at once; do not spin on it.
      if (Clock::now() - started < idle_wait / 2) sleep_for(idle_wait);
      return;
    }
    const auto deadline = Clock::now() + options_.batch_max_wait;
    while (records.size() < max && !stopping()) {
      auto now = Clock::now();
      if (now >= deadline) break;
      auto wait =
          std::min(std::chrono::ceil<std::chrono::milliseconds>(deadline - now), kMaxPollWait);
      auto more = queue_.poll(max - records.size(), wait);
      if (records.empty()) {
        records = std::move(more);
      } else {
        std::move(more.begin(), more.end(), std::back_inserter(records));
      }
    }
  } catch (const std::exception& e) {
    // Records already handed to us are not delivered again before a restart: keep them.
    core::log::warn(std::string("pipeline: queue poll failed: ") + e.what());
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.retries;
    }
    if (records.empty()) sleep_for(options_.retry_min);
  }
}

bool Worker::Loop::decode(std::vector<queue::QueueRecord>& records, std::vector<Item>& items) {
  items.resize(records.size());
  bool any_undecodable = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    Item& item = items[i];
    item.shard = records[i].shard;
    item.seq = records[i].seq;
    item.counted = false;
    item.decoded = core::decode_event_into(records[i].payload, item.event).ok();
    if (!item.decoded) any_undecodable = true;
    item.payload = std::move(records[i].payload);
  }
  return !any_undecodable || dead_letter_undecodable(items);
}

bool Worker::Loop::prepare(std::vector<queue::QueueRecord>& records, Batch& batch) {
  // Rejected events of batches stored since the last hand-over: taken back before this batch
  // is sessionized, so its rows need no correction for them.
  {
    std::lock_guard lock(pipe_mu_);
    take_discounts();
  }
  settle_discounts(nullptr);
  if (!decode(records, batch.items)) return false;
  batch.slice_count = 0;
  // One slice per run of events in the same UTC month, in queue order: events reach the
  // table in seq order per shard, which the max_event_seq replay guard relies on.
  const auto& items = batch.items;
  std::size_t begin = 0;
  while (begin < items.size()) {
    std::size_t end = begin;
    UtcMonth month;
    bool have_month = false;
    for (; end < items.size(); ++end) {
      const Item& item = items[end];
      if (!item.decoded) continue;
      if (!have_month) {
        month = utc_month_of(item.event.timestamp_ms);
        have_month = true;
      } else if (!month.contains(item.event.timestamp_ms)) {
        break;
      }
    }
    if (!prepare_slice(batch, begin, end)) return false;
    begin = end;
  }
  return true;
}

bool Worker::Loop::prepare_slice(Batch& batch, std::size_t begin, std::size_t end) {
  if (!guard_shards(batch.items, begin, end) || !load_sessions(batch.items, begin, end)) {
    return false;
  }
  if (batch.slices.size() <= batch.slice_count) batch.slices.emplace_back();
  Slice& slice = batch.slices[batch.slice_count++];
  apply(batch.items, begin, end, slice);

  slice.ranges.clear();
  for (std::size_t i = begin; i < end; ++i) {
    add_to_ranges(slice.ranges, batch.items[i].shard, batch.items[i].seq);
  }
  slice.token = format_ranges(slice.ranges);
  for (const ShardRange& r : slice.ranges) {
    // Handed to the writer, which stores it before anything later (or the worker stops).
    auto& upto = written_upto_[r.shard];
    upto = std::max(upto, r.last_seq);
  }
  return true;
}

bool Worker::Loop::dead_letter_undecodable(std::vector<Item>& items) {
  std::vector<queue::DeadLetter> letters;
  for (Item& item : items) {
    if (item.decoded) continue;
    auto decoded = core::decode_event(item.payload);
    queue::DeadLetter letter;
    letter.shard = item.shard;
    letter.seq = item.seq;
    letter.reason = decoded ? "undecodable" : decoded.error().message;
    letter.payload = std::move(item.payload);
    letters.push_back(std::move(letter));
  }
  const std::string first = "shard " + std::to_string(letters[0].shard) + " seq " +
                            std::to_string(letters[0].seq) + ": " + letters[0].reason;
  const std::size_t count = letters.size();
  // Retried like a store write; the records are acked with their batch only once stored.
  if (!with_retry("dead_letter", [&] { queue_.dead_letter(letters); })) return false;
  core::log::warn("pipeline: set aside " + std::to_string(count) +
                  " undecodable queue records as dead letters (first at " + first +
                  "); list them with `bklit admin dead-letters`");
  std::lock_guard lock(stats_mu_);
  stats_.dead_letters += count;
  return true;
}

bool Worker::Loop::guard_shards(const std::vector<Item>& items, std::size_t begin,
                                std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    std::uint32_t shard = items[i].shard;
    if (written_upto_.contains(shard)) continue;
    std::uint64_t upto = 0;
    if (!with_retry("max_event_seq", [&] { upto = sink_.max_event_seq(shard); })) return false;
    written_upto_.emplace(shard, upto);
  }
  return true;
}

bool Worker::Loop::load_sessions(const std::vector<Item>& items, std::size_t begin,
                                 std::size_t end) {
  to_load_.clear();
  bool any = false;
  for (std::size_t i = begin; i < end; ++i) {
    const Item& item = items[i];
    if (!item.decoded || !sessionizer_.may_have_stored_state(item.event)) continue;
    to_load_[item.event.project_id].push_back(item.event.session_id);
    any = true;
  }
  if (!any) return true;
  for (auto& [project, ids] : to_load_) {
    if (ids.empty()) continue;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::string project_id(project);
    const std::vector<std::string>& session_ids = ids;  // a lambda may not capture a binding
    std::vector<store::SessionRow> rows;
    if (!with_retry("load_sessions",
                    [&] { rows = sink_.load_sessions(project_id, session_ids); })) {
      return false;
    }
    sessionizer_.restore(project_id, session_ids, std::move(rows));
  }
  // Keys are views into this batch's events: drop them before the events go.
  to_load_.clear();
  return true;
}

void Worker::Loop::apply(std::vector<Item>& items, std::size_t begin, std::size_t end,
                         Slice& slice) {
  slice.events.clear();
  slice.sessions.clear();
  std::uint64_t replays = 0;
  std::uint32_t cached_shard = 0;
  std::uint64_t* cached_upto = nullptr;
  for (std::size_t i = begin; i < end; ++i) {
    Item& item = items[i];
    if (!item.decoded) continue;
    ApplyResult result = sessionizer_.apply(item.event, item.shard, item.seq);
    if (item.event.type == core::EventType::kSessionEnd) continue;
    item.counted = result.outcome == ApplyOutcome::kApplied;
    if (cached_upto == nullptr || cached_shard != item.shard) {
      cached_shard = item.shard;
      cached_upto = &written_upto_[item.shard];
    }
    if (item.seq <= *cached_upto) {
      ++replays;
      continue;
    }
    if (!result.session_id.empty() && result.session_id != item.event.session_id) {
      item.event.session_id.assign(result.session_id);
    }
    slice.events.push_back(store::StoredEvent{&item.event, item.shard, item.seq});
  }
  slice.round = sessionizer_.take_changed(slice.sessions);
  if (replays > 0) {
    std::lock_guard lock(stats_mu_);
    stats_.replays_skipped += replays;
  }
}

bool Worker::Loop::wait_writer_idle() {
  std::unique_lock lock(pipe_mu_);
  pipe_cv_.wait(lock, [this] { return in_flight_ == nullptr; });
  take_discounts();
  return !writer_failed_;
}

void Worker::Loop::take_discounts() {
  if (discounts_.empty()) return;
  std::move(discounts_.begin(), discounts_.end(), std::back_inserter(settling_));
  discounts_.clear();
}

// The writer took these events' counts out of the rows it stored. Memory counts them still,
// and so do the rows of a batch sessionized meanwhile (taken after them).
void Worker::Loop::settle_discounts(Batch* next) {
  if (settling_.empty()) return;
  for (const Discount& d : settling_) sessionizer_.discount(d.project_id, d.session_id, d.type);
  if (next != nullptr) {
    for (std::size_t i = 0; i < next->slice_count; ++i) {
      discount_rows(next->slices[i].sessions, settling_);
    }
  }
  settling_.clear();
}

// Only states whose rows are stored leave memory: one dropped while its row is still in
// flight would be read back from the store without it.
void Worker::Loop::evict_stored() {
  sessionizer_.evict(stored_round_.load());
  std::lock_guard lock(stats_mu_);
  stats_.sessions_in_memory = sessionizer_.size();
}

bool Worker::Loop::hand_over(Batch& batch) {
  if (!wait_writer_idle()) return false;
  settle_discounts(&batch);
  evict_stored();
  {
    std::lock_guard lock(stats_mu_);
    stats_.unstored_since_ms = core::now_ms();
  }
  {
    std::lock_guard lock(pipe_mu_);
    in_flight_ = &batch;
  }
  pipe_cv_.notify_all();
  return true;
}

void Worker::Loop::writer_run() {
  tl_writer_thread = true;
  std::unique_lock lock(pipe_mu_);
  for (;;) {
    pipe_cv_.wait(lock, [this] { return in_flight_ != nullptr || writer_exit_; });
    if (in_flight_ == nullptr) return;
    const Batch& batch = *in_flight_;
    lock.unlock();
    bool ok = true;
    batch_discounts_.clear();
    try {
      if (options_.before_store) options_.before_store(batch_lag_ms(batch));
      for (std::size_t i = 0; i < batch.slice_count && ok; ++i) {
        ok = write_slice(batch, batch.slices[i]);
      }
    } catch (const std::exception& e) {
      core::log::error(std::string("pipeline: worker stopped: ") + e.what());
      healthy_.store(false);
      ok = false;
    }
    {
      std::lock_guard stats_lock(stats_mu_);
      stats_.unstored_since_ms = 0;
    }
    lock.lock();
    if (!ok) writer_failed_ = true;
    std::move(batch_discounts_.begin(), batch_discounts_.end(), std::back_inserter(discounts_));
    batch_discounts_.clear();
    in_flight_ = nullptr;
    pipe_cv_.notify_all();
    if (writer_failed_) return;
  }
}

std::int64_t Worker::Loop::batch_lag_ms(const Batch& batch) {
  std::int64_t oldest = 0;
  for (const Item& item : batch.items) {
    if (!item.decoded) continue;
    if (oldest == 0 || item.event.received_ms < oldest) oldest = item.event.received_ms;
  }
  return oldest == 0 ? 0 : std::max<std::int64_t>(0, core::now_ms() - oldest);
}

bool Worker::Loop::write_slice(const Batch& batch, const Slice& slice) {
  // Each insert is retried on its own: a confirmed events insert is not sent again.
  const std::vector<store::StoredEvent>* events = &slice.events;
  std::vector<store::StoredEvent> stored_events;  // when the store rejected some
  if (!slice.events.empty()) {
    std::string reason;
    Outcome outcome = attempt("write_events", options_.rejected_insert_attempts, &reason,
                              [&] { sink_.write_events(slice.events, slice.token); });
    if (outcome == Outcome::kStopped) return false;
    if (outcome == Outcome::kRejected) {
      core::log::warn("pipeline: the store rejected the data of " +
                      std::to_string(slice.events.size()) + " events (" + slice.token + ") " +
                      std::to_string(options_.rejected_insert_attempts) +
                      " times; storing them in parts to set the rejected ones aside: " + reason);
      std::vector<char> rejected(slice.events.size(), 0);
      if (!isolate_events(batch, slice, 0, slice.events.size(), reason, rejected)) return false;
      for (std::size_t i = 0; i < slice.events.size(); ++i) {
        if (rejected[i] == 0) stored_events.push_back(slice.events[i]);
      }
      events = &stored_events;
    } else {
      events_rejected_in_a_row_ = 0;
    }
  }

  // The rows were taken with every event of the batch counted, rejected ones included.
  const std::vector<store::SessionRow>* sessions = &slice.sessions;
  std::vector<store::SessionRow> corrected;
  if (!batch_discounts_.empty()) {
    corrected = slice.sessions;
    discount_rows(corrected, batch_discounts_);
    sessions = &corrected;
  }
  const std::string session_token = "s" + slice.token;
  if (!sessions->empty()) {
    std::string reason;
    Outcome outcome = attempt("write_sessions", options_.rejected_insert_attempts, &reason,
                              [&] { sink_.write_sessions(*sessions, session_token); });
    if (outcome == Outcome::kStopped) return false;
    if (outcome == Outcome::kRejected) {
      core::log::warn("pipeline: the store rejected the data of " +
                      std::to_string(sessions->size()) + " session rows (" + slice.token + ") " +
                      std::to_string(options_.rejected_insert_attempts) +
                      " times; storing them in parts to set the rejected ones aside: " + reason);
      std::vector<char> rejected(sessions->size(), 0);
      if (!isolate_sessions(session_token, *events, *sessions, 0, sessions->size(), reason,
                            rejected)) {
        return false;
      }
      std::vector<store::SessionRow> kept;
      for (std::size_t i = 0; i < sessions->size(); ++i) {
        if (rejected[i] == 0) kept.push_back((*sessions)[i]);
      }
      corrected = std::move(kept);
      sessions = &corrected;
    } else {
      sessions_rejected_in_a_row_ = 0;
    }
  }

  for (const ShardRange& r : slice.ranges) {
    if (!with_retry("queue ack", [&] { queue_.ack(r.shard, r.last_seq); })) return false;
  }
  stored_round_.store(slice.round);
  {
    std::lock_guard lock(stats_mu_);
    stats_.events_written += events->size();
    stats_.sessions_written += sessions->size();
    ++stats_.batches;
    stats_.last_batch_ms = core::now_ms();
  }
  if (on_written) {
    try {
      on_written(*events, *sessions);
    } catch (const std::exception& e) {
      core::log::warn(std::string("pipeline: batch-written callback failed: ") + e.what());
    }
  }
  return true;
}

// Halves in queue order, the first before the second, so that the events of a shard still
// reach the table in seq order (the replay guard relies on it), and each rejected event is set
// aside before any later one is stored. Each part has its own dedup token, derived from the
// slice's, so a part retried after an ambiguous failure is not stored twice and no part is
// mistaken for another.
bool Worker::Loop::isolate_events(const Batch& batch, const Slice& slice, std::size_t lo,
                                  std::size_t hi, const std::string& reason,
                                  std::vector<char>& rejected) {
  if (hi - lo == 1) return set_aside_event(batch, slice, lo, reason, rejected);
  const std::size_t mid = lo + (hi - lo) / 2;
  for (auto [first, last] : {std::pair{lo, mid}, std::pair{mid, hi}}) {
    const auto begin = slice.events.begin();
    const std::vector<store::StoredEvent> part(begin + static_cast<std::ptrdiff_t>(first),
                                               begin + static_cast<std::ptrdiff_t>(last));
    const std::string token = slice.token + '/' + ranges_token(part);
    std::string why;
    Outcome outcome = attempt("write_events", 1, &why, [&] { sink_.write_events(part, token); });
    if (outcome == Outcome::kStopped) return false;
    if (outcome == Outcome::kRejected) {
      if (!isolate_events(batch, slice, first, last, why, rejected)) return false;
    } else {
      events_rejected_in_a_row_ = 0;
    }
  }
  return true;
}

bool Worker::Loop::set_aside_event(const Batch& batch, const Slice& slice, std::size_t i,
                                   const std::string& reason, std::vector<char>& rejected) {
  const store::StoredEvent& stored = slice.events[i];
  if (events_rejected_in_a_row_ >= options_.max_rejected_in_a_row) {
    core::log::error(
        "pipeline: the store rejected the last " + std::to_string(events_rejected_in_a_row_) +
        " events one by one; that looks like an events table that does not match "
        "this binary, not bad data, so shard " +
        std::to_string(stored.shard) + " seq " + std::to_string(stored.seq) +
        " is retried until it is stored (docs/architecture.md, \"Rejected rows\"): " + reason);
    const std::vector<store::StoredEvent> part{stored};
    const std::string token = slice.token + '/' + ranges_token(part);
    if (!with_retry("write_events", [&] { sink_.write_events(part, token); })) return false;
    events_rejected_in_a_row_ = 0;
    return true;
  }
  auto item = std::find_if(batch.items.begin(), batch.items.end(), [&](const Item& it) {
    return it.shard == stored.shard && it.seq == stored.seq;
  });
  if (item == batch.items.end()) throw std::logic_error("a slice's event is not in its batch");
  queue::DeadLetter letter;
  letter.shard = stored.shard;
  letter.seq = stored.seq;
  letter.reason = reason;
  letter.payload = item->payload;
  if (!with_retry("dead_letter",
                  [&] { queue_.dead_letter(std::vector<queue::DeadLetter>{letter}); })) {
    return false;
  }
  core::log::warn(
      "pipeline: set aside the event at shard " + std::to_string(stored.shard) + " seq " +
      std::to_string(stored.seq) +
      " as a dead letter: the store rejects it (`bklit admin dead-letters`): " + reason);
  if (item->counted) {
    batch_discounts_.push_back(
        Discount{stored.event->project_id, stored.event->session_id, stored.event->type});
  }
  rejected[i] = 1;
  ++events_rejected_in_a_row_;
  std::lock_guard lock(stats_mu_);
  ++stats_.rejected_events;
  return true;
}

bool Worker::Loop::isolate_sessions(const std::string& token,
                                    const std::vector<store::StoredEvent>& events,
                                    const std::vector<store::SessionRow>& rows, std::size_t lo,
                                    std::size_t hi, const std::string& reason,
                                    std::vector<char>& rejected) {
  if (hi - lo == 1) return set_aside_session(token, events, rows[lo], reason, rejected[lo]);
  const std::size_t mid = lo + (hi - lo) / 2;
  for (auto [first, last] : {std::pair{lo, mid}, std::pair{mid, hi}}) {
    const auto begin = rows.begin();
    const std::vector<store::SessionRow> part(begin + static_cast<std::ptrdiff_t>(first),
                                              begin + static_cast<std::ptrdiff_t>(last));
    const std::string part_token = token + '/' + rows_token(part);
    std::string why;
    Outcome outcome =
        attempt("write_sessions", 1, &why, [&] { sink_.write_sessions(part, part_token); });
    if (outcome == Outcome::kStopped) return false;
    if (outcome == Outcome::kRejected) {
      if (!isolate_sessions(token, events, rows, first, last, why, rejected)) return false;
    } else {
      sessions_rejected_in_a_row_ = 0;
    }
  }
  return true;
}

bool Worker::Loop::set_aside_session(const std::string& token,
                                     const std::vector<store::StoredEvent>& events,
                                     const store::SessionRow& row, const std::string& reason,
                                     char& rejected) {
  if (sessions_rejected_in_a_row_ >= options_.max_rejected_in_a_row) {
    core::log::error(
        "pipeline: the store rejected the last " + std::to_string(sessions_rejected_in_a_row_) +
        " session rows one by one; that looks like a sessions table that does not "
        "match this binary, not bad data, so session '" +
        row.session_id +
        "' is retried until it is stored (docs/architecture.md, \"Rejected rows\"): " + reason);
    const std::vector<store::SessionRow> part{row};
    const std::string part_token = token + '/' + rows_token(part);
    if (!with_retry("write_sessions", [&] { sink_.write_sessions(part, part_token); })) {
      return false;
    }
    sessions_rejected_in_a_row_ = 0;
    return true;
  }
  // Named after the session's last stored event of the slice, so that it is listed apart from
  // a dead letter of a rejected event (listings show each shard/seq once).
  queue::DeadLetter letter;
  letter.shard = row.last_shard;
  letter.seq = row.last_seq;
  auto last = std::find_if(events.rbegin(), events.rend(), [&](const store::StoredEvent& e) {
    return e.event->session_id == row.session_id && e.event->project_id == row.project_id;
  });
  if (last != events.rend()) {
    letter.shard = last->shard;
    letter.seq = last->seq;
  }
  letter.reason = "session row rejected by the store (its events are stored): " + reason;
  letter.payload = describe_row(row);
  if (!with_retry("dead_letter",
                  [&] { queue_.dead_letter(std::vector<queue::DeadLetter>{letter}); })) {
    return false;
  }
  core::log::warn(
      "pipeline: set aside the row of session '" + row.session_id +
      "' as a dead letter: the store rejects it (`bklit admin dead-letters`): " + reason);
  rejected = 1;
  ++sessions_rejected_in_a_row_;
  std::lock_guard lock(stats_mu_);
  ++stats_.rejected_sessions;
  return true;
}

bool Worker::Loop::note_failure(const char* what, int attempt, std::chrono::milliseconds delay,
                                const std::exception& e) {
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.retries;
    RetryRun& run = retry_runs_[tl_writer_thread ? 1 : 0];
    if (run.since_ms == 0) run.since_ms = core::now_ms();
    ++run.attempts;
    run.what = what;
  }
  if (stopping()) {
    core::log::error(std::string("pipeline: ") + what + " failed while stopping (" + e.what() +
                     "); the unacked batch will be delivered again");
    end_retry_run();
    return false;
  }
  core::log::warn(std::string("pipeline: ") + what + " failed (attempt " + std::to_string(attempt) +
                  "): " + e.what() + "; retrying in " + std::to_string(delay.count()) + " ms");
  return true;
}

void Worker::Loop::end_retry_run() {
  std::lock_guard lock(stats_mu_);
  retry_runs_[tl_writer_thread ? 1 : 0] = RetryRun{};
}

template <typename Fn>
bool Worker::Loop::with_retry(const char* what, Fn&& fn) {
  return attempt(what, 0, nullptr, std::forward<Fn>(fn)) == Outcome::kDone;
}

template <typename Fn>
Worker::Loop::Outcome Worker::Loop::attempt(const char* what, int data_attempts,
                                            std::string* reason, Fn&& fn) {
  auto delay = options_.retry_min;
  int rejections = 0;
  for (int attempt = 1;; ++attempt) {
    try {
      fn();
      if (attempt > 1) {
        core::log::info(std::string("pipeline: ") + what + " succeeded after " +
                        std::to_string(attempt) + " attempts");
        end_retry_run();
      }
      return Outcome::kDone;
    } catch (const store::StoreError& e) {
      if (data_attempts > 0 && e.rejects_data() && ++rejections >= data_attempts) {
        if (reason != nullptr) *reason = e.what();
        if (attempt > 1) end_retry_run();
        return Outcome::kRejected;
      }
      if (!note_failure(what, attempt, delay, e)) return Outcome::kStopped;
    } catch (const std::exception& e) {
      if (!note_failure(what, attempt, delay, e)) return Outcome::kStopped;
    }
    sleep_for(delay);
    delay = std::min(delay * 2, options_.retry_max);
  }
}

}  // namespace bklit::pipeline
