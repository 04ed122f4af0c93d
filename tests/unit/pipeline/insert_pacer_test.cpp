#include "bklit/pipeline/insert_pacer.hpp"

#include <gtest/gtest.h>

namespace bklit::pipeline {
namespace {

TEST(InsertPacer, YieldsWhileTheStoreKeepsPace) {
  InsertPacer pacer;
  EXPECT_EQ(pacer.nice_for(0), 10);
  EXPECT_EQ(pacer.nice_for(300), 10);
  EXPECT_EQ(pacer.nice_for(1000), 10);  // at the bound, not past it
  EXPECT_TRUE(pacer.yielding());
}

TEST(InsertPacer, NormalPriorityOnceBehindUntilCaughtUp) {
  InsertPacer pacer({.yield_nice = 7, .behind_ms = 1000, .caught_up_ms = 500});
  EXPECT_EQ(pacer.nice_for(1001), 0);
  // Between the bounds the last decision holds, so the priority does not flip every batch.
  EXPECT_EQ(pacer.nice_for(800), 0);
  EXPECT_EQ(pacer.nice_for(500), 0);
  EXPECT_FALSE(pacer.yielding());
  EXPECT_EQ(pacer.nice_for(499), 7);
  EXPECT_EQ(pacer.nice_for(800), 7);
  EXPECT_EQ(pacer.nice_for(5000), 0);
}

}  // namespace
}  // namespace bklit::pipeline
