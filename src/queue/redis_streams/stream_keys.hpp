#pragma once
// Key names, shard choice, stream id <-> seq mapping and reply parsing helpers shared by
// the Redis Streams queue's threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bklit/net/redis.hpp"

namespace bklit::queue::redis_streams {

struct Keys {
  std::string prefix;

  std::string shards() const { return prefix + ":shards"; }
  std::string stream(std::uint32_t shard) const {
    return prefix + ":events:" + std::to_string(shard);
  }
  std::string owner(std::uint32_t shard) const {
    return prefix + ":owner:" + std::to_string(shard);
  }
  std::string consumers() const { return prefix + ":consumers"; }
  std::string dead_letters() const { return prefix + ":dead-letters"; }
};

// FNV-1a 64 of project_id '\0' session_id, modulo shards; 0 for records that do not parse.
std::uint32_t shard_of(std::string_view payload, std::uint32_t shards);

inline constexpr unsigned kSeqBits = 20;

// "ms-n" -> (ms << 20) | n; nullopt when malformed or n >= 2^20 or ms >= 2^44.
std::optional<std::uint64_t> seq_of_stream_id(std::string_view id);
std::string stream_id_of_seq(std::uint64_t seq);
// The id right after `id` ("ms-(n+1)"), for XTRIM MINID past an entry.
std::optional<std::string> next_stream_id(std::string_view id);

// Field `name` of a flat [name, value, ...] reply (XINFO); nullptr when absent.
const net::RedisReply* field(const net::RedisReply& map, std::string_view name);

// XGROUP CREATE <stream> <group> 0 MKSTREAM on every shard (BUSYGROUP is fine). Throws
// net::RedisError when Redis is unreachable, std::runtime_error on another error reply.
void create_groups(net::RedisConnection& conn, const Keys& keys, const std::string& group,
                   std::uint32_t shards);

// Lua: renew the lease KEYS[1] for ARGV[2] ms if ARGV[1] holds it; 1 if renewed, else 0.
inline constexpr std::string_view kRenewScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// Lua: delete the lease KEYS[1] if ARGV[1] holds it; 1 if deleted, else 0.
inline constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";
// Lua: heartbeat ARGV[1] in the ZSET KEYS[1] with the server clock (so hosts' clocks need
// not agree), forget consumers silent for ARGV[2] ms, return how many are live.
inline constexpr std::string_view kHeartbeatScript =
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "
    "redis.call('ZADD', KEYS[1], now, ARGV[1]) "
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2])) "
    "return redis.call('ZCARD', KEYS[1])";

}  // namespace bklit::queue::redis_streams
