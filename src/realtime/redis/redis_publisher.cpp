#include "redis/redis_publisher.hpp"

#include <algorithm>
#include <vector>

#include "bklit/core/backoff.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"

namespace bklit::realtime::detail {
namespace {

// Bounds one pipelined round trip, so a long backlog goes out in several.
constexpr std::size_t kMaxBatch = 1000;

}  // namespace

RedisPublisher::RedisPublisher(std::unique_ptr<net::RedisConnection> connection, std::string prefix,
                               std::size_t queue_capacity)
    : connection_(std::move(connection)),
      prefix_(std::move(prefix)),
      capacity_(std::max<std::size_t>(queue_capacity, 1)),
      thread_([this] {
        core::name_this_thread("bklit-live-pub");
        run();
      }) {}

RedisPublisher::~RedisPublisher() { stop(); }

void RedisPublisher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool RedisPublisher::publish(const std::string& channel, std::string message) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && up_.load() && queue_.size() < capacity_) {
      queue_.emplace_back(prefix_ + ":" + channel, std::move(message));
      cv_.notify_one();
      return true;
    }
  }
  dropped_.fetch_add(1);
  return false;
}

void RedisPublisher::run() {
  core::Backoff backoff;
  std::deque<Message> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (up_.load()) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      } else {
        cv_.wait_for(lock, backoff.failed(), [&] { return stopping_; });
      }
      if (stopping_) {
        dropped_.fetch_add(queue_.size());
        queue_.clear();
        return;
      }
      const std::size_t n = std::min(queue_.size(), kMaxBatch);
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (!up_.load()) {
      try {
        connection_->command({"PING"});
        up_.store(true);
        backoff.succeeded();
        core::log::info("pubsub: Redis publisher connection is back");
      } catch (const net::RedisError& e) {
        // Still down (reported once, when it went down); retried after a longer wait.
        core::log::debug(std::string("pubsub: Redis publisher still down: ") + e.what());
      }
    }
    if (!batch.empty()) send(batch);
    batch.clear();
  }
}

void RedisPublisher::send(std::deque<Message>& batch) {
  if (!up_.load()) {
    dropped_.fetch_add(batch.size());
    return;
  }
  std::vector<std::vector<std::string>> commands;
  commands.reserve(batch.size());
  for (auto& [channel, payload] : batch) {
    commands.push_back({"PUBLISH", std::move(channel), std::move(payload)});
  }
  try {
    auto replies = connection_->pipeline(commands);
    std::size_t errors = 0;
    const net::RedisReply* first_error = nullptr;
    for (const auto& reply : replies) {
      if (!reply.is_error()) continue;
      ++errors;
      if (first_error == nullptr) first_error = &reply;
    }
    if (first_error != nullptr) {
      dropped_.fetch_add(errors);
      core::log::warn("pubsub: Redis refused " + std::to_string(errors) +
                      " PUBLISH commands: " + first_error->str);
    }
  } catch (const net::RedisError& e) {
    // Whether some of the batch went out is unknown; count all of it as lost (at most once).
    dropped_.fetch_add(batch.size());
    lost(e.what());
  }
}

void RedisPublisher::lost(const std::string& why) {
  up_.store(false);
  core::log::warn(
      "pubsub: Redis publisher lost its connection, dropping live messages until "
      "it is back: " +
      why);
}

}  // namespace bklit::realtime::detail
