// What only the Redis PubSub promises: fan-out across processes (here: separate PubSub
// instances, each with its own connections), prefixes, and surviving a Redis restart.

#include <chrono>
#include <memory>
#include <string>

#include "bklit/net/redis.hpp"
#include "pub_sub_test_util.hpp"

namespace bklit::realtime::testing {
namespace {

class RedisPubSub : public ::testing::Test {
 protected:
  RedisBackend backend_;
};

// Publishes `message` every 100 ms until `inbox` has it: for after an outage, when the first
// messages may be dropped while connections come back.
bool publish_until_received(PubSub& pubsub, const std::string& channel, const std::string& message,
                            Inbox& inbox, std::chrono::milliseconds timeout = kWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pubsub.publish(channel, message);
    if (inbox.wait_for(1, 100ms)) return true;
  }
  return false;
}

TEST_F(RedisPubSub, MessagePublishedInOneInstanceReachesSubscribersOfAnother) {
  auto ingest = backend_.open();
  auto api_one = backend_.open();
  auto api_two = backend_.open();
  Inbox one;
  Inbox two;
  auto sub_one = api_one->subscribe("live:p", one.handler());
  auto sub_two = api_two->subscribe("live:p", two.handler());
  ASSERT_TRUE(sub_one->wait_ready(kWait));
  ASSERT_TRUE(sub_two->wait_ready(kWait));
  for (const auto& m : {"a", "b", "c"}) ingest->publish("live:p", m);
  ASSERT_TRUE(one.wait_for(3));
  ASSERT_TRUE(two.wait_for(3));
  EXPECT_EQ(one.messages(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(two.messages(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(RedisPubSub, ChannelsAreNamedPrefixColonChannelOnRedis) {
  auto blue = backend_.open_with_prefix("blue");
  auto green = backend_.open_with_prefix("green");
  Inbox blue_inbox;
  Inbox green_inbox;
  auto sub_blue = blue->subscribe("live:p", blue_inbox.handler());
  auto sub_green = green->subscribe("live:p", green_inbox.handler());
  ASSERT_TRUE(sub_blue->wait_ready(kWait));
  ASSERT_TRUE(sub_green->wait_ready(kWait));

  // A PUBLISH by anyone on "blue:live:p" is blue's live:p, and not green's.
  net::RedisConnection raw(backend_.redis_options());
  EXPECT_EQ(raw.command({"PUBLISH", "blue:live:p", "from outside"}).integer, 1);
  ASSERT_TRUE(blue_inbox.wait_for(1));
  // Redis delivers to one connection in order: once green has this, it would have had the other.
  EXPECT_EQ(raw.command({"PUBLISH", "green:live:p", "green only"}).integer, 1);
  ASSERT_TRUE(green_inbox.wait_for(1));
  EXPECT_EQ(blue_inbox.messages(), std::vector<std::string>{"from outside"});
  EXPECT_EQ(green_inbox.messages(), std::vector<std::string>{"green only"});

  // And the last subscription gone means Redis is unsubscribed too.
  sub_blue.reset();
  ASSERT_TRUE(eventually([&] {
    auto reply = raw.command({"PUBSUB", "NUMSUB", "blue:live:p"});
    return reply.elements.size() == 2 && reply.elements[1].integer == 0;
  }));
}

TEST_F(RedisPubSub, SubscriptionsResumeAfterRedisRestarts) {
  auto publisher = backend_.open();
  auto api = backend_.open();
  Inbox inbox;
  auto sub = api->subscribe("live:p", inbox.handler());
  ASSERT_TRUE(sub->wait_ready(kWait));

  backend_.server().stop();
  // While Redis is down publishing drops and counts; the caller never sees an error.
  ASSERT_TRUE(eventually([&] {
    publisher->publish("live:p", "lost");
    return publisher->stats().dropped > 0 && !publisher->healthy();
  }));
  EXPECT_TRUE(eventually([&] { return !api->healthy(); }));

  backend_.server().start();
  ASSERT_TRUE(publish_until_received(*publisher, "live:p", "back", inbox));
  EXPECT_EQ(inbox.messages().front(), "back");
  EXPECT_TRUE(sub->wait_ready(kWait));
  EXPECT_TRUE(eventually([&] { return api->healthy() && publisher->healthy(); }));
}

TEST_F(RedisPubSub, SubscribingWhileRedisIsDownTakesEffectWhenItReturns) {
  auto pubsub = backend_.open();
  backend_.server().stop();
  Inbox inbox;
  auto sub = pubsub->subscribe("live:new", inbox.handler());
  EXPECT_FALSE(sub->wait_ready(300ms));
  backend_.server().start();
  ASSERT_TRUE(sub->wait_ready(kWait));
  ASSERT_TRUE(publish_until_received(*pubsub, "live:new", "hello", inbox));
}

TEST_F(RedisPubSub, OpenFailsWithAClearErrorWhenRedisIsUnreachable) {
  net::RedisOptions nowhere;
  nowhere.port = bklit::testing::free_port();
  auto result = open_redis_pub_sub(nowhere, "bklit");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "redis_unavailable");
  EXPECT_NE(result.error().message.find(std::to_string(nowhere.port)), std::string::npos);

  auto empty_prefix = open_redis_pub_sub(backend_.redis_options(), "");
  ASSERT_FALSE(empty_prefix.ok());
  EXPECT_EQ(empty_prefix.error().code, "invalid_config");
}

}  // namespace
}  // namespace bklit::realtime::testing
