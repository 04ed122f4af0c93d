#pragma once
// EventQueue: where ingest puts accepted events and the worker takes them from.
// Implementations: local_log (durable on-disk log, this process) and redis_streams.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bklit::queue {

struct QueueRecord {
  std::uint32_t shard = 0;  // 0 for the local log
  std::uint64_t seq = 0;    // strictly increasing within a shard, stable across restarts
  std::string payload;      // core::encode_event bytes
};

// A record set aside because it cannot be processed, with why: it does not decode, the
// analytics engine rejects it, or (set aside by the local log itself) it was damaged on disk.
// Kept by the queue until an operator removes it (docs/records.md "Dead letters").
struct DeadLetter {
  std::int64_t time_ms = 0;  // Unix ms when it was set aside (set by the queue)
  std::uint32_t shard = 0;
  std::uint64_t seq = 0;
  std::string reason;
  std::uint64_t size = 0;  // bytes of the record (set by the queue)
  std::string payload;     // the record, cut to a bounded length for huge ones
};

enum class AppendStatus {
  kDurable,     // every record is durable: the client may be acked
  kOverloaded,  // backlog over its bound: retry later (HTTP 503 / error frame), nothing stored
  kFailed,      // I/O failure: nothing acked; retryable
};

class EventQueue {
 public:
  using AppendCallback = std::function<void(AppendStatus)>;

  virtual ~EventQueue() = default;

  // Appends records in order and calls `done` once, from a queue thread, when all are
  // durable (or failed). Records of successive append() calls from one thread keep their
  // order, and their callbacks run in that order. Thread-safe.
  virtual void append(std::vector<std::string> payloads, AppendCallback done) = 0;

  // Returns up to max_records not-yet-acked records that this consumer has not been given
  // since the last rewind, waiting up to `wait` for the first one. Empty on timeout or
  // after close(). After a restart every unacked record is delivered again.
  virtual std::vector<QueueRecord> poll(std::size_t max_records,
                                        std::chrono::milliseconds wait) = 0;

  // Marks every record of `shard` with seq <= up_to_seq as processed (durable, so they are
  // not delivered again after a restart).
  virtual void ack(std::uint32_t shard, std::uint64_t up_to_seq) = 0;

  // Stores delivered records that cannot be processed in the queue's dead letters, durably
  // (as durable as appends), before returning. It does not ack them: the caller acks them
  // like any processed record, so that a crash in between only stores them twice (listings
  // show each shard/seq once). Throws std::runtime_error when they cannot be stored (disk
  // or Redis failure); nothing is lost then, and the caller retries.
  virtual void dead_letter(std::vector<DeadLetter> letters) = 0;

  // The newest `limit` dead letters, oldest first, each shard/seq once. Throws
  // std::runtime_error when they cannot be read.
  virtual std::vector<DeadLetter> dead_letters(std::size_t limit) const = 0;

  // Sharded queues with several consumers (Redis Streams): called on the polling thread,
  // before poll() returns the first record of a shard this consumer has just taken over
  // (at start, or from a consumer that died or gave it up). Whatever the consumer cached
  // about that shard (stored positions, session states) may be stale and must be reloaded.
  // Also called with the shard when this consumer loses it, so its state is dropped.
  // Single-consumer queues never call it. Set before the first poll().
  using ShardChangeFn = std::function<void(std::uint32_t shard, bool acquired)>;
  virtual void on_shard_change(ShardChangeFn fn) { (void)fn; }

  // Records this queue found damaged in its own storage since it opened, and set aside as
  // dead letters itself instead of delivering them (the local log's CRC-32C check,
  // docs/records.md "Damaged records in the local log"); 0 where storage cannot damage them.
  virtual std::uint64_t damaged_records() const { return 0; }

  // Bytes appended but not yet acked (for readiness and back-pressure).
  virtual std::uint64_t backlog_bytes() const = 0;

  // True while appends can succeed (for /readyz).
  virtual bool healthy() const = 0;

  // Stops accepting appends, completes pending ones, wakes blocked polls.
  virtual void close() = 0;
};

}  // namespace bklit::queue
