// Ack-to-queryable: a probe session sends pageviews of unique paths on its own WebSocket;
// a poller asks /api/v2/query for all unresolved probe paths (filter ["is","event:page",
// [...]]) until each shows pageviews == 1, and records the delay from its ack.

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>

#include "bklit/core/clock.hpp"
#include "bklit/core/json.hpp"
#include "http_client.hpp"
#include "run_context.hpp"
#include "traffic.hpp"

namespace bklit::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct ProbeState {
  struct Waiting {
    std::string path;
    TimePoint acked;
  };
  std::deque<Waiting> waiting;
  bool sending_done = false;
};

std::string stats_body(const RunPlan& plan, const std::vector<std::string>& paths) {
  std::string body = "{\"site_id\":";
  core::append_json_string(body, plan.options->project_id);
  if (paths.empty()) {
    body += R"(,"metrics":["pageviews","events"],"date_range":"day"})";
    return body;
  }
  body += R"(,"metrics":["pageviews"],"date_range":"day","dimensions":["event:page"],)";
  body += R"("filters":[["is","event:page",[)";
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (i > 0) body += ',';
    core::append_json_string(body, paths[i]);
  }
  body += R"(]]],"pagination":{"limit":1000}})";
  return body;
}

std::vector<std::pair<std::string, std::string>> read_headers(const RunPlan& plan) {
  return {{"Authorization", "Bearer " + plan.options->read_token}};
}

std::uint64_t as_count(const json::value& v) {
  if (v.is_int64()) return static_cast<std::uint64_t>(v.as_int64());
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_double()) return static_cast<std::uint64_t>(v.as_double());
  return 0;
}

asio::awaitable<void> poll_probes(const RunPlan& plan, ThreadMetrics& m,
                                  std::shared_ptr<ProbeState> state) {
  auto ex = co_await asio::this_coro::executor;
  const LoadOptions& opt = *plan.options;
  HttpConnection conn(ex, plan);
  asio::steady_timer sleep(ex);
  const auto timeout = std::chrono::duration_cast<SteadyClock::duration>(
      std::chrono::duration<double>(opt.probe_timeout_s));
  const TimePoint give_up = plan.send_end + timeout;
  std::vector<std::string> paths;
  bool reported_error = false;

  while (!(state->sending_done && state->waiting.empty()) && SteadyClock::now() < give_up) {
    auto next_poll = SteadyClock::now() + std::chrono::milliseconds(opt.probe_poll_ms);
    if (!state->waiting.empty()) {
      paths.clear();
      for (const auto& w : state->waiting) paths.push_back(w.path);
      HttpResult res =
          co_await conn.post("/api/v2/query", stats_body(plan, paths), read_headers(plan));
      auto now = SteadyClock::now();
      ++m.probe_queries;
      if (res.ec || res.status != 200) {
        if (!reported_error) {
          m.error(res.ec ? "probe_query_failed" : "probe_query_http_" + std::to_string(res.status));
          reported_error = true;
        }
      } else {
        json::error_code jec;
        json::value parsed = json::parse(res.body, jec);
        const json::value* results =
            !jec && parsed.is_object() ? parsed.as_object().if_contains("results") : nullptr;
        if (results != nullptr && results->is_array()) {
          for (const auto& row : results->as_array()) {
            const auto* o = row.if_object();
            if (o == nullptr) continue;
            const auto* dims = o->if_contains("dimensions");
            const auto* metrics = o->if_contains("metrics");
            if (dims == nullptr || metrics == nullptr || !dims->is_array() ||
                !metrics->is_array() || dims->as_array().empty() || metrics->as_array().empty() ||
                !dims->as_array()[0].is_string()) {
              continue;
            }
            if (as_count(metrics->as_array()[0]) < 1) continue;
            std::string_view path = dims->as_array()[0].as_string();
            for (auto it = state->waiting.begin(); it != state->waiting.end(); ++it) {
              if (it->path == path) {
                m.probe_visible_ms.push_back(
                    std::chrono::duration<double, std::milli>(now - it->acked).count());
                ++m.probes_visible;
                state->waiting.erase(it);
                break;
              }
            }
          }
        }
      }
      while (!state->waiting.empty() && now - state->waiting.front().acked > timeout) {
        ++m.probes_timed_out;
        state->waiting.pop_front();
      }
    }
    co_await sleep_until(sleep, next_poll);
  }
  m.probes_timed_out += state->waiting.size();
}

}  // namespace

