#pragma once
// RedisStreamsQueue: see bklit/queue/redis_streams.hpp for the model.
//
// Threads and connections (a RedisConnection is not thread-safe, so each has its own):
// - the appender thread (StreamAppender) writes;
// - the maintenance thread heartbeats, renews, takes and gives back shard leases (once the
//   process has polled), refreshes backlog_bytes() and healthy(), and trims;
// - poll() runs on the caller's thread with the poll connection; ack() and dead_letter()
//   with the ack connection, so a worker may ack from another thread while a poll waits;
//   dead_letters() opens a connection of its own.
//
// Shard state lives in `slots_` under `mu_`. Only the maintenance thread changes who owns a
// shard; it queues the change in `transitions_`, and poll() runs on_shard_change for it on
// the polling thread before delivering anything of that shard.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bklit/core/backoff.hpp"
#include "bklit/net/redis.hpp"
#include "bklit/queue/redis_streams.hpp"
#include "redis_streams/stream_appender.hpp"
#include "redis_streams/stream_keys.hpp"

namespace bklit::queue::redis_streams {

using Clock = std::chrono::steady_clock;

// A poll blocks in Redis for at most this long per round trip, so it notices new shards and
// close() promptly.
inline constexpr std::chrono::milliseconds kPollSlice{200};

class RedisStreamsQueue final : public EventQueue {
 public:
  explicit RedisStreamsQueue(RedisStreamsOptions options);
  ~RedisStreamsQueue() override;

  void append(std::vector<std::string> payloads, AppendCallback done) override;
  std::vector<QueueRecord> poll(std::size_t max_records, std::chrono::milliseconds wait) override;
  void ack(std::uint32_t shard, std::uint64_t up_to_seq) override;
  void on_shard_change(ShardChangeFn fn) override;
  void dead_letter(std::vector<DeadLetter> letters) override;
  std::vector<DeadLetter> dead_letters(std::size_t limit) const override;
  std::uint64_t backlog_bytes() const override;
  bool healthy() const override;
  void close() override;

 private:
  enum class Lease { kNone, kOwned, kReleasing };
  // Where delivery of an owned shard stands: first others' pending entries, then our own
  // pending entries, then new entries.
  enum class Phase { kClaimOthers, kOwnPending, kNew };

  struct Slot {
    Lease lease = Lease::kNone;
    std::uint64_t epoch = 0;  // bumped at every acquisition, so stale reads are dropped
    bool announced = false;   // on_shard_change(shard, true) has run for this epoch
    Clock::time_point valid_until{};
    Phase phase = Phase::kClaimOthers;
    std::string own_cursor = "0";
    bool inflight = false;                // poll() is reading it: do not release
    std::deque<QueueRecord> buffered;     // read from Redis, not yet returned by poll()
    std::deque<std::uint64_t> delivered;  // returned by poll(), not yet acked
  };

  struct Transition {
    std::uint32_t shard;
    bool acquired;
    std::uint64_t epoch;
  };

  struct ReadPlan {
    std::uint32_t shard;
    std::uint64_t epoch;
    Phase phase;
    std::string cursor;
  };

  // poll() helpers (consumer_poll.cpp).
  void run_transitions();
  std::vector<QueueRecord> take_buffered(std::size_t max_records);
  bool recover_step(const ReadPlan& plan, std::size_t max_records);
  void read_new(const std::vector<ReadPlan>& plans, std::size_t max_records,
                std::chrono::milliseconds block);
  void store_read(const ReadPlan& plan, const net::RedisReply& entries, bool advance_cursor);
  void finish_reads(const std::vector<ReadPlan>& plans);
  void ensure_groups(net::RedisConnection& conn);

  // Maintenance thread (shard_leases.cpp).
  void maintenance_loop();
  void lease_tick();
  void renew_leases();
  void rebalance(long long live_consumers);
  void release_idle_extras();
  void lose_lease(std::uint32_t shard, Slot& slot);  // mu_ held
  void refresh_stats();
  void trim_owned();
  void release_all_on_close();
  void note_redis(bool reachable, const char* what, const std::string& error);

  const RedisStreamsOptions options_;
  const Keys keys_;
  std::unique_ptr<StreamAppender> appender_;

  // Poll side.
  std::mutex poll_mu_;  // one poll() at a time
  net::RedisConnection poll_conn_;
  core::Backoff poll_backoff_;  // 50 ms .. 1 s between polls while Redis is unreachable
  std::uint32_t next_shard_to_drain_ = 0;
  std::mutex ack_mu_;
  net::RedisConnection ack_conn_;
  ShardChangeFn shard_change_;

  // Maintenance thread only.
  net::RedisConnection maint_conn_;
  Clock::time_point next_stats_{};
  Clock::time_point next_trim_{};
  bool maint_failing_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // transitions and close, for a poll with no shard to read
  std::condition_variable maint_cv_;
  std::vector<Slot> slots_;
  std::deque<Transition> transitions_;
  bool consuming_ = false;  // set by the first poll(): this process takes part in leases
  bool closed_ = false;
  std::mutex close_mu_;

  std::atomic<std::uint64_t> backlog_bytes_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<std::uint64_t> seen_bytes_{0};
  std::atomic<std::uint64_t> seen_records_{0};

  std::thread maintenance_;
};

}  // namespace bklit::queue::redis_streams
