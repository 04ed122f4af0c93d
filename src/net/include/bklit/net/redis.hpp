#pragma once
// A small blocking Redis client over hiredis, for the Redis EventQueue and PubSub.
// One RedisConnection per thread (not thread-safe). It connects lazily, and after any
// I/O error closes the socket and throws RedisError; the next call reconnects, so callers
// implement backoff by retrying.

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::net {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // ACL user (Redis 6+); empty = default user
  std::string password;
  int db = 0;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};
};

// redis://[[user]:password@]host[:port][/db]; errors name what is wrong.
core::Result<RedisOptions> parse_redis_url(std::string_view url);

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

// Connection or protocol failure (not an error reply, which is returned as a kError reply).
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RedisConnection {
 public:
  explicit RedisConnection(RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command (binary-safe arguments) and returns its reply.
  RedisReply command(const std::vector<std::string_view>& args);
  RedisReply command(std::initializer_list<std::string_view> args) {
    return command(std::vector<std::string_view>(args));
  }

  // Sends every command, then reads every reply: one round trip. Replies in command order.
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);

  // Subscriber mode (after SUBSCRIBE/PSUBSCRIBE through command()): waits up to `timeout`
  // for the next pushed message; nullopt on timeout.
  std::optional<RedisReply> read_push(std::chrono::milliseconds timeout);

  bool connected() const;
  void disconnect();
  const RedisOptions& options() const { return options_; }

 private:
  struct Impl;
  RedisOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bklit::net
