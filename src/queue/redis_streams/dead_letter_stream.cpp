// Dead letters of the Redis Streams queue: the stream <prefix>:dead-letters, one entry per
// letter with fields shard, seq, size, reason and p (the record). The entry id gives the time
// (Redis server clock), so hosts' clocks need not agree.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ranges>
#include <set>
#include <stdexcept>
#include <utility>

#include "redis_streams/redis_streams_queue.hpp"

namespace bklit::queue {
namespace redis_streams {
namespace {

template <typename T>
T number_field(const net::RedisReply& fields, std::string_view name) {
  T value{};
  const net::RedisReply* f = field(fields, name);
  if (f != nullptr) std::from_chars(f->str.data(), f->str.data() + f->str.size(), value);
  return value;
}

std::string text_field(const net::RedisReply& fields, std::string_view name) {
  const net::RedisReply* f = field(fields, name);
  return f != nullptr ? f->str : std::string();
}

// The newest `limit` entries, oldest first, each shard/seq once. Throws on failure.
std::vector<DeadLetter> list_dead_letters(net::RedisConnection& conn, const Keys& keys,
                                          std::size_t limit) {
  std::vector<DeadLetter> out;
  if (limit == 0) return out;
  const std::string count = std::to_string(limit);
  auto reply = conn.command({"XREVRANGE", keys.dead_letters(), "+", "-", "COUNT", count});
  if (reply.is_error()) throw std::runtime_error("XREVRANGE failed: " + reply.str);
  for (const net::RedisReply& entry : std::views::reverse(reply.elements)) {
    if (entry.elements.size() != 2) continue;
    const std::string& id = entry.elements[0].str;
    const net::RedisReply& fields = entry.elements[1];
    DeadLetter letter;
    std::from_chars(id.data(), id.data() + id.size(), letter.time_ms);
    letter.shard = number_field<std::uint32_t>(fields, "shard");
    letter.seq = number_field<std::uint64_t>(fields, "seq");
    letter.size = number_field<std::uint64_t>(fields, "size");
    letter.reason = text_field(fields, "reason");
    letter.payload = text_field(fields, "p");
    out.push_back(std::move(letter));
  }
  std::set<std::pair<std::uint32_t, std::uint64_t>> seen;
  std::erase_if(out, [&](const DeadLetter& l) { return !seen.emplace(l.shard, l.seq).second; });
  return out;
}

}  // namespace

void RedisStreamsQueue::dead_letter(std::vector<DeadLetter> letters) {
  if (letters.empty()) return;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(letters.size());
  for (DeadLetter& l : letters) {
    commands.push_back({"XADD", keys_.dead_letters(), "*", "shard", std::to_string(l.shard), "seq",
                        std::to_string(l.seq), "size", std::to_string(l.payload.size()), "reason",
                        std::move(l.reason), "p", std::move(l.payload)});
  }
  std::lock_guard lock(ack_mu_);
  // RedisError propagates: the worker retries, and acks only once this returned.
  auto replies = ack_conn_.pipeline(commands);
  for (const auto& reply : replies) {
    if (reply.is_error()) throw std::runtime_error("queue: dead letter XADD failed: " + reply.str);
  }
}

std::vector<DeadLetter> RedisStreamsQueue::dead_letters(std::size_t limit) const {
  net::RedisConnection conn(options_.redis);
  return list_dead_letters(conn, keys_, limit);
}

}  // namespace redis_streams

core::Result<std::vector<DeadLetter>> read_redis_dead_letters(const RedisStreamsOptions& options,
                                                              std::size_t limit) {
  try {
    net::RedisConnection conn(options.redis);
    return redis_streams::list_dead_letters(conn, redis_streams::Keys{options.key_prefix}, limit);
  } catch (const std::exception& e) {
    return core::make_error("queue_unavailable",
                            fmt::format("cannot read dead letters from Redis at {}:{}: {}",
                                        options.redis.host, options.redis.port, e.what()),
                            503);
  }
}

}  // namespace bklit::queue
