#include "bklit/realtime/in_process_pub_sub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace bklit::realtime {
namespace {

// Ingest skips copying payloads for live fan-out while has_subscribers() is false, so it must
// be false exactly while no subscription exists, and a new subscription must get what is
// published after it.
TEST(InProcessPubSub, HasSubscribersFollowsTheSubscriptions) {
  auto pubsub = make_in_process_pub_sub();
  EXPECT_FALSE(pubsub->has_subscribers());

  std::atomic<int> received{0};
  auto first = pubsub->subscribe(
      "live:a", [&](const std::string&, const std::string&) { received.fetch_add(1); });
  EXPECT_TRUE(pubsub->has_subscribers());
  auto second = pubsub->subscribe("live:b", [](const std::string&, const std::string&) {});
  first.reset();
  EXPECT_TRUE(pubsub->has_subscribers());  // "live:b" is still watched
  second.reset();
  EXPECT_FALSE(pubsub->has_subscribers());

  auto again = pubsub->subscribe(
      "live:a", [&](const std::string&, const std::string&) { received.fetch_add(1); });
  EXPECT_TRUE(pubsub->has_subscribers());
  pubsub->publish("live:a", "x");
  for (int i = 0; i < 200 && received.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(received.load(), 1);
}

TEST(InProcessPubSub, TwoSubscriptionsOfOneChannelCountTwice) {
  auto pubsub = make_in_process_pub_sub();
  auto one = pubsub->subscribe("live:a", [](const std::string&, const std::string&) {});
  auto two = pubsub->subscribe("live:a", [](const std::string&, const std::string&) {});
  one.reset();
  EXPECT_TRUE(pubsub->has_subscribers());
  two.reset();
  EXPECT_FALSE(pubsub->has_subscribers());
}

}  // namespace
}  // namespace bklit::realtime
