#include "dead_letters_command.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <iostream>
#include <string_view>
#include <vector>

#include "bklit/core/clock.hpp"
#include "bklit/core/config.hpp"
#include "bklit/net/redis.hpp"
#include "bklit/queue/local_log.hpp"
#include "bklit/queue/redis_streams.hpp"
#include "data_layout.hpp"

namespace bklit::cli {

namespace {

constexpr std::size_t kPreviewBytes = 64;

// Printable ASCII as is, everything else as \xNN, so a preview is one safe terminal line.
std::string escaped(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string preview(const queue::DeadLetter& l) {
  std::string p = escaped(std::string_view(l.payload).substr(0, kPreviewBytes));
  if (l.size > kPreviewBytes) p += "...";
  return p;
}

boost::json::object to_json(const queue::DeadLetter& l) {
  boost::json::object o;
  o["time"] = core::format_iso8601_ms(l.time_ms);
  o["time_ms"] = l.time_ms;
  o["shard"] = l.shard;
  o["seq"] = l.seq;
  o["size"] = l.size;
  o["reason"] = l.reason;
  o["preview"] = preview(l);
  o["payload_hex"] = hex(l.payload);
  return o;
}

void print(const std::vector<queue::DeadLetter>& letters, const std::string& queue,
           const std::string& where, std::size_t limit, bool json) {
  if (json) {
    boost::json::array list;
    for (const auto& l : letters) list.push_back(to_json(l));
    boost::json::object out;
    out["queue"] = queue;
    out["location"] = where;
    out["dead_letters"] = std::move(list);
    std::cout << boost::json::serialize(out) << std::endl;
    return;
  }
  if (letters.empty()) {
    std::cout << "No dead letters in the " << queue << " queue (" << where << ").\n";
    return;
  }
  std::cout << letters.size() << " dead letter" << (letters.size() == 1 ? "" : "s") << " in the "
            << queue << " queue (" << where << ")"
            << (letters.size() == limit ? fmt::format(", the newest {}", limit) : "")
            << ", oldest first:\n";
  for (const auto& l : letters) {
    std::cout << fmt::format("{}  shard {}  seq {}  {} bytes  {}\n    {}\n",
                             core::format_iso8601_ms(l.time_ms), l.shard, l.seq, l.size, l.reason,
                             preview(l));
  }
}

}  // namespace

void add_dead_letters_command(CLI::App& admin, DeadLettersArgs& args) {
  auto* cmd = admin.add_subcommand(
      "dead-letters", "List queue records set aside because they do not decode (newest last)");
  cmd->add_option("--config", args.config_file, "TOML configuration file of the server");
  auto setting = [&](const char* flag, const char* name, const char* help) {
    cmd->add_option_function<std::string>(
        flag, [&args, name](const std::string& v) { args.settings[name] = v; }, help);
  };
  setting("--data-dir", "data_dir", "Data directory of the local queue (env BKLIT_DATA_DIR)");
  setting("--queue", "queue", "Queue backend: local or redis (env BKLIT_QUEUE)");
  setting("--redis-url", "redis_url", "Redis of the queue = redis backend (env BKLIT_REDIS_URL)");
  setting("--redis-prefix", "redis_prefix", "Key prefix in Redis (env BKLIT_REDIS_PREFIX)");
  cmd->add_option("--limit", args.limit, "Show at most this many, the newest")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  cmd->add_flag("--json", args.json, "Print one JSON object (payloads in hex)");
}

int run_dead_letters(const DeadLettersArgs& args) {
  auto config = core::load_config(args.config_file, args.settings, environ);
  if (!config) {
    std::cerr << "error: " << config.error().message << "\n";
    return 2;
  }
  if (config->queue == "redis") {
    auto redis = net::parse_redis_url(config->redis_url);
    if (!redis) {
      std::cerr << "error: setting 'redis_url': " << redis.error().message << "\n";
      return 2;
    }
    redis->command_timeout = std::chrono::milliseconds(config->redis_timeout_ms);
    queue::RedisStreamsOptions o;
    o.redis = *redis;
    o.key_prefix = config->redis_prefix;
    auto letters = queue::read_redis_dead_letters(o, args.limit);
    if (!letters) {
      std::cerr << "error: " << letters.error().message << "\n";
      return 1;
    }
    print(*letters, "redis",
          fmt::format("{}:{} key {}:dead-letters", redis->host, redis->port, config->redis_prefix),
          args.limit, args.json);
    return 0;
  }
  const std::string dir = queue_dir(config->data_dir);
  auto letters = queue::read_local_log_dead_letters(dir, args.limit);
  if (!letters) {
    std::cerr << "error: " << letters.error().message << "\n";
    return 1;
  }
  print(*letters, "local", dir, args.limit, args.json);
  return 0;
}

}  // namespace bklit::cli
