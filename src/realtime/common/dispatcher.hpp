#pragma once
// The local half every PubSub shares: the registry of this process's subscriptions, a bounded
// queue of messages waiting for them, and the one thread that runs their handlers. The
// in-process PubSub feeds it from publish(); the Redis one from its subscriber connection.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bklit/realtime/pub_sub.hpp"

namespace bklit::realtime::detail {

class Dispatcher {
 public:
  // One local subscription. `active` is only read and written under the dispatcher's run
  // mutex, which is what lets remove() promise the handler will not start again.
  struct Entry {
    std::string channel;
    PubSub::Handler handler;
    bool active = true;
  };

  explicit Dispatcher(std::size_t queue_capacity);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Joins the thread; queued messages are dropped, handlers do not run afterwards. Idempotent.
  void stop();

  // Queues a message for the subscribers of `channel`. Never blocks on handlers: false (and
  // counted as dropped) when the queue is full or stopped. A message for a channel without
  // local subscribers is discarded and not counted.
  bool enqueue(std::string channel, std::string message);

  std::shared_ptr<Entry> add(const std::string& channel, PubSub::Handler handler);
  // Unregisters; then waits until the entry's handler is not running, unless called from the
  // dispatcher thread itself (a handler removing a subscription), where waiting would deadlock.
  void remove(const std::shared_ptr<Entry>& entry);

  // Channels with at least one subscription, and a counter that changes whenever that set does
  // (the Redis subscriber polls it to know when to SUBSCRIBE / UNSUBSCRIBE).
  std::vector<std::string> channels() const;
  std::uint64_t channels_version() const { return channels_version_.load(); }
  // Whether any subscription is registered (one atomic load: asked for every ingest append).
  bool has_entries() const { return entries_.load(std::memory_order_acquire) > 0; }

  std::uint64_t delivered() const { return delivered_.load(); }
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  struct Message {
    std::string channel;
    std::string payload;
  };

  void run();
  void deliver(const Message& message);

  const std::size_t capacity_;

  mutable std::mutex registry_mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Entry>>> registry_;
  std::atomic<std::uint64_t> channels_version_{0};
  std::atomic<std::size_t> entries_{0};  // registered subscriptions, changed under registry_mu_

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Message> queue_;
  bool stopping_ = false;

  std::mutex run_mu_;
  std::condition_variable run_cv_;
  const Entry* running_ = nullptr;  // the entry whose handler is executing, if any

  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace bklit::realtime::detail
