#include "worker_loop.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <string>

#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"
#include "utc_month.hpp"

namespace bklit::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// Longest a poll may block, so that stop() is noticed promptly while the queue is idle.
constexpr std::chrono::milliseconds kMaxPollWait{50};

SessionizerOptions sessionizer_options(const WorkerOptions& options) {
  SessionizerOptions s;
  s.session_timeout = options.session_timeout;
  s.max_sessions = options.max_sessions;
  s.started_ms = core::now_ms();
  return s;
}

}  // namespace

Worker::Loop::Loop(queue::EventQueue& queue, BatchSink& sink, WorkerOptions options)
    : queue_(queue), sink_(sink), options_(options), sessionizer_(sessionizer_options(options)) {
  if (options_.batch_max_events == 0) options_.batch_max_events = 1;
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
  return stats_;
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
    auto event = core::decode_event(records[i].payload);
    item.decoded = event.ok();
    if (event) {
      item.event = std::move(*event);
    } else {
      any_undecodable = true;
    }
  }
  return !any_undecodable || dead_letter_undecodable(records, items);
}

bool Worker::Loop::prepare(std::vector<queue::QueueRecord>& records, Batch& batch) {
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
    const Item& item = batch.items[i];
    auto it = std::find_if(slice.ranges.begin(), slice.ranges.end(),
                           [&](const ShardRange& r) { return r.shard == item.shard; });
    if (it == slice.ranges.end()) {
      slice.ranges.push_back(ShardRange{item.shard, item.seq, item.seq});
    } else {
      it->first_seq = std::min(it->first_seq, item.seq);
      it->last_seq = std::max(it->last_seq, item.seq);
    }
  }
  slice.token.clear();
  for (const ShardRange& r : slice.ranges) {
    if (!slice.token.empty()) slice.token.push_back(',');
    slice.token += std::to_string(r.shard) + ':' + std::to_string(r.first_seq) + '-' +
                   std::to_string(r.last_seq);
    // Handed to the writer, which stores it before anything later (or the worker stops).
    auto& upto = written_upto_[r.shard];
    upto = std::max(upto, r.last_seq);
  }
  return true;
}

bool Worker::Loop::dead_letter_undecodable(std::vector<queue::QueueRecord>& records,
                                           const std::vector<Item>& items) {
  std::vector<queue::DeadLetter> letters;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (items[i].decoded) continue;
    auto decoded = core::decode_event(records[i].payload);
    queue::DeadLetter letter;
    letter.shard = records[i].shard;
    letter.seq = records[i].seq;
    letter.reason = decoded ? "undecodable" : decoded.error().message;
    letter.payload = std::move(records[i].payload);
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
  return !writer_failed_;
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
  evict_stored();
  {
    std::lock_guard lock(pipe_mu_);
    in_flight_ = &batch;
  }
  pipe_cv_.notify_all();
  return true;
}

void Worker::Loop::writer_run() {
  std::unique_lock lock(pipe_mu_);
  for (;;) {
    pipe_cv_.wait(lock, [this] { return in_flight_ != nullptr || writer_exit_; });
    if (in_flight_ == nullptr) return;
    const Batch& batch = *in_flight_;
    lock.unlock();
    bool ok = true;
    try {
      for (std::size_t i = 0; i < batch.slice_count && ok; ++i) ok = write_slice(batch.slices[i]);
    } catch (const std::exception& e) {
      core::log::error(std::string("pipeline: worker stopped: ") + e.what());
      healthy_.store(false);
      ok = false;
    }
    lock.lock();
    if (!ok) writer_failed_ = true;
    in_flight_ = nullptr;
    pipe_cv_.notify_all();
    if (writer_failed_) return;
  }
}

bool Worker::Loop::write_slice(const Slice& slice) {
  // Each insert is retried on its own: a confirmed events insert is not sent again.
  if (!slice.events.empty() &&
      !with_retry("write_events", [&] { sink_.write_events(slice.events, slice.token); })) {
    return false;
  }
  const std::string session_token = "s" + slice.token;
  if (!slice.sessions.empty() &&
      !with_retry("write_sessions", [&] { sink_.write_sessions(slice.sessions, session_token); })) {
    return false;
  }
  for (const ShardRange& r : slice.ranges) {
    if (!with_retry("queue ack", [&] { queue_.ack(r.shard, r.last_seq); })) return false;
  }
  stored_round_.store(slice.round);
  {
    std::lock_guard lock(stats_mu_);
    stats_.events_written += slice.events.size();
    stats_.sessions_written += slice.sessions.size();
    ++stats_.batches;
    stats_.last_batch_ms = core::now_ms();
  }
  if (on_written) {
    try {
      on_written(slice.events, slice.sessions);
    } catch (const std::exception& e) {
      core::log::warn(std::string("pipeline: batch-written callback failed: ") + e.what());
    }
  }
  return true;
}

template <typename Fn>
bool Worker::Loop::with_retry(const char* what, Fn&& fn) {
  auto delay = options_.retry_min;
  for (int attempt = 1;; ++attempt) {
    try {
      fn();
      if (attempt > 1) {
        core::log::info(std::string("pipeline: ") + what + " succeeded after " +
                        std::to_string(attempt) + " attempts");
      }
      return true;
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(stats_mu_);
        ++stats_.retries;
      }
      if (stopping()) {
        core::log::error(std::string("pipeline: ") + what + " failed while stopping (" + e.what() +
                         "); the unacked batch will be delivered again");
        return false;
      }
      core::log::warn(std::string("pipeline: ") + what + " failed (attempt " +
                      std::to_string(attempt) + "): " + e.what() + "; retrying in " +
                      std::to_string(delay.count()) + " ms");
    }
    sleep_for(delay);
    delay = std::min(delay * 2, options_.retry_max);
  }
}

}  // namespace bklit::pipeline
