#pragma once
// The publishing half of the Redis PubSub: a bounded queue drained by one thread that owns
// one Redis connection and PUBLISHes what is queued in one pipelined round trip.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "bklit/net/redis.hpp"

namespace bklit::realtime::detail {

class RedisPublisher {
 public:
  // `connection` has been checked to reach Redis.
  RedisPublisher(std::unique_ptr<net::RedisConnection> connection, std::string prefix,
                 std::size_t queue_capacity);
  ~RedisPublisher();
  RedisPublisher(const RedisPublisher&) = delete;
  RedisPublisher& operator=(const RedisPublisher&) = delete;

  void stop();

  // Never blocks on the network: false (counted) when the queue is full or Redis is down.
  bool publish(const std::string& channel, std::string message);

  bool healthy() const { return up_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  using Message = std::pair<std::string, std::string>;  // channel (prefixed), payload

  void run();
  void send(std::deque<Message>& batch);
  void lost(const std::string& why);

  std::unique_ptr<net::RedisConnection> connection_;
  const std::string prefix_;
  const std::size_t capacity_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;
  bool stopping_ = false;

  std::atomic<bool> up_{true};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace bklit::realtime::detail
