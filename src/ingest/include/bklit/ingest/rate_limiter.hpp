#pragma once
// Token buckets: one per connection (owned by it) and a keyed set per project.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace bklit::ingest {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst), tokens_(burst) {}
  // Takes `n` tokens if available at time now_ms.
  bool take(std::int64_t now_ms, double n = 1);

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::int64_t last_ms_ = 0;
};

class KeyedRateLimiter {
 public:
  KeyedRateLimiter(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst) {}
  bool take(const std::string& key, std::int64_t now_ms, double n = 1);

 private:
  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace bklit::ingest
