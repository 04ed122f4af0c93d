#pragma once
// The scale-out EventQueue: N Redis Streams (shards) read through one consumer group.
//
// Keys (all under key_prefix, "bklit" by default; one Redis instance, not Redis Cluster):
//   <prefix>:shards          the shard count, set once by the first process (SET NX); a process
//                            configured with another count refuses to open ("queue_config")
//   <prefix>:events:<s>      stream of shard s; each entry has one field "p" = the payload
//   <prefix>:owner:<s>       lease: the consumer that owns shard s (SET NX PX lease_ttl)
//   <prefix>:consumers       ZSET of live consumers, scored by heartbeat (Redis server ms)
//   <prefix>:dead-letters    stream of dead letters (fields shard, seq, size, reason, p),
//                            never trimmed: an operator deletes the key once inspected
//
// Sharding: a record goes to FNV-1a-64(project_id + '\0' + session_id) mod shards (see
// core::peek_session_key); records that do not parse go to shard 0. So one session's events
// stay in one stream, in append order, and exactly one worker owns that session at a time.
//
// Durability: append() reports kDurable once Redis has answered every XADD of the call with
// an id. That means durable only if Redis runs with AOF: `appendonly yes` and
// `appendfsync always` (an ack survives a Redis crash) or `appendfsync everysec` (up to
// ~1 s of acked events may be lost if the Redis host crashes; faster). Without AOF a Redis
// restart loses the queue. kFailed means nothing is acked, though some of the records may
// already be in Redis: delivery is at least once, and the worker's writes are idempotent.
//
// seq: the stream id "<ms>-<n>" maps to (ms << 20) | n, strictly increasing in a shard and
// stable across restarts. An id with n >= 2^20 (over a million XADDs to one stream in one
// millisecond, impossible in practice) is refused with a logged error.
//
// Consumers (processes that call poll()): only a process that polls takes part in shard
// ownership, so ingest processes that only append never own shards. A consumer heartbeats
// in <prefix>:consumers, aims for ceil(shards / live consumers) shards, takes free leases
// and gives back extras once it has no delivered-but-unacked record on them. On taking a
// shard it calls on_shard_change(shard, true) before returning any of its records, then
// delivers, in seq order: entries other consumers had taken but not acked (XAUTOCLAIM),
// its own pending entries, then new entries. A lease that cannot be renewed before it
// expires is lost: on_shard_change(shard, false), and its unacked records are redelivered
// to the next owner.
//
// claim_idle and lease_ttl: a new owner takes over another consumer's pending entries of
// the shard once they have been idle (not delivered) for claim_idle, and delivers nothing of
// that shard before that, so records keep their order. A consumer that closes cleanly hands
// its pending entries back at once; one that dies held them idle for about lease_ttl by the
// time its lease expires, so after a crash a shard resumes max(lease_ttl, claim_idle) after
// the last delivery. claim_idle above lease_ttl gives a consumer that lost its lease (e.g.
// a network blip) time to finish and ack what it was processing instead of having it
// redelivered; claim_idle <= lease_ttl makes takeover as fast as lease expiry.
//
// Trim: each consumer periodically runs XTRIM MINID on its shards up to the oldest pending
// entry of the group (or just past the last delivered one): only acked entries are removed.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/net/redis.hpp"
#include "bklit/queue/event_queue.hpp"

namespace bklit::queue {

struct RedisStreamsOptions {
  net::RedisOptions redis;
  std::string key_prefix = "bklit";
  // Every process of a deployment must use the same count (checked at open).
  std::uint32_t shards = 16;
  std::string group = "workers";
  // Unique per process; empty = "<hostname>-<pid>-<random hex>".
  std::string consumer;
  std::chrono::milliseconds claim_idle{30000};
  std::chrono::milliseconds lease_ttl{10000};
  // Estimated unprocessed bytes (all shards) above which append() answers kOverloaded.
  std::uint64_t max_backlog_bytes = std::uint64_t{4} << 30U;
  // Appended bytes waiting for the appender thread above which append() answers
  // kOverloaded (bounds memory while Redis is slow).
  std::size_t max_pending_bytes = std::size_t{64} << 20U;
  // How often a consumer trims the acked head of its shards' streams.
  std::chrono::milliseconds trim_interval{10000};
  // How often backlog_bytes() and healthy() are refreshed.
  std::chrono::milliseconds stats_interval{1000};
};

// Connects, checks (or records) the shard count and creates the consumer group on every
// shard. Errors: "invalid_options", "queue_unavailable" (Redis unreachable or refusing a
// command), "queue_config" (the shard count stored in Redis differs).
core::Result<std::unique_ptr<EventQueue>> open_redis_streams(const RedisStreamsOptions& options);

// The newest `limit` dead letters, oldest first, read without joining the queue (no key is
// written). Errors: "queue_unavailable".
core::Result<std::vector<DeadLetter>> read_redis_dead_letters(const RedisStreamsOptions& options,
                                                              std::size_t limit);

}  // namespace bklit::queue
