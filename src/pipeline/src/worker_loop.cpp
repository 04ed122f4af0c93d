#include "worker_loop.hpp"

#include <algorithm>
#include <exception>
#include <iterator>
#include <string>

#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
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
  // Another worker may have written this shard's events and sessions since we last saw
  // it: the replay guard and the session states are reloaded from the store.
  written_upto_.erase(shard);
  std::size_t dropped = sessionizer_.forget_shard(shard, core::now_ms());
  core::log::info("pipeline: shard " + std::to_string(shard) + (acquired ? " acquired" : " lost") +
                  (dropped > 0 ? "; dropped " + std::to_string(dropped) + " cached sessions" : ""));
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
  try {
    while (!stopping()) {
      collect(records_);
      if (records_.empty()) continue;
      if (!process(records_)) break;
    }
  } catch (const std::exception& e) {
    // A broken invariant, not a store outage: stop here rather than ack past records that
    // were not stored. The queue delivers them again on the next start.
    core::log::error(std::string("pipeline: worker stopped: ") + e.what());
    healthy_.store(false);
  }
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

bool Worker::Loop::process(std::vector<queue::QueueRecord>& records) {
  items_.resize(records.size());
  bool any_undecodable = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    Item& item = items_[i];
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
  if (any_undecodable && !dead_letter_undecodable(records)) return false;

  // One slice per run of events in the same UTC month, in queue order: events reach the
  // table in seq order per shard, which the max_event_seq replay guard relies on.
  std::size_t begin = 0;
  while (begin < items_.size()) {
    std::size_t end = begin;
    UtcMonth month;
    bool have_month = false;
    for (; end < items_.size(); ++end) {
      const Item& item = items_[end];
      if (!item.decoded) continue;
      if (!have_month) {
        month = utc_month_of(item.event.timestamp_ms);
        have_month = true;
      } else if (!month.contains(item.event.timestamp_ms)) {
        break;
      }
    }
    if (!process_slice(begin, end)) return false;
    begin = end;
  }
  return true;
}

bool Worker::Loop::dead_letter_undecodable(std::vector<queue::QueueRecord>& records) {
  std::vector<queue::DeadLetter> letters;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (items_[i].decoded) continue;
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

bool Worker::Loop::process_slice(std::size_t begin, std::size_t end) {
  if (!guard_shards(begin, end) || !load_sessions(begin, end)) return false;
  apply(begin, end);
  return write_and_ack(begin, end);
}

bool Worker::Loop::guard_shards(std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    std::uint32_t shard = items_[i].shard;
    if (written_upto_.contains(shard)) continue;
    std::uint64_t upto = 0;
    if (!with_retry("max_event_seq", [&] { upto = sink_.max_event_seq(shard); })) return false;
    written_upto_.emplace(shard, upto);
  }
  return true;
}

bool Worker::Loop::load_sessions(std::size_t begin, std::size_t end) {
  to_load_.clear();
  bool any = false;
  for (std::size_t i = begin; i < end; ++i) {
    const Item& item = items_[i];
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
    std::vector<store::SessionRow> rows;
    if (!with_retry("load_sessions", [&] { rows = sink_.load_sessions(project_id, ids); })) {
      return false;
    }
    sessionizer_.restore(project_id, ids, std::move(rows));
  }
  // Keys are views into this batch's events: drop them before the events go.
  to_load_.clear();
  return true;
}

void Worker::Loop::apply(std::size_t begin, std::size_t end) {
  events_out_.clear();
  sessions_out_.clear();
  std::uint64_t replays = 0;
  std::uint32_t cached_shard = 0;
  std::uint64_t* cached_upto = nullptr;
  for (std::size_t i = begin; i < end; ++i) {
    Item& item = items_[i];
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
    events_out_.push_back(store::StoredEvent{&item.event, item.shard, item.seq});
  }
  sessionizer_.take_changed(sessions_out_);
  if (replays > 0) {
    std::lock_guard lock(stats_mu_);
    stats_.replays_skipped += replays;
  }
}

bool Worker::Loop::write_and_ack(std::size_t begin, std::size_t end) {
  ranges_.clear();
  for (std::size_t i = begin; i < end; ++i) {
    const Item& item = items_[i];
    auto it = std::find_if(ranges_.begin(), ranges_.end(),
                           [&](const ShardRange& r) { return r.shard == item.shard; });
    if (it == ranges_.end()) {
      ranges_.push_back(ShardRange{item.shard, item.seq, item.seq});
    } else {
      it->first_seq = std::min(it->first_seq, item.seq);
      it->last_seq = std::max(it->last_seq, item.seq);
    }
  }
  std::string token;
  for (const ShardRange& r : ranges_) {
    if (!token.empty()) token.push_back(',');
    token += std::to_string(r.shard) + ':' + std::to_string(r.first_seq) + '-' +
             std::to_string(r.last_seq);
  }
  const std::string session_token = "s" + token;

  // Each insert is retried on its own: a confirmed events insert is not sent again.
  if (!events_out_.empty() &&
      !with_retry("write_events", [&] { sink_.write_events(events_out_, token); })) {
    return false;
  }
  if (!sessions_out_.empty() &&
      !with_retry("write_sessions", [&] { sink_.write_sessions(sessions_out_, session_token); })) {
    return false;
  }
  for (const ShardRange& r : ranges_) {
    auto& upto = written_upto_[r.shard];
    upto = std::max(upto, r.last_seq);
    if (!with_retry("queue ack", [&] { queue_.ack(r.shard, r.last_seq); })) return false;
  }

  sessionizer_.evict();
  {
    std::lock_guard lock(stats_mu_);
    stats_.events_written += events_out_.size();
    stats_.sessions_written += sessions_out_.size();
    ++stats_.batches;
    stats_.last_batch_ms = core::now_ms();
    stats_.sessions_in_memory = sessionizer_.size();
  }
  if (on_written) {
    try {
      on_written(events_out_, sessions_out_);
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