asio::awaitable<void> run_probe(const RunPlan& plan, ThreadMetrics& m) {
  auto ex = co_await asio::this_coro::executor;
  const LoadOptions& opt = *plan.options;
  auto state = std::make_shared<ProbeState>();
  asio::co_spawn(ex, poll_probes(plan, m, state), asio::detached);

  Traffic traffic(opt.project_id, opt.token, plan.site_host, opt.seed ^ 0xabcdef);
  Session session = traffic.next_session(core::now_ms());
  session.user_agent = &Traffic::user_agents().front();  // a desktop browser, never a bot
  asio::steady_timer sleep(ex);

  websocket::stream<beast::tcp_stream> ws(ex);
  beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
  auto [cec, endpoint] =
      co_await beast::get_lowest_layer(ws).async_connect(plan.endpoints, kNoThrow);
  if (cec) {
    m.error("probe_connect_failed");
    state->sending_done = true;
    co_return;
  }
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, session.user_agent->text);
    if (!opt.origin.empty()) req.set(beast::http::field::origin, opt.origin);
    if (opt.forwarded_for) req.set("X-Forwarded-For", session.client_ip);
  }));
  auto [hec] = co_await ws.async_handshake(
      plan.target.host_header,
      plan.target.path + "?projectId=" + opt.project_id + "&sessionId=" + session.session_id,
      kNoThrow);
  if (hec) {
    m.error("probe_handshake_failed");
    state->sending_done = true;
    co_return;
  }
  ws.text(true);
  beast::flat_buffer buffer;
  std::string message;
  // Sends one frame and reads until its reply ("connected" greetings are skipped).
  auto exchange = [&](std::string frame) -> asio::awaitable<std::string> {
    auto [wec, wn] = co_await ws.async_write(asio::buffer(frame), kNoThrow);
    if (wec) co_return std::string("write_failed");
    for (;;) {
      buffer.consume(buffer.size());
      auto [rec, rn] = co_await ws.async_read(buffer, kNoThrow);
      if (rec) co_return std::string("connection_lost");
      auto data = buffer.cdata();
      std::string reply(static_cast<const char*>(data.data()), data.size());
      if (reply.starts_with(R"({"type":"connected")")) continue;
      co_return reply;
    }
  };
  if (!opt.token.empty()) {
    std::string reply = co_await exchange(R"({"type":"auth","apiKey":")" + opt.token + "\"}");
    if (!reply.starts_with(R"({"type":"auth_success")")) m.error("probe_auth_failed");
  }

  const auto interval = std::chrono::milliseconds(std::max(10, opt.probe_interval_ms));
  TimePoint next = plan.window_begin;
  for (std::uint64_t n = 0;; ++n) {
    co_await sleep_until(sleep, next);
    if (SteadyClock::now() >= plan.send_end) break;
    next += interval;
    std::string path = fmt::format("/probe/{}-{}", plan.run_id, n);
    message.clear();
    traffic.append_pageview(message, session, "https://" + plan.site_host + path, core::now_ms());
    ++m.probes_sent;
    std::string reply = co_await exchange(message);
    if (reply.starts_with(R"({"type":"ack")")) {
      ++m.probes_acked;
      if (SteadyClock::now() < plan.send_end) ++m.acked_before_stop;
      state->waiting.push_back(ProbeState::Waiting{path, SteadyClock::now()});
    } else {
      m.error("probe_" +
              (reply.starts_with(R"({"type":"error")") ? std::string("rejected") : reply));
      if (reply == "connection_lost" || reply == "write_failed") break;
    }
  }
  state->sending_done = true;
  ws.set_option(
      websocket::stream_base::timeout{std::chrono::seconds(5), std::chrono::seconds(5), false});
  co_await ws.async_close(websocket::close_code::normal, kNoThrow);
}

