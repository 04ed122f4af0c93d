#pragma once
// PubSub: live fan-out of events to dashboards. Implementations: in_process (one process,
// `bklit serve`) and redis (every process of a scale-out deployment); the contract suite in
// tests/contract/pubsub/ defines what both promise.
//
// Delivery is at most once and best effort: live views tolerate gaps, the analytics store is
// the record. What is promised:
// - publish() never blocks on subscribers or on the network and never throws; a message that
//   cannot be queued or sent (bounded queue full, Redis down) is dropped and counted in
//   stats().dropped.
// - A subscriber receives only messages of its channel, and messages published from one
//   thread in publish order. Every subscriber of a channel receives every message (unless
//   dropped as above).
// - Handlers run on one dispatcher thread of the PubSub, one at a time; a slow handler delays
//   the others and, past the queue bound, makes messages drop. Handlers must not throw (an
//   exception is logged, and the other subscribers still get the message).
//   From a handler it is fine to publish, subscribe, and destroy any Subscription
//   (including its own).
// - Channel names and payloads are binary safe.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bklit::realtime {

class Subscription {
 public:
  // Unsubscribes. When it returns, the handler is not running and will not run again; the
  // one exception is destroying a subscription from inside a handler (on the dispatcher
  // thread), which returns at once: the running handler finishes, nothing runs after it.
  virtual ~Subscription() = default;

  // Waits until every message published from now on (by any process sharing the backend)
  // is guaranteed to reach this subscription, i.e. the backend has confirmed it. In-process
  // that is immediate; on Redis it takes a round trip, or longer while Redis is down, and
  // holds until the connection is next lost (after which it is re-established by itself).
  // Returns false on timeout. Optional: a live view that can miss its first events need not
  // call it.
  virtual bool wait_ready(std::chrono::milliseconds timeout) = 0;
};

struct PubSubOptions {
  // Messages each bounded queue (publishing, dispatching) holds before dropping new ones.
  std::size_t queue_capacity = 16384;
};

struct PubSubStats {
  std::uint64_t published = 0;  // publish() calls
  std::uint64_t delivered = 0;  // handler invocations
  std::uint64_t dropped = 0;    // lost to a full queue or an unreachable backend
};

class PubSub {
 public:
  using Handler = std::function<void(const std::string& channel, const std::string& message)>;

  // Stops the threads, after waiting for a running handler; handlers no longer run once it
  // returns, so it must not be called from one. Subscriptions may outlive their PubSub
  // (destroying them afterwards is harmless) but receive nothing more.
  virtual ~PubSub() = default;

  virtual void publish(const std::string& channel, std::string message) = 0;
  virtual std::unique_ptr<Subscription> subscribe(const std::string& channel, Handler handler) = 0;

  // False only when no message published now could reach any subscriber, so a publisher may
  // skip building its messages (ingest copies every payload for live fan-out otherwise).
  // In-process: no subscription exists. Redis: always true, since other processes subscribe.
  // A subscription made after a false answer gets the messages published after it.
  virtual bool has_subscribers() const { return true; }

  // False while the backend is unreachable (messages are being dropped); for health checks.
  virtual bool healthy() const = 0;
  virtual PubSubStats stats() const = 0;
};

}  // namespace bklit::realtime
