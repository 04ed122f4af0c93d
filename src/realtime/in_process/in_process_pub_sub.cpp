#include "bklit/realtime/in_process_pub_sub.hpp"

#include <atomic>
#include <utility>

#include "common/dispatcher.hpp"

namespace bklit::realtime {
namespace {

class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::shared_ptr<detail::Dispatcher> dispatcher,
                        std::shared_ptr<detail::Dispatcher::Entry> entry)
      : dispatcher_(std::move(dispatcher)), entry_(std::move(entry)) {}
  ~InProcessSubscription() override { dispatcher_->remove(entry_); }

  // Registered in the same process as every publisher: nothing to wait for.
  bool wait_ready(std::chrono::milliseconds /*timeout*/) override { return true; }

 private:
  std::shared_ptr<detail::Dispatcher> dispatcher_;
  std::shared_ptr<detail::Dispatcher::Entry> entry_;
};

class InProcessPubSub final : public PubSub {
 public:
  explicit InProcessPubSub(const PubSubOptions& options)
      : dispatcher_(std::make_shared<detail::Dispatcher>(options.queue_capacity)) {}
  ~InProcessPubSub() override { dispatcher_->stop(); }

  void publish(const std::string& channel, std::string message) override {
    published_.fetch_add(1);
    dispatcher_->enqueue(channel, std::move(message));
  }

  std::unique_ptr<Subscription> subscribe(const std::string& channel, Handler handler) override {
    auto entry = dispatcher_->add(channel, std::move(handler));
    return std::make_unique<InProcessSubscription>(dispatcher_, std::move(entry));
  }

  bool has_subscribers() const override { return dispatcher_->has_entries(); }

  bool healthy() const override { return true; }

  PubSubStats stats() const override {
    return {published_.load(), dispatcher_->delivered(), dispatcher_->dropped()};
  }

 private:
  // Shared with the subscriptions, which may outlive this object.
  std::shared_ptr<detail::Dispatcher> dispatcher_;
  std::atomic<std::uint64_t> published_{0};
};

}  // namespace

std::unique_ptr<PubSub> make_in_process_pub_sub(const PubSubOptions& options) {
  return std::make_unique<InProcessPubSub>(options);
}

}  // namespace bklit::realtime
