#pragma once
// Exponential backoff for retrying something that is down (a Redis connection): the first
// failure waits `min`, each further one twice as long up to `max`, a success starts over.
// Not thread-safe: one per retrying loop.

#include <algorithm>
#include <chrono>

namespace bklit::core {

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Backoff(std::chrono::milliseconds min = std::chrono::milliseconds(50),
                   std::chrono::milliseconds max = std::chrono::milliseconds(1000))
      : min_(min), max_(max) {}

  // Records a failure; returns how long to wait before the next attempt.
  std::chrono::milliseconds failed() {
    delay_ = failing() ? std::min(delay_ * 2, max_) : min_;
    retry_at_ = Clock::now() + delay_;
    return delay_;
  }

  // Records a success; true when it ends a run of failures (for a "back again" log line).
  bool succeeded() {
    bool was_failing = failing();
    delay_ = std::chrono::milliseconds(0);
    retry_at_ = {};
    return was_failing;
  }

  bool failing() const { return delay_.count() > 0; }
  // When the next attempt is due (the past while not failing).
  Clock::time_point retry_at() const { return retry_at_; }
  bool due(Clock::time_point now = Clock::now()) const { return now >= retry_at_; }

 private:
  std::chrono::milliseconds min_, max_;
  std::chrono::milliseconds delay_{0};
  Clock::time_point retry_at_{};
};

}  // namespace bklit::core
