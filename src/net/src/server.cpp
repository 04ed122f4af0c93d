#include "bklit/net/server.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "bklit/core/ids.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"
#include "ws_connection.hpp"
#include "ws_frame.hpp"

namespace bklit::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

namespace {

const char* kServerName = "bklit";
constexpr std::size_t kMaxDrainBytes = std::size_t{16} << 20;

HttpRequest to_request(const http::request<http::string_body>& req, const std::string& ip) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  r.headers.reserve(16);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = req.body();
  r.remote_ip = ip;
  return r;
}

http::response<http::string_body> to_beast(HttpResponse&& res, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(res.status), version};
  out.set(http::field::server, kServerName);
  if (!res.content_type.empty()) out.set(http::field::content_type, res.content_type);
  for (auto& [k, v] : res.headers) out.set(k, v);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

bool has_token(std::string_view list, std::string_view token) {
  // A comma-separated header value holds `token`, case-insensitively.
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (beast::iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool is_upgrade(const http::request<http::string_body>& req) {
  return req.method() == http::verb::get && has_token(req[http::field::connection], "upgrade") &&
         has_token(req[http::field::upgrade], "websocket");
}

// A request's answer, which its handler may give from another thread.
struct Pending {
  explicit Pending(const asio::any_io_executor& ex) : timer(ex) {}
  std::mutex mu;
  std::optional<HttpResponse> response;
  asio::steady_timer timer;
};

// A handler that throws is a server error: the client gets the one error shape
// (core/error_json.hpp) with a fresh request id, which the log line carries too, so that a
// report can be matched with the log (docs/api.md, "Errors"). An answer the handler already
// gave before throwing stands.
void answer_handler_failure(Pending& pending, std::string_view method, std::string_view path,
                            std::string_view what) {
  std::string request_id = core::random_hex(8);
  core::log::error(fmt::format("HTTP handler for {} {} failed (request_id={}): {}", method, path,
                               request_id, what));
  std::lock_guard lock(pending.mu);
  if (pending.response) return;
  HttpResponse res = HttpResponse::error(
      500, "internal_error", "the server failed while handling this request", request_id);
  res.headers.emplace_back("X-Request-Id", request_id);
  pending.response = std::move(res);
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handlers handlers;
  WsLimits ws_limits;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t bound_port = 0;
  WsRegistry websockets;
  bool stopped = false;

  Impl(ServerOptions o, Handlers h) : options(std::move(o)), handlers(std::move(h)) {
    ws_limits.max_message_bytes = options.max_ws_message_bytes;
    ws_limits.max_write_queue = options.max_ws_write_queue;
    ws_limits.idle_timeout = options.ws_idle_timeout;
  }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve_http(tcp::socket socket);
};

asio::awaitable<void> Server::Impl::serve_http(tcp::socket socket) {
  std::string ip;
  {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) {
      auto addr = ep.address();
      if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        ip = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
      } else {
        ip = addr.to_string();
      }
    }
  }
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(16 * 1024);
    stream.expires_after(options.read_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      break;
    }
    if (ec) {
      HttpResponse res;
      if (ec == http::error::body_limit) {
        res = HttpResponse::error(
            413, "payload_too_large",
            "request body exceeds " + std::to_string(options.max_body_bytes) + " bytes");
      } else if (ec == http::error::header_limit) {
        res = HttpResponse::error(431, "headers_too_large", "request headers are too large");
      } else {
        res = HttpResponse::error(400, "bad_request", "malformed HTTP request");
      }
      auto out = to_beast(std::move(res), 11, false);
      stream.expires_after(std::chrono::seconds(10));
      co_await http::async_write(stream, out, kNoThrow);
      // A client still sending its body would get a reset, and lose the answer, if the
      // socket closed now: half-close and drain a bounded amount first.
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      std::array<char, 16384> sink{};
      std::size_t drained = 0;
      stream.expires_after(std::chrono::seconds(2));
      while (drained < kMaxDrainBytes) {
        auto [rec, got] = co_await stream.async_read_some(asio::buffer(sink), kNoThrow);
        if (rec) break;
        drained += got;
      }
      co_return;
    }
    auto req = parser.release();
    HttpRequest app_req = to_request(req, ip);
    if (is_upgrade(req)) {
      // RFC 6455 4.2.1: version 13 and a 16-byte key, else a plain HTTP refusal.
      auto key = req[http::field::sec_websocket_key];
      if (req[http::field::sec_websocket_version] != "13") {
        auto res =
            HttpResponse::error(426, "upgrade_required", "only WebSocket version 13 is supported");
        res.headers.emplace_back("Sec-WebSocket-Version", "13");
        auto out = to_beast(std::move(res), req.version(), false);
        co_await http::async_write(stream, out, kNoThrow);
        break;
      }
      if (!ws::valid_client_key(key)) {
        auto out = to_beast(
            HttpResponse::error(400, "bad_request", "Sec-WebSocket-Key is missing or malformed"),
            req.version(), false);
        co_await http::async_write(stream, out, kNoThrow);
        break;
      }
      std::string early(static_cast<const char*>(buffer.data().data()), buffer.size());
      start_websocket(stream.release_socket(), std::move(early), ws::accept_key(key), app_req,
                      ws_limits, handlers, websockets);
      co_return;
    }
    // The handler may answer from another thread: wait for its answer on a timer.
    auto pending = std::make_shared<Pending>(stream.get_executor());
    pending->timer.expires_after(std::chrono::hours(24));
    bool keep_alive = req.keep_alive();
    unsigned version = req.version();
    std::string method = app_req.method;
    std::string path = app_req.path;
    try {
      handlers.http(std::move(app_req), [pending](HttpResponse res) {
        {
          std::lock_guard lock(pending->mu);
          pending->response = std::move(res);
        }
        asio::post(pending->timer.get_executor(), [pending] { pending->timer.cancel(); });
      });
    } catch (const std::exception& e) {
      answer_handler_failure(*pending, method, path, e.what());
    } catch (...) {
      answer_handler_failure(*pending, method, path, "an exception that is not a std::exception");
    }
    for (;;) {
      {
        std::lock_guard lock(pending->mu);
        if (pending->response) break;
      }
      co_await pending->timer.async_wait(kNoThrow);
      pending->timer.expires_after(std::chrono::hours(24));
    }
    HttpResponse res;
    {
      std::lock_guard lock(pending->mu);
      res = std::move(*pending->response);
    }
    auto out = to_beast(std::move(res), version, keep_alive);
    stream.expires_after(std::chrono::seconds(30));
    auto [wec, wn] = co_await http::async_write(stream, out, kNoThrow);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true));
    auto ex = socket.get_executor();
    asio::co_spawn(ex, serve_http(std::move(socket)), [](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        core::log::error(std::string("connection failed: ") + ex.what());
      }
    });
  }
}

