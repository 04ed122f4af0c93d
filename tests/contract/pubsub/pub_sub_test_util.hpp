#pragma once
// Helpers of the PubSub contract suite: an inbox that records what a handler received, and the
// two backends behind one factory.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bklit/realtime/in_process_pub_sub.hpp"
#include "bklit/realtime/pub_sub.hpp"
#include "bklit/realtime/redis_pub_sub.hpp"
#include "server_process.hpp"

namespace bklit::realtime::testing {

using namespace std::chrono_literals;

// Generous: these bound a failure, not a measurement.
constexpr auto kWait = 20s;

struct Received {
  std::string channel;
  std::string message;
  bool operator==(const Received&) const = default;
};

class Inbox {
 public:
  PubSub::Handler handler() {
    return [this](const std::string& channel, const std::string& message) {
      {
        std::lock_guard lock(mu_);
        received_.push_back({channel, message});
      }
      cv_.notify_all();
    };
  }

  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& r : received_) out.push_back(r.message);
    return out;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return received_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Received> received_;
};

// Polls `condition` until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = kWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class Backend {
 public:
  virtual ~Backend() = default;
  // Every PubSub opened by one backend shares its channels (on Redis: like separate processes).
  virtual std::unique_ptr<PubSub> open(const PubSubOptions& options = {}) = 0;
};

class InProcessBackend final : public Backend {
 public:
  std::unique_ptr<PubSub> open(const PubSubOptions& options = {}) override {
    return make_in_process_pub_sub(options);
  }
};

class RedisBackend final : public Backend {
 public:
  std::unique_ptr<PubSub> open(const PubSubOptions& options = {}) override {
    return open_with_prefix("contract", options);
  }
  std::unique_ptr<PubSub> open_with_prefix(const std::string& prefix,
                                           const PubSubOptions& options = {}) {
    auto result = open_redis_pub_sub(redis_options(), prefix, options);
    if (!result.ok()) throw std::runtime_error(result.error().message);
    return std::move(result).value();
  }
  net::RedisOptions redis_options() const {
    net::RedisOptions options;
    options.port = server_.port();
    return options;
  }
  bklit::testing::RedisServer& server() { return server_; }

 private:
  bklit::testing::RedisServer server_;
};

}  // namespace bklit::realtime::testing