namespace {

struct StoredCounts {
  std::string error;  // empty when the counts are valid
  std::uint64_t pageviews = 0;
  std::uint64_t events = 0;
};

// Today's pageviews and custom events of the project, through the Stats API.
asio::awaitable<StoredCounts> query_counts(HttpConnection& conn, const RunPlan& plan) {
  StoredCounts out;
  HttpResult res = co_await conn.post("/api/v2/query", stats_body(plan, {}), read_headers(plan));
  if (res.ec || res.status != 200) {
    out.error = res.ec ? "query failed: " + res.ec.message()
                       : fmt::format("query answered {}: {}", res.status, res.body);
    co_return out;
  }
  json::error_code jec;
  json::value parsed = json::parse(res.body, jec);
  const json::value* results =
      !jec && parsed.is_object() ? parsed.as_object().if_contains("results") : nullptr;
  if (results != nullptr && results->is_array() && !results->as_array().empty()) {
    const auto* o = results->as_array()[0].if_object();
    const auto* metrics = o != nullptr ? o->if_contains("metrics") : nullptr;
    if (metrics != nullptr && metrics->is_array() && metrics->as_array().size() >= 2) {
      out.pageviews = as_count(metrics->as_array()[0]);
      out.events = as_count(metrics->as_array()[1]);
    }
  }
  co_return out;
}

}  // namespace

asio::awaitable<void> run_stop_snapshot(const RunPlan& plan, StopSnapshot& result) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer sleep(ex);
  result.ran = true;
  co_await sleep_until(sleep, plan.send_end);
  // A fresh connection: a keep-alive one would have timed out over a long run.
  HttpConnection conn(ex, plan);
  StoredCounts counts = co_await query_counts(conn, plan);
  result.answered_after_stop_s =
      std::chrono::duration<double>(SteadyClock::now() - plan.send_end).count();
  result.error = counts.error;
  result.ok = counts.error.empty();
  result.stored = counts.pageviews + counts.events;
}

asio::awaitable<void> run_verify(const RunPlan& plan, std::uint64_t pageviews, std::uint64_t events,
                                 VerifyResult& result) {
  auto ex = co_await asio::this_coro::executor;
  HttpConnection conn(ex, plan);
  asio::steady_timer sleep(ex);
  const auto start = SteadyClock::now();
  const auto deadline = std::max(
      start, plan.send_end + std::chrono::duration_cast<SteadyClock::duration>(
                                 std::chrono::duration<double>(plan.options->verify_timeout_s)));
  result.ran = true;
  // Stop early once the stored counts stop moving past what was acked.
  TimePoint last_change = start;
  std::uint64_t last_pv = ~0ULL;
  std::uint64_t last_ev = ~0ULL;
  for (;;) {
    StoredCounts counts = co_await query_counts(conn, plan);
    auto now = SteadyClock::now();
    result.error = counts.error;
    if (counts.error.empty()) {
      const std::uint64_t pv = counts.pageviews;
      const std::uint64_t ev = counts.events;
      result.stored_pageviews = pv;
      result.stored_events = ev;
      if (pv == pageviews && ev == events) {
        result.matched = true;
        result.seconds_to_match = std::chrono::duration<double>(now - start).count();
        result.seconds_after_stop_to_match =
            std::chrono::duration<double>(now - plan.send_end).count();
        co_return;
      }
      if (pv != last_pv || ev != last_ev) {
        last_pv = pv;
        last_ev = ev;
        last_change = now;
      }
      if ((pv > pageviews || ev > events) && now - last_change > std::chrono::seconds(10)) {
        result.error = "more stored than acked";
        co_return;
      }
    }
    if (now >= deadline) {
      if (result.error.empty()) result.error = "timed out";
      co_return;
    }
    co_await sleep_until(sleep, now + std::chrono::milliseconds(200));
  }
}

}  // namespace bklit::loadgen
