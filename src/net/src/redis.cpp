#include "bklit/net/redis.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <utility>

#include "bklit/core/url.hpp"

namespace bklit::net {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  if (r == nullptr) return out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

int parse_int(std::string_view s, int min, int max) {
  int v = -1;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return -1;
  return v;
}

}  // namespace

core::Result<RedisOptions> parse_redis_url(std::string_view url) {
  auto bad = [](std::string message) {
    return core::make_error("invalid_redis_url", std::move(message));
  };
  const core::UrlParts parts = core::split_url(url);
  if (parts.scheme != "redis" || !parts.authority) {
    return bad("Redis URL must start with redis:// (TLS rediss:// is not supported)");
  }
  RedisOptions options;
  // Path: optional database number.
  if (std::string_view db = parts.path; db.size() > 1) {
    db.remove_prefix(1);
    int n = parse_int(db, 0, 1 << 20);
    if (n < 0) {
      return bad("Redis URL database must be a non-negative number, got '" + std::string(db) + "'");
    }
    options.db = n;
  }
  auto authority = core::parse_authority(*parts.authority);
  if (!authority) return bad("Redis URL " + authority.error().message);
  if (authority->has_password) {
    options.username = std::move(authority->user);
    options.password = std::move(authority->password);
  } else if (authority->has_userinfo) {
    // redis://secret@host is the common shorthand for a password without user.
    options.password = std::move(authority->user);
  }
  options.host = std::string(authority->host.address());
  if (authority->has_port) {
    if (!authority->port) return bad("Redis URL has an empty port");
    options.port = *authority->port;
  }
  return options;
}

struct RedisConnection::Impl {
  redisContext* ctx = nullptr;

  ~Impl() { close(); }
  void close() {
    if (ctx != nullptr) redisFree(ctx);
    ctx = nullptr;
  }
  void ensure_connected(const RedisOptions& options);
  [[noreturn]] void fail(const RedisOptions& options, const std::string& what);
};

RedisConnection::RedisConnection(RedisOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

RedisConnection::~RedisConnection() = default;

bool RedisConnection::connected() const { return impl_->ctx != nullptr; }

void RedisConnection::disconnect() { impl_->close(); }

// Closes the connection and throws: after an I/O error the stream position is unknown.
void RedisConnection::Impl::fail(const RedisOptions& options, const std::string& what) {
  std::string detail = ctx != nullptr && ctx->errstr[0] != '\0' ? std::string(ctx->errstr)
                                                                : std::string("connection lost");
  close();
  throw RedisError("redis " + options.host + ":" + std::to_string(options.port) + ": " + what +
                   ": " + detail);
}

namespace {

// Runs one command on a fresh context during the handshake; throws on an error reply.
void handshake_command(redisContext* ctx, const std::vector<std::string>& args,
                       const std::string& what) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) throw RedisError(what + ": " + ctx->errstr);
  if (reply->type == REDIS_REPLY_ERROR) {
    throw RedisError(what + ": " + std::string(reply->str, reply->len));
  }
}

}  // namespace

namespace {

// True when the server closed this idle connection (restart, idle timeout): the socket
// reads as end-of-file or has an error pending. Found before a command is sent, such a
// connection is replaced at no risk; found after, the command's fate would be unknown.
// Subscriber connections may hold pushed messages: only EOF or an error counts.
bool peer_closed(int fd) {
  pollfd pfd{};
  pfd.fd = fd;
  pfd.events = POLLIN;
  if (::poll(&pfd, 1, 0) <= 0) return false;
  if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return true;
  char byte = 0;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

}  // namespace

void RedisConnection::Impl::ensure_connected(const RedisOptions& options) {
  // hiredis may hold buffered replies that were already read off the socket; those belong
  // to the caller, so a connection with buffered input is never treated as closed here.
  if (ctx != nullptr && ctx->reader->len == ctx->reader->pos && peer_closed(ctx->fd)) close();
  if (ctx != nullptr) return;
  redisContext* c = redisConnectWithTimeout(options.host.c_str(), options.port,
                                            to_timeval(options.connect_timeout));
  std::string where = "redis " + options.host + ":" + std::to_string(options.port);
  if (c == nullptr) throw RedisError(where + ": cannot allocate a connection");
  if (c->err != 0) {
    std::string msg = where + ": connect failed: " + c->errstr;
    redisFree(c);
    throw RedisError(msg);
  }
  try {
    if (redisSetTimeout(c, to_timeval(options.command_timeout)) != REDIS_OK) {
      throw RedisError("cannot set the socket timeout");
    }
    if (!options.password.empty()) {
      if (options.username.empty()) {
        handshake_command(c, {"AUTH", options.password}, "AUTH");
      } else {
        handshake_command(c, {"AUTH", options.username, options.password}, "AUTH");
      }
    }
    if (options.db != 0) handshake_command(c, {"SELECT", std::to_string(options.db)}, "SELECT");
  } catch (const RedisError& e) {
    redisFree(c);
    throw RedisError(where + ": " + e.what());
  }
  ctx = c;
}

RedisReply RedisConnection::command(const std::vector<std::string_view>& args) {
  impl_->ensure_connected(options_);
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(impl_->ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!reply) impl_->fail(options_, args.empty() ? "command" : std::string(args.front()));
  return convert(reply.get());
}

std::vector<RedisReply> RedisConnection::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  impl_->ensure_connected(options_);
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(impl_->ctx, static_cast<int>(argv.size()), argv.data(),
                               lens.data()) != REDIS_OK) {
      impl_->fail(options_, "pipeline");
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(impl_->ctx, &raw) != REDIS_OK) impl_->fail(options_, "pipeline");
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(convert(reply.get()));
  }
  return replies;
}

std::optional<RedisReply> RedisConnection::read_push(std::chrono::milliseconds timeout) {
  if (impl_->ctx == nullptr) throw RedisError("redis: read_push without a subscribed connection");
  // A reply may already sit in hiredis' buffer (several pushes arrived in one read).
  void* raw = nullptr;
  if (redisGetReplyFromReader(impl_->ctx, &raw) != REDIS_OK) {
    impl_->fail(options_, "read");
  }
  if (raw == nullptr) {
    // Wait for the socket ourselves: a hiredis read timeout would poison the context.
    pollfd pfd{};
    pfd.fd = impl_->ctx->fd;
    pfd.events = POLLIN;
    int n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (n == 0) return std::nullopt;
    if (n < 0) {
      if (errno == EINTR) return std::nullopt;
      impl_->fail(options_, "poll");
    }
    // Data (or EOF) is there; the rest of a partial message is bounded by command_timeout.
    if (redisGetReply(impl_->ctx, &raw) != REDIS_OK) impl_->fail(options_, "read");
  }
  ReplyPtr reply(static_cast<redisReply*>(raw));
  return convert(reply.get());
}

}  // namespace bklit::net
