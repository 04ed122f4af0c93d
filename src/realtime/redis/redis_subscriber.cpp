#include "redis/redis_subscriber.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "bklit/core/backoff.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"

namespace bklit::realtime::detail {
namespace {

// How long the thread waits for a pushed message before looking for new local subscriptions:
// the delay between subscribe() and the SUBSCRIBE leaving for Redis.
constexpr std::chrono::milliseconds kPoll{20};
// Bounds the pushes read before sending a command, so a busy channel cannot starve it.
constexpr int kMaxDrain = 1000;

}  // namespace

RedisSubscriber::RedisSubscriber(const net::RedisOptions& options, std::string prefix,
                                 std::shared_ptr<Dispatcher> dispatcher)
    : connection_(std::make_unique<net::RedisConnection>(options)),
      prefix_(std::move(prefix) + ":"),
      dispatcher_(std::move(dispatcher)),
      thread_([this] {
        core::name_this_thread("bklit-live-sub");
        run();
      }) {}

RedisSubscriber::~RedisSubscriber() { stop(); }

void RedisSubscriber::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RedisSubscriber::wait_ready(const std::string& channel, std::uint64_t channels_version,
                                 std::chrono::milliseconds timeout) {
  const std::string full = prefix_ + channel;
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout,
                      [&] { return !stopping_ && is_ready(full, channels_version); });
}

bool RedisSubscriber::is_ready(const std::string& full_channel,
                               std::uint64_t channels_version) const {
  if (!has_reconciled_ || reconciled_version_ < channels_version) return false;
  auto it = channels_.find(full_channel);
  return it != channels_.end() && it->second.subscribed && it->second.pending == 0;
}

void RedisSubscriber::run() {
  core::Backoff backoff;
  std::uint64_t seen_version = 0;
  bool reconcile_needed = true;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    try {
      const std::uint64_t version = dispatcher_->channels_version();
      if (reconcile_needed || version != seen_version) {
        reconcile();
        seen_version = version;
        reconcile_needed = false;
        {
          std::lock_guard lock(mu_);
          reconciled_version_ = version;
          has_reconciled_ = true;
        }
        cv_.notify_all();
      }
      if (requested_.empty()) {
        // Not in subscribe mode: nothing can arrive, only new local subscriptions.
        up_.store(true);
        sleep(kPoll);
        continue;
      }
      if (auto push = connection_->read_push(kPoll)) handle(*push);
      if (!up_.exchange(true)) core::log::info("pubsub: Redis subscriber connection is back");
      backoff.succeeded();
    } catch (const net::RedisError& e) {
      lost(e.what());
      reconcile_needed = true;
      sleep(backoff.failed());
    }
  }
}

void RedisSubscriber::reconcile() {
  std::vector<std::string> wanted;
  for (const auto& channel : dispatcher_->channels()) wanted.push_back(prefix_ + channel);
  std::sort(wanted.begin(), wanted.end());

  std::vector<std::string> to_subscribe;
  std::set_difference(wanted.begin(), wanted.end(), requested_.begin(), requested_.end(),
                      std::back_inserter(to_subscribe));
  std::vector<std::string> to_unsubscribe;
  std::set_difference(requested_.begin(), requested_.end(), wanted.begin(), wanted.end(),
                      std::back_inserter(to_unsubscribe));

  // One command per direction; Redis answers with one confirmation per channel, the first
  // as the command's reply and the rest among the pushed messages.
  auto send = [&](std::string_view verb, const std::vector<std::string>& channels) {
    if (channels.empty()) return;
    {
      std::lock_guard lock(mu_);
      for (const auto& channel : channels) ++channels_[channel].pending;
    }
    // hiredis answers a command with a reply already sitting in its read buffer, without
    // flushing the command, which would then wait for unrelated traffic: empty it first.
    for (int i = 0; i < kMaxDrain && connection_->connected(); ++i) {
      auto push = connection_->read_push(std::chrono::milliseconds(0));
      if (!push) break;
      handle(*push);
    }
    std::vector<std::string_view> args{verb};
    args.insert(args.end(), channels.begin(), channels.end());
    net::RedisReply reply = connection_->command(args);
    handle(reply);
  };
  for (const auto& channel : to_subscribe) requested_.insert(channel);
  for (const auto& channel : to_unsubscribe) requested_.erase(channel);
  send("SUBSCRIBE", to_subscribe);
  send("UNSUBSCRIBE", to_unsubscribe);
}

void RedisSubscriber::handle(const net::RedisReply& reply) {
  if (reply.is_error()) {
    core::log::warn("pubsub: Redis subscriber got an error reply: " + reply.str);
    return;
  }
  if (reply.type != net::RedisReply::Type::kArray || reply.elements.size() < 3) return;
  const std::string& kind = reply.elements[0].str;
  const std::string& channel = reply.elements[1].str;
  if (kind == "message") {
    if (channel.size() < prefix_.size() || channel.compare(0, prefix_.size(), prefix_) != 0) {
      return;
    }
    dispatcher_->enqueue(channel.substr(prefix_.size()), reply.elements[2].str);
    return;
  }
  if (kind != "subscribe" && kind != "unsubscribe") return;
  {
    std::lock_guard lock(mu_);
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;  // confirmation from before a reconnect
    ChannelState& state = it->second;
    state.pending = std::max(0, state.pending - 1);
    state.subscribed = kind == "subscribe";
    if (!state.subscribed && state.pending == 0) channels_.erase(it);
  }
  cv_.notify_all();
}

void RedisSubscriber::lost(const std::string& why) {
  if (up_.exchange(false)) {
    core::log::warn(
        "pubsub: Redis subscriber lost its connection, live messages are lost "
        "until it is back: " +
        why);
  }
  connection_->disconnect();
  requested_.clear();
  std::lock_guard lock(mu_);
  channels_.clear();
}

void RedisSubscriber::sleep(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [&] { return stopping_; });
}

}  // namespace bklit::realtime::detail
