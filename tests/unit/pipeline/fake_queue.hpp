#pragma once
// In-memory EventQueue for worker tests: records in append order over several shards,
// acks per shard, and restart() to deliver every unacked record again (a new process).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "bklit/queue/event_queue.hpp"

namespace bklit::pipeline::testing {

class FakeQueue : public queue::EventQueue {
 public:
  void append(std::vector<std::string> payloads, AppendCallback done) override {
    for (auto& p : payloads) push(0, std::move(p));
    if (done) done(queue::AppendStatus::kDurable);
  }

  // seq 0 = the shard's next one; else that seq (later pushes continue after it).
  std::uint64_t push(std::uint32_t shard, std::string payload, std::uint64_t at_seq = 0) {
    std::uint64_t seq;
    {
      std::lock_guard lock(mu_);
      seq = at_seq != 0 ? (next_seq_[shard] = at_seq) : ++next_seq_[shard];
      records_.push_back(queue::QueueRecord{shard, seq, std::move(payload)});
    }
    cv_.notify_all();
    return seq;
  }

  void on_shard_change(ShardChangeFn fn) override { shard_change_ = std::move(fn); }

  // The next poll() first reports this ownership change, as a sharded queue would.
  void announce_shard_change(std::uint32_t shard, bool acquired) {
    std::lock_guard lock(mu_);
    pending_changes_.emplace_back(shard, acquired);
  }

  std::vector<queue::QueueRecord> poll(std::size_t max_records,
                                       std::chrono::milliseconds wait) override {
    std::vector<std::pair<std::uint32_t, bool>> changes;
    {
      std::lock_guard lock(mu_);
      changes.swap(pending_changes_);
    }
    for (auto [shard, acquired] : changes) {
      if (shard_change_) shard_change_(shard, acquired);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return closed_ || skip_acked_locked(); });
    std::vector<queue::QueueRecord> out;
    while (!closed_ && out.size() < max_records && skip_acked_locked()) {
      out.push_back(records_[cursor_++]);
    }
    return out;
  }

  void ack(std::uint32_t shard, std::uint64_t up_to_seq) override {
    std::lock_guard lock(mu_);
    ack_calls_.push_back({shard, up_to_seq});
    if (lose_acks_) return;  // the process "crashes" before the ack is durable
    auto& acked = acked_[shard];
    acked = std::max(acked, up_to_seq);
  }

  void dead_letter(std::vector<queue::DeadLetter> letters) override {
    std::lock_guard lock(mu_);
    if (dead_letter_failures_ > 0) {
      --dead_letter_failures_;
      throw std::runtime_error("dead letters unavailable");
    }
    for (auto& l : letters) {
      // Set aside before acked, as the EventQueue contract requires of the caller.
      if (is_acked_locked(queue::QueueRecord{l.shard, l.seq, {}})) acked_before_dead_letter_ = true;
      l.size = l.payload.size();
      dead_letters_.push_back(std::move(l));
    }
  }
  std::vector<queue::DeadLetter> dead_letters(std::size_t limit) const override {
    std::lock_guard lock(mu_);
    auto first = dead_letters_.size() > limit ? dead_letters_.end() - static_cast<long>(limit)
                                              : dead_letters_.begin();
    return {first, dead_letters_.end()};
  }
  // The next `n` dead_letter() calls throw.
  void fail_dead_letters(int n) {
    std::lock_guard lock(mu_);
    dead_letter_failures_ = n;
  }
  bool acked_before_dead_letter() const {
    std::lock_guard lock(mu_);
    return acked_before_dead_letter_;
  }

  std::uint64_t backlog_bytes() const override {
    std::lock_guard lock(mu_);
    std::uint64_t bytes = 0;
    for (const auto& r : records_) {
      if (!is_acked_locked(r)) bytes += r.payload.size();
    }
    return bytes;
  }
  bool healthy() const override { return true; }
  void close() override {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // A new consumer process: every unacked record is delivered again.
  void restart() {
    std::lock_guard lock(mu_);
    cursor_ = 0;
  }
  void set_lose_acks(bool lose) {
    std::lock_guard lock(mu_);
    lose_acks_ = lose;
  }
  std::uint64_t acked(std::uint32_t shard) const {
    std::lock_guard lock(mu_);
    auto it = acked_.find(shard);
    return it == acked_.end() ? 0 : it->second;
  }
  std::size_t unacked() const {
    std::lock_guard lock(mu_);
    return static_cast<std::size_t>(std::count_if(
        records_.begin(), records_.end(), [&](const auto& r) { return !is_acked_locked(r); }));
  }
  // Records handed to the consumer since the last restart (acked ones skipped included).
  std::size_t delivered() const {
    std::lock_guard lock(mu_);
    return cursor_;
  }
  std::vector<std::pair<std::uint32_t, std::uint64_t>> ack_calls() const {
    std::lock_guard lock(mu_);
    return ack_calls_;
  }

 private:
  bool is_acked_locked(const queue::QueueRecord& r) const {
    auto it = acked_.find(r.shard);
    return it != acked_.end() && r.seq <= it->second;
  }
  // Moves the cursor past acked records; true when one is ready to deliver.
  bool skip_acked_locked() {
    while (cursor_ < records_.size() && is_acked_locked(records_[cursor_])) ++cursor_;
    return cursor_ < records_.size();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<queue::QueueRecord> records_;
  std::size_t cursor_ = 0;
  std::map<std::uint32_t, std::uint64_t> next_seq_;
  std::map<std::uint32_t, std::uint64_t> acked_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> ack_calls_;
  bool lose_acks_ = false;
  ShardChangeFn shard_change_;
  std::vector<std::pair<std::uint32_t, bool>> pending_changes_;
  bool closed_ = false;
  std::vector<queue::DeadLetter> dead_letters_;
  int dead_letter_failures_ = 0;
  bool acked_before_dead_letter_ = false;
};

}  // namespace bklit::pipeline::testing
