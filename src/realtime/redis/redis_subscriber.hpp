#pragma once
// The subscribing half of the Redis PubSub: one connection in subscribe mode, owned by one
// thread, that keeps Redis's subscriptions equal to the channels that have local subscribers
// and hands every message to the local dispatcher.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "bklit/net/redis.hpp"
#include "common/dispatcher.hpp"

namespace bklit::realtime::detail {

class RedisSubscriber {
 public:
  RedisSubscriber(const net::RedisOptions& options, std::string prefix,
                  std::shared_ptr<Dispatcher> dispatcher);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void stop();

  // Waits until Redis confirmed `channel` (unprefixed) and this thread has acted on every
  // change of the dispatcher's channel set up to `channels_version`.
  bool wait_ready(const std::string& channel, std::uint64_t channels_version,
                  std::chrono::milliseconds timeout);

  // False while the connection is lost (and there is something to subscribe to).
  bool healthy() const { return up_.load(); }

 private:
  // Redis's view of one channel as far as its replies have told us. `pending` counts
  // SUBSCRIBE/UNSUBSCRIBE sent and not yet confirmed; only with none pending is `subscribed`
  // the server's current state.
  struct ChannelState {
    bool subscribed = false;
    int pending = 0;
  };

  void run();
  void reconcile();
  void handle(const net::RedisReply& reply);
  void lost(const std::string& why);
  void sleep(std::chrono::milliseconds delay);
  bool is_ready(const std::string& full_channel, std::uint64_t channels_version) const;

  std::unique_ptr<net::RedisConnection> connection_;
  const std::string prefix_;  // "<prefix>:"
  std::shared_ptr<Dispatcher> dispatcher_;

  // Only touched by the thread: channels we have asked Redis to subscribe.
  std::set<std::string> requested_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // state changes, and stop
  std::unordered_map<std::string, ChannelState> channels_;
  std::uint64_t reconciled_version_ = 0;
  bool has_reconciled_ = false;
  bool stopping_ = false;

  std::atomic<bool> up_{true};
  std::thread thread_;
};

}  // namespace bklit::realtime::detail
