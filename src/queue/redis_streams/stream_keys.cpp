#include "redis_streams/stream_keys.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/core/hash.hpp"

namespace bklit::queue::redis_streams {

namespace {

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

struct StreamId {
  std::uint64_t ms = 0;
  std::uint64_t n = 0;
};

std::optional<StreamId> parse_stream_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  StreamId out;
  if (!parse_u64(id.substr(0, dash), out.ms) || !parse_u64(id.substr(dash + 1), out.n)) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::uint32_t shard_of(std::string_view payload, std::uint32_t shards) {
  auto key = core::peek_session_key(payload);
  if (!key || shards <= 1) return 0;
  std::uint64_t h = core::fnv1a(key->project_id);
  h = core::fnv1a(h, std::string_view("\0", 1));
  h = core::fnv1a(h, key->session_id);
  return static_cast<std::uint32_t>(h % shards);
}

std::optional<std::uint64_t> seq_of_stream_id(std::string_view id) {
  auto parsed = parse_stream_id(id);
  if (!parsed || parsed->n >= (std::uint64_t{1} << kSeqBits) ||
      parsed->ms >= (std::uint64_t{1} << (64 - kSeqBits))) {
    return std::nullopt;
  }
  return (parsed->ms << kSeqBits) | parsed->n;
}

std::string stream_id_of_seq(std::uint64_t seq) {
  return std::to_string(seq >> kSeqBits) + "-" +
         std::to_string(seq & ((std::uint64_t{1} << kSeqBits) - 1));
}

std::optional<std::string> next_stream_id(std::string_view id) {
  auto parsed = parse_stream_id(id);
  if (!parsed) return std::nullopt;
  if (parsed->n == UINT64_MAX) return std::to_string(parsed->ms + 1) + "-0";
  return std::to_string(parsed->ms) + "-" + std::to_string(parsed->n + 1);
}

const net::RedisReply* field(const net::RedisReply& map, std::string_view name) {
  for (std::size_t i = 0; i + 1 < map.elements.size(); i += 2) {
    if (map.elements[i].str == name) return &map.elements[i + 1];
  }
  return nullptr;
}

void create_groups(net::RedisConnection& conn, const Keys& keys, const std::string& group,
                   std::uint32_t shards) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(shards);
  for (std::uint32_t s = 0; s < shards; ++s) {
    commands.push_back({"XGROUP", "CREATE", keys.stream(s), group, "0", "MKSTREAM"});
  }
  auto replies = conn.pipeline(commands);
  for (const auto& reply : replies) {
    if (reply.is_error() && reply.str.rfind("BUSYGROUP", 0) != 0) {
      throw std::runtime_error("XGROUP CREATE failed: " + reply.str);
    }
  }
}

}  // namespace bklit::queue::redis_streams