Server::Server(ServerOptions options, Handlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

Server::~Server() { stop(); }

void Server::start() {
  auto& i = *impl_;
  beast::error_code ec;
  auto addr = asio::ip::make_address(i.options.host, ec);
  if (ec) throw std::runtime_error("listen: '" + i.options.host + "' is not an IP address");
  tcp::endpoint ep(addr, i.options.port);
  i.acceptor.open(ep.protocol());
  i.acceptor.set_option(asio::socket_base::reuse_address(true));
  i.acceptor.bind(ep, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + i.options.host + ":" +
                             std::to_string(i.options.port) + ": " + ec.message());
  }
  i.acceptor.listen(asio::socket_base::max_listen_connections);
  i.bound_port = i.acceptor.local_endpoint().port();
  asio::co_spawn(i.ioc, i.accept_loop(), asio::detached);
  int n = i.options.threads > 0
              ? i.options.threads
              : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  for (int t = 0; t < n; ++t) {
    i.threads.emplace_back([&i, t] {
      core::name_this_thread("bklit-io-" + std::to_string(t));
      i.ioc.run();
    });
  }
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::stop_accepting() {
  asio::post(impl_->ioc, [i = impl_.get()] {
    beast::error_code ec;
    i->acceptor.close(ec);
  });
}

void Server::close_websockets(std::uint16_t code, const std::string& reason) {
  for (auto& c : impl_->websockets.snapshot()) c->close(code, reason);
}

std::size_t Server::open_websockets() const { return impl_->websockets.size(); }

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
  // Connections still open hold their sessions and the sessions them: let go of both.
  for (auto& c : impl_->websockets.snapshot()) c->abandon();
  impl_->websockets.clear();
}

}  // namespace bklit::net
