#pragma once
// Reconnect delay of the Redis publisher and subscriber: short enough that a restarted Redis
// is back in use within about a second, long enough not to spin on a dead one.

#include <algorithm>
#include <chrono>

namespace bklit::realtime::detail {

class Backoff {
 public:
  std::chrono::milliseconds next() {
    auto current = delay_;
    delay_ = std::min(delay_ * 2, kMax);
    return current;
  }
  void reset() { delay_ = kMin; }

 private:
  static constexpr std::chrono::milliseconds kMin{50};
  static constexpr std::chrono::milliseconds kMax{1000};
  std::chrono::milliseconds delay_ = kMin;
};

}  // namespace bklit::realtime::detail
