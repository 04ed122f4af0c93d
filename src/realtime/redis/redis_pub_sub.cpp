#include "bklit/realtime/redis_pub_sub.hpp"

#include <atomic>
#include <utility>

#include "common/dispatcher.hpp"
#include "redis/redis_publisher.hpp"
#include "redis/redis_subscriber.hpp"

namespace bklit::realtime {
namespace {

class RedisSubscription final : public Subscription {
 public:
  RedisSubscription(std::shared_ptr<detail::Dispatcher> dispatcher,
                    std::shared_ptr<detail::RedisSubscriber> subscriber,
                    std::shared_ptr<detail::Dispatcher::Entry> entry)
      : dispatcher_(std::move(dispatcher)),
        subscriber_(std::move(subscriber)),
        entry_(std::move(entry)),
        channels_version_(dispatcher_->channels_version()) {}
  ~RedisSubscription() override { dispatcher_->remove(entry_); }

  bool wait_ready(std::chrono::milliseconds timeout) override {
    return subscriber_->wait_ready(entry_->channel, channels_version_, timeout);
  }

 private:
  std::shared_ptr<detail::Dispatcher> dispatcher_;
  std::shared_ptr<detail::RedisSubscriber> subscriber_;
  std::shared_ptr<detail::Dispatcher::Entry> entry_;
  // The dispatcher's channel set as of this subscription: ready needs Redis to have seen it.
  std::uint64_t channels_version_;
};

class RedisPubSub final : public PubSub {
 public:
  RedisPubSub(const net::RedisOptions& redis, std::unique_ptr<net::RedisConnection> publisher,
              const std::string& prefix, const PubSubOptions& options)
      : dispatcher_(std::make_shared<detail::Dispatcher>(options.queue_capacity)),
        publisher_(std::move(publisher), prefix, options.queue_capacity),
        subscriber_(std::make_shared<detail::RedisSubscriber>(redis, prefix, dispatcher_)) {}

  ~RedisPubSub() override {
    // Subscriber first: it feeds the dispatcher.
    subscriber_->stop();
    publisher_.stop();
    dispatcher_->stop();
  }

  void publish(const std::string& channel, std::string message) override {
    published_.fetch_add(1);
    publisher_.publish(channel, std::move(message));
  }

  std::unique_ptr<Subscription> subscribe(const std::string& channel, Handler handler) override {
    auto entry = dispatcher_->add(channel, std::move(handler));
    return std::make_unique<RedisSubscription>(dispatcher_, subscriber_, std::move(entry));
  }

  bool healthy() const override { return publisher_.healthy() && subscriber_->healthy(); }

  PubSubStats stats() const override {
    return {published_.load(), dispatcher_->delivered(),
            publisher_.dropped() + dispatcher_->dropped()};
  }

 private:
  // Shared with the subscriptions, which may outlive this object.
  std::shared_ptr<detail::Dispatcher> dispatcher_;
  detail::RedisPublisher publisher_;
  std::shared_ptr<detail::RedisSubscriber> subscriber_;
  std::atomic<std::uint64_t> published_{0};
};

}  // namespace

core::Result<std::unique_ptr<PubSub>> open_redis_pub_sub(const net::RedisOptions& redis,
                                                         const std::string& prefix,
                                                         const PubSubOptions& options) {
  if (prefix.empty()) {
    return core::make_error("invalid_config", "The Redis pub/sub channel prefix is empty.");
  }
  auto publisher = std::make_unique<net::RedisConnection>(redis);
  try {
    net::RedisReply reply = publisher->command({"PING"});
    if (reply.is_error()) {
      return core::make_error("redis_unavailable",
                              "Redis at " + redis.host + ":" + std::to_string(redis.port) +
                                  " refused PING: " + reply.str,
                              503);
    }
  } catch (const net::RedisError& e) {
    return core::make_error(
        "redis_unavailable",
        "Cannot reach Redis at " + redis.host + ":" + std::to_string(redis.port) + ": " + e.what(),
        503);
  }
  return std::unique_ptr<PubSub>(
      std::make_unique<RedisPubSub>(redis, std::move(publisher), prefix, options));
}

}  // namespace bklit::realtime
