#pragma once
// Backends and helpers for the EventQueue contract suite.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/queue/event_queue.hpp"
#include "bklit/queue/local_log.hpp"
#include "bklit/queue/redis_streams.hpp"
#include "server_process.hpp"

namespace bklit::queue::contract {

using std::chrono::milliseconds;

// One queue's data (a directory, a Redis server); open() gives a fresh instance on it, as a
// restarted process would get.
class QueueBackend {
 public:
  virtual ~QueueBackend() = default;
  virtual std::unique_ptr<EventQueue> open() = 0;
  virtual bool sharded() const = 0;
  // What `bklit admin dead-letters` reads: the dead letters without opening the queue.
  virtual core::Result<std::vector<DeadLetter>> read_dead_letters(std::size_t limit) = 0;
};

class LocalLogBackend final : public QueueBackend {
 public:
  std::unique_ptr<EventQueue> open() override {
    LocalLogOptions options;
    options.dir = dir_.file("log");
    options.group_commit_window = std::chrono::microseconds(200);
    auto q = open_local_log(options);
    if (!q) {
      ADD_FAILURE() << q.error().code << ": " << q.error().message;
      return nullptr;
    }
    return std::move(q).value();
  }
  bool sharded() const override { return false; }
  core::Result<std::vector<DeadLetter>> read_dead_letters(std::size_t limit) override {
    return read_local_log_dead_letters(dir_.file("log"), limit);
  }

 private:
  testing::TempDir dir_;
};

// Short leases and intervals so takeovers happen within a second or two.
inline RedisStreamsOptions redis_test_options(const testing::RedisServer& server) {
  RedisStreamsOptions options;
  auto redis = net::parse_redis_url(server.url());
  EXPECT_TRUE(redis.ok());
  options.redis = *redis;
  options.redis.connect_timeout = milliseconds(500);
  options.redis.command_timeout = milliseconds(3000);
  // Short enough for quick takeovers, long enough that a loaded CI machine renews in time.
  options.lease_ttl = milliseconds(2000);
  options.claim_idle = milliseconds(300);
  options.trim_interval = milliseconds(200);
  options.stats_interval = milliseconds(100);
  return options;
}

inline std::unique_ptr<EventQueue> open_redis_or_fail(const RedisStreamsOptions& options) {
  auto q = open_redis_streams(options);
  if (!q) {
    ADD_FAILURE() << q.error().code << ": " << q.error().message;
    return nullptr;
  }
  return std::move(q).value();
}

class RedisStreamsBackend final : public QueueBackend {
 public:
  std::unique_ptr<EventQueue> open() override {
    return open_redis_or_fail(redis_test_options(server_));
  }
  bool sharded() const override { return true; }
  core::Result<std::vector<DeadLetter>> read_dead_letters(std::size_t limit) override {
    return read_redis_dead_letters(redis_test_options(server_), limit);
  }
  testing::RedisServer& server() { return server_; }

 private:
  testing::RedisServer server_;
};

// An encoded event of `session` whose url carries `n`, so tests can check order.
inline std::string event_payload(const std::string& session, int n) {
  core::Event e;
  e.event_id = std::string(32, 'a');
  e.project_id = "proj";
  e.session_id = session;
  e.url = std::to_string(n);
  e.timestamp_ms = 1700000000000;
  return core::encode_event(e);
}

struct Decoded {
  std::string session;
  int n = -1;
};
inline Decoded decode(const std::string& payload) {
  auto e = core::decode_event(payload);
  if (!e) return {};
  return {e->session_id, std::stoi(e->url)};
}

inline AppendStatus append_sync(EventQueue& q, std::vector<std::string> payloads) {
  std::promise<AppendStatus> done;
  auto f = done.get_future();
  q.append(std::move(payloads), [&done](AppendStatus s) { done.set_value(s); });
  return f.get();
}

// Polls until `n` records arrived or `timeout` passed.
inline std::vector<QueueRecord> poll_n(EventQueue& q, std::size_t n, milliseconds timeout) {
  std::vector<QueueRecord> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto got = q.poll(n - out.size(), milliseconds(100));
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  return out;
}

// Acks every polled record, shard by shard.
inline void ack_all(EventQueue& q, const std::vector<QueueRecord>& records) {
  std::map<std::uint32_t, std::uint64_t> last;
  for (const auto& r : records) last[r.shard] = std::max(last[r.shard], r.seq);
  for (auto [shard, seq] : last) q.ack(shard, seq);
}

}  // namespace bklit::queue::contract
