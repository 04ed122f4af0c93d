#include "bklit/core/backoff.hpp"

#include <gtest/gtest.h>

namespace bklit::core {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromMinToMaxAndStartsOverAfterASuccess) {
  Backoff b(milliseconds(50), milliseconds(300));
  EXPECT_FALSE(b.failing());
  EXPECT_TRUE(b.due());
  EXPECT_FALSE(b.succeeded());  // no run of failures to end
  EXPECT_EQ(b.failed(), milliseconds(50));
  EXPECT_TRUE(b.failing());
  EXPECT_FALSE(b.due());  // the next attempt waits
  EXPECT_EQ(b.failed(), milliseconds(100));
  EXPECT_EQ(b.failed(), milliseconds(200));
  EXPECT_EQ(b.failed(), milliseconds(300));
  EXPECT_EQ(b.failed(), milliseconds(300));
  EXPECT_TRUE(b.due(b.retry_at()));
  EXPECT_TRUE(b.succeeded());
  EXPECT_FALSE(b.failing());
  EXPECT_TRUE(b.due());
  EXPECT_EQ(b.failed(), milliseconds(50));
}

}  // namespace
}  // namespace bklit::core
