#include "http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace bklit::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr auto kRequestTimeout = std::chrono::seconds(30);
}  // namespace

struct HttpConnection::Impl {
  Impl(asio::any_io_executor ex, const RunPlan& p) : stream(ex), plan(p) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  const RunPlan& plan;
  bool connected = false;
};

HttpConnection::HttpConnection(asio::any_io_executor executor, const RunPlan& plan)
    : impl_(std::make_unique<Impl>(std::move(executor), plan)) {}

HttpConnection::~HttpConnection() = default;

asio::awaitable<HttpResult> HttpConnection::post(
    std::string target, std::string body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  HttpResult result;
  Impl& s = *impl_;
  if (!s.connected) {
    s.stream.expires_after(std::chrono::seconds(5));
    auto [ec, endpoint] = co_await s.stream.async_connect(s.plan.endpoints, kNoThrow);
    if (ec) {
      result.ec = ec;
      co_return result;
    }
    s.stream.socket().set_option(asio::ip::tcp::no_delay(true));
    s.buffer.clear();
    s.connected = true;
  }
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, s.plan.target.host_header);
  req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  s.stream.expires_after(kRequestTimeout);
  auto [wec, written] = co_await http::async_write(s.stream, req, kNoThrow);
  if (wec) {
    result.ec = wec;
    s.connected = false;
    s.stream.close();
    co_return result;
  }
  http::response<http::string_body> res;
  auto [rec, read] = co_await http::async_read(s.stream, s.buffer, res, kNoThrow);
  if (rec) {
    result.ec = rec;
    s.connected = false;
    s.stream.close();
    co_return result;
  }
  s.stream.expires_never();
  result.status = static_cast<int>(res.result_int());
  result.body = std::move(res.body());
  if (!res.keep_alive()) {
    s.connected = false;
    s.stream.close();
  }
  co_return result;
}

}  // namespace bklit::loadgen
