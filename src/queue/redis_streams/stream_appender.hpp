#pragma once
// The append side of the Redis Streams queue: one thread and one connection that turn every
// append() queued since its last round trip into one pipeline of XADDs, then run the
// callbacks in append order.
//
// While Redis is unreachable the thread answers kFailed at once for queued appends and
// retries the connection with exponential backoff (50 ms .. 1 s), so callers are never held
// for a connect timeout per append.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bklit/core/backoff.hpp"
#include "bklit/net/redis.hpp"
#include "bklit/queue/event_queue.hpp"
#include "redis_streams/stream_keys.hpp"

namespace bklit::queue::redis_streams {

class StreamAppender {
 public:
  struct Hooks {
    // Estimated unprocessed bytes already in Redis (for kOverloaded).
    std::function<std::uint64_t()> backlog_bytes;
    // Called after each round trip with whether Redis answered, and the bytes stored.
    std::function<void(bool reachable, std::uint64_t bytes, std::size_t records)> on_result;
  };

  StreamAppender(net::RedisOptions redis, Keys keys, std::uint32_t shards,
                 std::uint64_t max_backlog_bytes, std::size_t max_pending_bytes, Hooks hooks);
  ~StreamAppender();
  StreamAppender(const StreamAppender&) = delete;
  StreamAppender& operator=(const StreamAppender&) = delete;

  void append(std::vector<std::string> payloads, EventQueue::AppendCallback done);

  // Completes queued appends, then stops the thread. Later appends answer kFailed.
  void close();

 private:
  struct Pending {
    std::vector<std::string> payloads;
    EventQueue::AppendCallback done;
    std::size_t bytes = 0;
    AppendStatus verdict = AppendStatus::kDurable;  // kDurable = still to be written
  };

  void run();
  void write(std::vector<Pending>& batch);

  // About 1 MiB of payloads per round trip keeps replies and buffers small.
  static constexpr std::size_t kBatchBytes = std::size_t{1} << 20U;

  net::RedisConnection conn_;
  const Keys keys_;
  const std::uint32_t shards_;
  const std::uint64_t max_backlog_bytes_;
  const std::size_t max_pending_bytes_;
  Hooks hooks_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  std::size_t pending_bytes_ = 0;
  bool stopping_ = false;
  bool exited_ = false;
  std::mutex close_mu_;

  // Appender thread only.
  core::Backoff backoff_;  // 50 ms .. 1 s between attempts while Redis is unreachable

  std::thread thread_;
};

}  // namespace bklit::queue::redis_streams
