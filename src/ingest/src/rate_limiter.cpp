#include "bklit/ingest/rate_limiter.hpp"

#include <algorithm>

namespace bklit::ingest {

bool TokenBucket::take(std::int64_t now_ms, double n) {
  if (last_ms_ == 0) last_ms_ = now_ms;
  if (now_ms > last_ms_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
    last_ms_ = now_ms;
  }
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

bool KeyedRateLimiter::take(const std::string& key, std::int64_t now_ms, double n) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Projects are few and known; a bound still guards against a flood of bogus keys.
    if (buckets_.size() > 100000) buckets_.clear();
    it = buckets_.emplace(key, TokenBucket(rate_, burst_)).first;
  }
  return it->second.take(now_ms, n);
}

}  // namespace bklit::ingest
