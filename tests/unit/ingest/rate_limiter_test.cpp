#include "bklit/ingest/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace bklit::ingest {
namespace {

TEST(TokenBucket, AllowsBurstThenRefillsAtRate) {
  TokenBucket b(10, 5);  // 10/s, burst 5
  std::int64_t t = 1'000'000;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(t)) << i;
  EXPECT_FALSE(b.take(t));
  EXPECT_FALSE(b.take(t + 50));  // half a token
  EXPECT_TRUE(b.take(t + 100));  // one token after 100 ms
  EXPECT_FALSE(b.take(t + 100));
  // A long pause refills only up to the burst.
  t += 60'000;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(t)) << i;
  EXPECT_FALSE(b.take(t));
}

TEST(KeyedRateLimiter, KeysAreIndependent) {
  KeyedRateLimiter l(1, 2);
  EXPECT_TRUE(l.take("a", 1000));
  EXPECT_TRUE(l.take("a", 1000));
  EXPECT_FALSE(l.take("a", 1000));
  EXPECT_TRUE(l.take("b", 1000));
}

}  // namespace
}  // namespace bklit::ingest
