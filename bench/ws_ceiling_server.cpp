// bklit-ws-ceiling: the same-run WebSocket ceiling of bench/run_bench.sh. A WebSocket server
// built like src/net (Boost.Beast, one text frame per message and per reply, coroutines, an
// io_context per I/O thread) that speaks just enough of the SDK protocol (docs/protocol.md)
// for bklit-loadgen: it accepts `/?projectId=…&sessionId=…`, greets with `connected`, answers
// `auth` with `auth_success` and every pageview or event with an `ack` of the same shape as
// bklit's, and does nothing else — no parsing beyond the message type, no queue, no store.
// bklit's rate divided by this one is the share of the socket path's ceiling it reaches.

#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "ceiling_replies.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxMessageBytes = 32 * 1024;  // bklit's default max_ws_message_bytes

// The value of query parameter `name` in `target` ("" when absent).
std::string_view query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

asio::awaitable<void> refuse(beast::tcp_stream& stream, http::status status,
                             std::string_view reason, unsigned version) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::string(reason);
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(stream, res, kNoThrow);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  stream.expires_after(std::chrono::seconds(30));
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kNoThrow);
  if (rec) co_return;
  auto req = parser.release();
  if (!websocket::is_upgrade(req)) {
    co_await refuse(stream, http::status::upgrade_required, "WebSocket only\n", req.version());
    co_return;
  }
  const std::string_view target = req.target();
  const std::string session_id(query_param(target, "sessionId"));
  if (query_param(target, "projectId").empty() || session_id.empty()) {
    co_await refuse(stream, http::status::bad_request, "projectId and sessionId are required\n",
                    req.version());
    co_return;
  }

  stream.expires_never();
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(kMaxMessageBytes);
  auto [aec] = co_await ws.async_accept(req, kNoThrow);
  if (aec) co_return;
  ws.text(true);

  std::string reply = R"({"type":"connected","sessionId":")" + session_id + "\"}";
  if (auto [wec, wn] = co_await ws.async_write(asio::buffer(reply), kNoThrow); wec) co_return;
  beast::flat_buffer frames;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(frames, kNoThrow);
    if (ec) co_return;  // closed by the client, or a broken connection: nothing to clean up
    if (!ws.got_text()) {
      frames.consume(frames.size());
      continue;
    }
    auto data = frames.cdata();
    reply = bklit::bench::reply_to(
        std::string_view(static_cast<const char*>(data.data()), data.size()));
    frames.consume(frames.size());
    if (auto [wec, wn] = co_await ws.async_write(asio::buffer(reply), kNoThrow); wec) co_return;
  }
}

// Accepts on the first context and hands each connection to the next context in turn.
asio::awaitable<void> accept_loop(tcp::acceptor& acceptor,
                                  std::vector<std::unique_ptr<asio::io_context>>& contexts) {
  std::size_t next = 0;
  for (;;) {
    auto& ctx = *contexts[next++ % contexts.size()];
    auto [ec, socket] = co_await acceptor.async_accept(ctx, kNoThrow);
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;  // e.g. EMFILE: keep serving the connections already open
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(ctx, serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  std::string port_file;
  CLI::App app{"bklit-ws-ceiling: a WebSocket server that only acks SDK messages"};
  app.add_option("--host", host, "listen address")->capture_default_str();
  app.add_option("--port", port, "listen port; 0 = a free one")->capture_default_str();
  app.add_option("--threads", threads, "I/O threads, one io_context each")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to FILE once listening");
  CLI11_PARSE(app, argc, argv);
  if (threads < 1) {
    std::cerr << "error: --threads must be at least 1\n";
    return 2;
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  auto& main_ctx = *contexts.front();
  tcp::acceptor acceptor(main_ctx);
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (ec) {
    std::cerr << "error: --host '" << host << "' is not an IP address\n";
    return 2;
  }
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "error: cannot listen on " << host << ":" << port << ": " << ec.message() << "\n";
    return 1;
  }
  const auto bound = acceptor.local_endpoint().port();
  if (!port_file.empty()) {
    std::ofstream out(port_file);
    out << bound << "\n";
    if (!out) {
      std::cerr << "error: cannot write " << port_file << "\n";
      return 1;
    }
  }
  std::cout << "listening on " << host << ":" << bound << " with " << threads << " threads"
            << std::endl;

  asio::co_spawn(main_ctx, accept_loop(acceptor, contexts), asio::detached);
  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    for (auto& ctx : contexts) ctx->stop();
  });
  // Keeps the other contexts running while they have no connection yet.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& ctx : contexts) guards.push_back(asio::make_work_guard(*ctx));
  std::vector<std::thread> workers;
  for (std::size_t t = 1; t < contexts.size(); ++t) {
    workers.emplace_back([&ctx = *contexts[t]] { ctx.run(); });
  }
  main_ctx.run();
  for (auto& ctx : contexts) ctx->stop();
  for (auto& w : workers) w.join();
  return 0;
}
