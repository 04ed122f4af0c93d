// Opening the Redis Streams queue, the append side and close.
#include "redis_streams/redis_streams_queue.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <random>
#include <thread>
#include <utility>

#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"

namespace bklit::queue {

namespace {

std::string default_consumer_name() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return fmt::format("{}-{}-{:08x}", host[0] != '\0' ? host.data() : "host", ::getpid(), rd());
}

core::Error unavailable(const net::RedisOptions& redis, const std::string& detail) {
  return core::make_error(
      "queue_unavailable",
      fmt::format("cannot use the Redis queue at {}:{}: {}", redis.host, redis.port, detail), 503);
}

}  // namespace

core::Result<std::unique_ptr<EventQueue>> open_redis_streams(const RedisStreamsOptions& options) {
  auto invalid = [](const std::string& message) {
    return core::make_error("invalid_options", message);
  };
  if (options.shards == 0 || options.shards > 4096) return invalid("queue shards must be 1..4096");
  if (options.key_prefix.empty()) return invalid("queue key prefix must not be empty");
  if (options.group.empty()) return invalid("queue consumer group name must not be empty");
  if (options.lease_ttl < std::chrono::milliseconds(100)) {
    return invalid("queue lease ttl must be at least 100 ms");
  }
  if (options.claim_idle.count() < 0) return invalid("queue claim idle time must not be negative");
  if (options.trim_interval.count() <= 0 || options.stats_interval.count() <= 0) {
    return invalid("queue trim and stats intervals must be positive");
  }

  RedisStreamsOptions resolved = options;
  if (resolved.consumer.empty()) resolved.consumer = default_consumer_name();
  redis_streams::Keys keys{resolved.key_prefix};
  const std::string shards = std::to_string(resolved.shards);
  try {
    net::RedisConnection conn(resolved.redis);
    auto set = conn.command({"SET", keys.shards(), shards, "NX"});
    // A Redis that just restarted answers LOADING while it replays its AOF: wait for it.
    for (int i = 0; i < 300 && set.is_error() && set.str.rfind("LOADING", 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      set = conn.command({"SET", keys.shards(), shards, "NX"});
    }
    if (set.is_error()) return unavailable(resolved.redis, set.str);
    auto get = conn.command({"GET", keys.shards()});
    if (get.is_error()) return unavailable(resolved.redis, get.str);
    if (get.str != shards) {
      return core::make_error(
          "queue_config",
          fmt::format("Redis at {}:{} holds a queue of {} shards ('{}') but this process is "
                      "configured with {}; every process must use the same shard count (to "
                      "change it, drain the queue, stop every process and delete the key)",
                      resolved.redis.host, resolved.redis.port, get.str, keys.shards(), shards),
          500);
    }
    redis_streams::create_groups(conn, keys, resolved.group, resolved.shards);
  } catch (const std::exception& e) {
    return unavailable(resolved.redis, e.what());
  }
  return std::unique_ptr<EventQueue>(
      std::make_unique<redis_streams::RedisStreamsQueue>(std::move(resolved)));
}

namespace redis_streams {

namespace {

net::RedisOptions poll_connection_options(net::RedisOptions redis) {
  redis.command_timeout = std::max(redis.command_timeout, kPollSlice + std::chrono::seconds(2));
  return redis;
}

// Lease work must not wait on a dead Redis for longer than a lease lives.
net::RedisOptions maintenance_connection_options(net::RedisOptions redis,
                                                 std::chrono::milliseconds lease_ttl) {
  auto cap = std::max(std::chrono::milliseconds(50), lease_ttl / 3);
  redis.command_timeout = std::min(redis.command_timeout, cap);
  redis.connect_timeout = std::min(redis.connect_timeout, cap);
  return redis;
}

}  // namespace

RedisStreamsQueue::RedisStreamsQueue(RedisStreamsOptions options)
    : options_(std::move(options)),
      keys_{options_.key_prefix},
      poll_conn_(poll_connection_options(options_.redis)),
      ack_conn_(options_.redis),
      maint_conn_(maintenance_connection_options(options_.redis, options_.lease_ttl)),
      slots_(options_.shards) {
  StreamAppender::Hooks hooks;
  hooks.backlog_bytes = [this] { return backlog_bytes_.load(); };
  hooks.on_result = [this](bool reachable, std::uint64_t bytes, std::size_t records) {
    healthy_.store(reachable);
    if (reachable) {
      backlog_bytes_.fetch_add(bytes);
      seen_bytes_.fetch_add(bytes);
      seen_records_.fetch_add(records);
    }
  };
  appender_ = std::make_unique<StreamAppender>(options_.redis, keys_, options_.shards,
                                               options_.max_backlog_bytes,
                                               options_.max_pending_bytes, std::move(hooks));
  maintenance_ = std::thread([this] {
    core::name_this_thread("bklit-rs-maint");
    maintenance_loop();
  });
}

RedisStreamsQueue::~RedisStreamsQueue() { close(); }

void RedisStreamsQueue::append(std::vector<std::string> payloads, AppendCallback done) {
  appender_->append(std::move(payloads), std::move(done));
}

void RedisStreamsQueue::on_shard_change(ShardChangeFn fn) {
  std::lock_guard lock(poll_mu_);
  shard_change_ = std::move(fn);
}

std::uint64_t RedisStreamsQueue::backlog_bytes() const { return backlog_bytes_.load(); }

bool RedisStreamsQueue::healthy() const {
  std::lock_guard lock(mu_);
  return !closed_ && healthy_.load();
}

void RedisStreamsQueue::close() {
  std::lock_guard close_lock(close_mu_);
  appender_->close();
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  cv_.notify_all();
  maint_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  release_all_on_close();
}

void RedisStreamsQueue::note_redis(bool reachable, const char* what, const std::string& error) {
  healthy_.store(reachable);
  if (!reachable && !maint_failing_) {
    core::log::error(fmt::format("queue: {} failed: {}", what, error));
  } else if (reachable && maint_failing_) {
    core::log::info("queue: Redis is reachable again");
  }
  maint_failing_ = !reachable;
}

}  // namespace redis_streams
}  // namespace bklit::queue
