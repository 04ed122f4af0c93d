#include "bklit/realtime/live_channels.hpp"

#include <gtest/gtest.h>

namespace bklit::realtime {
namespace {

TEST(LiveChannels, OneChannelPerProject) {
  EXPECT_EQ(LiveChannels::project("prj_123"), "live:prj_123");
  EXPECT_NE(LiveChannels::project("a"), LiveChannels::project("b"));
  EXPECT_EQ(LiveChannels::pipeline("prj_123"), "pipeline:prj_123");
  EXPECT_NE(LiveChannels::pipeline("a"), LiveChannels::project("a"));
}

}  // namespace
}  // namespace bklit::realtime
