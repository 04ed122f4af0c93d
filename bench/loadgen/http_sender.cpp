// HTTP clients: POST /api/track with a JSON array of SDK messages (server-side tracking and
// beacons), one request in flight per keep-alive connection, answered with a result per
// message once the accepted ones are durable.

#include <algorithm>
#include <boost/json.hpp>
#include <random>

#include "bklit/core/clock.hpp"
#include "http_client.hpp"
#include "run_context.hpp"
#include "traffic.hpp"

namespace bklit::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

struct BatchItem {
  bool pageview;
  bool bot;
};

// Builds one /api/track body of `count` messages, continuing the sessions of `traffic`.
class BatchBuilder {
 public:
  BatchBuilder(Traffic& traffic) : traffic_(traffic) {}

  void build(std::size_t count, std::string& body, std::vector<BatchItem>& items,
             std::string& user_agent, std::string& client_ip) {
    body.assign("[");
    items.clear();
    for (std::size_t n = 0; n < count; ++n) {
      if (session_.steps.empty() || step_ == session_.steps.size()) {
        session_ = traffic_.next_session(core::now_ms());
        step_ = 0;
      }
      if (n == 0) {
        user_agent.assign(session_.user_agent->text);
        client_ip = session_.client_ip;
      } else {
        body.push_back(',');
      }
      traffic_.append_message(body, session_, step_, core::now_ms());
      items.push_back(BatchItem{session_.steps[step_].pageview, session_.bot()});
      ++step_;
    }
    body.push_back(']');
  }

 private:
  Traffic& traffic_;
  Session session_;
  std::size_t step_ = 0;
};

}  // namespace

// Writes one sample body (for wrk and nginx at the same request size).
std::string sample_track_body(const LoadOptions& opt, const std::string& site_host,
                              std::size_t messages) {
  Traffic traffic(opt.project_id, opt.token, site_host, opt.seed);
  BatchBuilder builder(traffic);
  std::string body, ua, ip;
  std::vector<BatchItem> items;
  builder.build(messages, body, items, ua, ip);
  return body;
}

asio::awaitable<void> run_http_sender(const RunPlan& plan, ThreadMetrics& m, double events_per_s,
                                      std::uint64_t seed) {
  const LoadOptions& opt = *plan.options;
  auto ex = co_await asio::this_coro::executor;
  Traffic traffic(opt.project_id, opt.token, plan.site_host, seed);
  BatchBuilder builder(traffic);
  std::mt19937_64 rng(seed ^ 0x77);
  const auto batch = static_cast<std::size_t>(std::max(1, opt.http_batch));
  const double fraction = std::clamp(opt.http_fraction, 0.0, 1.0);
  Pacer pacer(events_per_s / static_cast<double>(batch), plan.start,
              std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  asio::steady_timer sleep(ex);
  HttpConnection conn(ex, plan);
  std::string body, user_agent, client_ip;
  std::vector<BatchItem> items;
  std::vector<std::pair<std::string, std::string>> headers;

  for (;;) {
    TimePoint due = pacer.take();
    if (due >= plan.send_end) break;
    co_await sleep_until(sleep, due);
    // Closed loop: keep this thread's HTTP share of the traffic at --http-fraction.
    while (!pacer.open_loop() && static_cast<double>(m.http_sent) > fraction * m.sent &&
           SteadyClock::now() < plan.send_end) {
      co_await sleep_until(sleep, SteadyClock::now() + std::chrono::milliseconds(2));
    }
    if (!pacer.open_loop()) due = SteadyClock::now();
    // Nothing is sent after the end of sending, however far behind the schedule runs.
    if (due >= plan.send_end || SteadyClock::now() >= plan.send_end) break;
    builder.build(batch, body, items, user_agent, client_ip);
    headers.clear();
    headers.emplace_back("User-Agent", user_agent);
    if (!opt.token.empty()) headers.emplace_back("Authorization", "Bearer " + opt.token);
    if (!opt.origin.empty()) headers.emplace_back("Origin", opt.origin);
    if (opt.forwarded_for) headers.emplace_back("X-Forwarded-For", client_ip);
    m.sent += items.size();
    m.http_sent += items.size();
    ++m.http_requests;
    HttpResult res = co_await conn.post("/api/track", std::move(body), headers);
    auto now = SteadyClock::now();
    if (res.ec) {
      m.error("http_connection_failed", items.size());
      co_await sleep_until(sleep, now + std::chrono::milliseconds(100));
      continue;
    }
    json::error_code jec;
    json::value parsed = json::parse(res.body, jec);
    const json::array* results = nullptr;
    if (!jec && parsed.is_object()) {
      if (const auto* r = parsed.as_object().if_contains("results"); r && r->is_array()) {
        results = &r->as_array();
      }
    }
    if (results == nullptr || results->size() != items.size()) {
      std::string code = "http_" + std::to_string(res.status);
      if (!jec && parsed.is_object()) {
        if (const auto* e = parsed.as_object().if_contains("code"); e && e->is_string()) {
          code = std::string(e->as_string());
        }
      }
      m.error(code, items.size());
      continue;
    }
    const bool sample = plan.in_window(due);
    const auto us = static_cast<std::uint32_t>(std::max<std::int64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - due).count(), 0));
    for (std::size_t i = 0; i < items.size(); ++i) {
      const json::value& r = (*results)[i];
      const json::object* o = r.if_object();
      const json::value* status = o != nullptr ? o->if_contains("status") : nullptr;
      if (status != nullptr && status->is_string() && status->as_string() == "accepted") {
        ++m.acked;
        if (plan.in_window(now)) ++m.acked_in_window;
        if (items[i].bot) {
          ++m.acked_bot;
        } else {
          ++(items[i].pageview ? m.acked_pageviews : m.acked_events);
          if (now < plan.send_end) ++m.acked_before_stop;
        }
        if (sample) m.http_latency_us.push_back(us);
      } else {
        const json::value* code = o != nullptr ? o->if_contains("code") : nullptr;
        m.error(code != nullptr && code->is_string() ? std::string(code->as_string())
                                                     : "http_" + std::to_string(res.status));
      }
    }
  }
}

}  // namespace bklit::loadgen
