#include "backends.hpp"

#include <fmt/format.h>

#include "bklit/net/redis.hpp"
#include "bklit/queue/local_log.hpp"
#include "bklit/queue/redis_streams.hpp"
#include "bklit/realtime/in_process_pub_sub.hpp"
#include "bklit/realtime/redis_pub_sub.hpp"
#include "bklit/store/chdb_store.hpp"
#include "bklit/store/clickhouse_http_store.hpp"
#include "bklit/store/schema.hpp"
#include "data_layout.hpp"

namespace bklit::cli {

namespace {

core::Result<net::RedisOptions> redis_options(const core::Config& c) {
  auto redis = net::parse_redis_url(c.redis_url);
  if (!redis) {
    return core::make_error("bad_config", "setting 'redis_url': " + redis.error().message);
  }
  redis->command_timeout = std::chrono::milliseconds(c.redis_timeout_ms);
  return redis;
}

}  // namespace

core::Result<std::unique_ptr<queue::EventQueue>> open_event_queue(const core::Config& c) {
  if (c.queue == "redis") {
    auto redis = redis_options(c);
    if (!redis) return redis.error();
    queue::RedisStreamsOptions o;
    o.redis = *redis;
    o.key_prefix = c.redis_prefix;
    o.shards = c.queue_shards;
    o.claim_idle = std::chrono::milliseconds(c.queue_claim_idle_ms);
    o.lease_ttl = std::chrono::milliseconds(c.queue_lease_ms);
    o.max_backlog_bytes = c.queue_max_backlog_bytes;
    return queue::open_redis_streams(o);
  }
  queue::LocalLogOptions o;
  o.dir = queue_dir(c.data_dir);
  o.segment_bytes = c.queue_segment_bytes;
  o.group_commit_window = std::chrono::microseconds(c.queue_group_commit_us);
  o.max_backlog_bytes = c.queue_max_backlog_bytes;
  return queue::open_local_log(o);
}

core::Result<std::unique_ptr<store::AnalyticsStore>> open_analytics_store(const core::Config& c) {
  core::Result<std::unique_ptr<store::AnalyticsStore>> opened =
      core::make_error("startup", "not opened");
  if (c.analytics == "clickhouse") {
    store::ClickHouseHttpOptions o;
    o.url = c.clickhouse_url;
    o.user = c.clickhouse_user;
    o.password = c.clickhouse_password;
    o.database = c.clickhouse_database;
    o.request_timeout = std::chrono::milliseconds(c.clickhouse_timeout_ms);
    o.compress = c.clickhouse_compress;
    o.ca_file = c.clickhouse_ca_file;
    o.verify = c.clickhouse_tls_verify;
    opened = store::open_clickhouse_http_store(o);
  } else {
    opened = store::open_chdb_store(analytics_dir(c.data_dir), c.chdb_library);
  }
  if (!opened) return opened;
  try {
    store::apply_migrations(**opened);
  } catch (const std::exception& e) {
    return core::make_error("startup", std::string("schema migration failed: ") + e.what());
  }
  return opened;
}

core::Result<std::unique_ptr<realtime::PubSub>> open_pub_sub(const core::Config& c) {
  if (c.pubsub == "redis") {
    auto redis = redis_options(c);
    if (!redis) return redis.error();
    return realtime::open_redis_pub_sub(*redis, c.redis_prefix);
  }
  return realtime::make_in_process_pub_sub();
}

}  // namespace bklit::cli
