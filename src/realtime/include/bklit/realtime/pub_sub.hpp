#pragma once
// PubSub: live fan-out of events to dashboards. Implementations: in_process, redis.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace bklit::realtime {

class Subscription {
 public:
  virtual ~Subscription() = default;  // unsubscribes
};

class PubSub {
 public:
  using Handler = std::function<void(const std::string& channel, const std::string& message)>;
  virtual ~PubSub() = default;
  // Delivers to every current subscriber of `channel`, at most once, possibly dropping
  // for slow subscribers (live views tolerate gaps; the store is the record).
  virtual void publish(const std::string& channel, std::string message) = 0;
  virtual std::unique_ptr<Subscription> subscribe(const std::string& channel, Handler handler) = 0;
};

}  // namespace bklit::realtime
