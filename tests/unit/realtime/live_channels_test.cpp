#include "bklit/realtime/live_channels.hpp"

#include <gtest/gtest.h>

namespace bklit::realtime {
namespace {

TEST(LiveChannels, OneChannelPerProject) {
  EXPECT_EQ(LiveChannels::project("prj_123"), "live:prj_123");
  EXPECT_NE(LiveChannels::project("a"), LiveChannels::project("b"));
}

}  // namespace
}  // namespace bklit::realtime
