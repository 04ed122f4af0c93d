#include "metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "bklit/core/json.hpp"

namespace bklit::loadgen {
namespace {

template <typename T>
double at(const std::vector<T>& sorted, double p) {
  auto idx = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(idx, sorted.size() - 1)]);
}

std::string percentiles_json(const Percentiles& p) {
  return fmt::format(R"({{"samples":{},"p50":{:.2f},"p90":{:.2f},"p99":{:.2f},"max":{:.2f}}})",
                     p.samples, p.p50, p.p90, p.p99, p.max);
}

std::string percentiles_line(const Percentiles& p) {
  if (p.samples == 0) return "no samples";
  return fmt::format("p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  max {:.2f} ms  ({} samples)", p.p50,
                     p.p90, p.p99, p.max, p.samples);
}

}  // namespace

void ThreadMetrics::merge(ThreadMetrics&& o) {
  sent += o.sent;
  http_sent += o.http_sent;
  acked += o.acked;
  acked_in_window += o.acked_in_window;
  acked_pageviews += o.acked_pageviews;
  acked_events += o.acked_events;
  acked_bot += o.acked_bot;
  acked_before_stop += o.acked_before_stop;
  idle_authenticated += o.idle_authenticated;
  unanswered += o.unanswered;
  sessions += o.sessions;
  http_requests += o.http_requests;
  for (auto& [code, n] : o.errors) errors[code] += n;
  ws_latency_us.insert(ws_latency_us.end(), o.ws_latency_us.begin(), o.ws_latency_us.end());
  http_latency_us.insert(http_latency_us.end(), o.http_latency_us.begin(), o.http_latency_us.end());
  probes_sent += o.probes_sent;
  probes_acked += o.probes_acked;
  probes_visible += o.probes_visible;
  probes_timed_out += o.probes_timed_out;
  probe_queries += o.probe_queries;
  probe_visible_ms.insert(probe_visible_ms.end(), o.probe_visible_ms.begin(),
                          o.probe_visible_ms.end());
}

Percentiles latency_percentiles_ms(std::vector<std::uint32_t>& us) {
  Percentiles p;
  p.samples = us.size();
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  p.p50 = at(us, 0.50) / 1000.0;
  p.p90 = at(us, 0.90) / 1000.0;
  p.p99 = at(us, 0.99) / 1000.0;
  p.max = static_cast<double>(us.back()) / 1000.0;
  return p;
}

Percentiles percentiles(std::vector<double>& ms) {
  Percentiles p;
  p.samples = ms.size();
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  p.p50 = at(ms, 0.50);
  p.p90 = at(ms, 0.90);
  p.p99 = at(ms, 0.99);
  p.max = ms.back();
  return p;
}

void print_report(const Report& r) {
  const auto& t = r.totals;
  std::cout << fmt::format(
      "bklit-loadgen {}: {} connections ({} WebSocket {}, {} HTTP, batch {}), pipeline {}, "
      "target {}, {:.0f} s\n",
      r.url, r.connections, r.ws_connections, r.shape, r.http_connections, r.http_batch, r.pipeline,
      r.rate_target > 0 ? fmt::format("{:.0f} events/s", r.rate_target) : std::string("max rate"),
      r.duration_s);
  std::cout << fmt::format("  events sent        {}  ({} over HTTP)\n", t.sent, t.http_sent);
  std::cout << fmt::format(
      "  events acked       {}  (non-bot pageviews {}, non-bot events {}, bot {})\n", t.acked,
      t.acked_pageviews, t.acked_events, t.acked_bot);
  std::cout << fmt::format("  sessions           {} WebSocket, {} HTTP requests\n", t.sessions,
                           t.http_requests);
  if (r.shape == "idle") {
    std::cout << fmt::format("  idle sockets       {} authenticated\n", t.idle_authenticated);
  }
  if (t.unanswered > 0) std::cout << fmt::format("  unanswered         {}\n", t.unanswered);
  if (t.errors.empty()) {
    std::cout << "  errors             none\n";
  } else {
    for (const auto& [code, n] : t.errors) {
      std::cout << fmt::format("  error {:<18} {}\n", code, n);
    }
  }
  std::cout << fmt::format("  accepted events/s  {:.0f}  (steady-state window {:.1f} s)\n",
                           r.accepted_per_s, r.window_s);
  std::cout << "  ack latency        " << percentiles_line(r.ack_ms) << "\n";
  if (r.http_ack_ms.samples > 0) {
    std::cout << "    WebSocket        " << percentiles_line(r.ws_ack_ms) << "\n";
    std::cout << "    HTTP batch       " << percentiles_line(r.http_ack_ms) << "\n";
  }
  if (t.probes_sent > 0) {
    std::cout << fmt::format(
        "  probes             {} sent, {} acked, {} visible, {} timed out, "
        "{} queries\n",
        t.probes_sent, t.probes_acked, t.probes_visible, t.probes_timed_out, t.probe_queries);
    std::cout << "  ack -> queryable   " << percentiles_line(r.probe_ms) << "\n";
  }
  if (r.at_stop.ran) {
    if (r.at_stop.ok) {
      std::cout << fmt::format(
          "  store lag at stop  {} events ({:.2f} s of traffic): acked {}, queryable {} "
          "(counted {:.2f} s after the stop)\n",
          r.at_stop.lag(), r.lag_seconds_of_traffic(), r.at_stop.acked_before_stop,
          r.at_stop.stored, r.at_stop.answered_after_stop_s);
    } else {
      std::cout << "  store lag at stop  not measured: " << r.at_stop.error << "\n";
    }
  }
  if (r.verify.ran) {
    if (r.verify.matched) {
      std::cout << fmt::format(
          "  verify             stored pageviews {} + events {} == acked, {:.2f} s after the "
          "last ack ({:.2f} s after the stop)\n",
          r.verify.stored_pageviews, r.verify.stored_events, r.verify.seconds_to_match,
          r.verify.seconds_after_stop_to_match);
    } else {
      std::cout << fmt::format(
          "  verify             MISMATCH: stored pageviews {} events {}, acked {} / {}{}\n",
          r.verify.stored_pageviews, r.verify.stored_events, t.acked_pageviews + t.probes_acked,
          t.acked_events, r.verify.error.empty() ? "" : " (" + r.verify.error + ")");
    }
  }
}

std::string report_json(const Report& r) {
  const auto& t = r.totals;
  std::string out = "{\"url\":";
  core::append_json_string(out, r.url);
  out += ",\"shape\":";
  core::append_json_string(out, r.shape);
  out += fmt::format(R"(,"idle_authenticated":{},"acked_before_stop":{})", t.idle_authenticated,
                     t.acked_before_stop);
  out += fmt::format(
      R"(,"connections":{},"ws_connections":{},"http_connections":{},"rate_target":{:.0f},)"
      R"("duration_s":{:.1f},"window_s":{:.2f},"pipeline":{},"http_batch":{},)"
      R"("http_fraction":{:.3f},"sent":{},"http_sent":{},"acked":{},"acked_pageviews":{},"acked_events":{},)"
      R"("acked_bot":{},"unanswered":{},"sessions":{},"http_requests":{},)"
      R"("accepted_per_s":{:.0f},"errors":{{)",
      r.connections, r.ws_connections, r.http_connections, r.rate_target, r.duration_s, r.window_s,
      r.pipeline, r.http_batch, r.http_fraction, t.sent, t.http_sent, t.acked, t.acked_pageviews,
      t.acked_events, t.acked_bot, t.unanswered, t.sessions, t.http_requests, r.accepted_per_s);
  bool first = true;
  for (const auto& [code, n] : t.errors) {
    if (!first) out += ',';
    first = false;
    core::append_json_string(out, code);
    out += fmt::format(":{}", n);
  }
  out += "},\"ack_latency_ms\":" + percentiles_json(r.ack_ms);
  out += ",\"ws_ack_latency_ms\":" + percentiles_json(r.ws_ack_ms);
  out += ",\"http_ack_latency_ms\":" + percentiles_json(r.http_ack_ms);
  out += fmt::format(R"(,"probes":{{"sent":{},"acked":{},"visible":{},"timed_out":{},"queries":{},)"
                     R"("ack_to_queryable_ms":{}}})",
                     t.probes_sent, t.probes_acked, t.probes_visible, t.probes_timed_out,
                     t.probe_queries, percentiles_json(r.probe_ms));
  out +=
      fmt::format(R"(,"verify":{{"ran":{},"matched":{},"stored_pageviews":{},"stored_events":{},)"
                  R"("expected_pageviews":{},"expected_events":{},"seconds_to_match":{:.2f},)"
                  R"("seconds_after_stop_to_match":{:.2f},"error":)",
                  r.verify.ran, r.verify.matched, r.verify.stored_pageviews, r.verify.stored_events,
                  t.acked_pageviews + t.probes_acked, t.acked_events, r.verify.seconds_to_match,
                  r.verify.seconds_after_stop_to_match);
  core::append_json_string(out, r.verify.error);
  out += fmt::format(
      R"(}},"at_stop":{{"ran":{},"ok":{},"stored":{},"acked_before_stop":{},"lag_events":{},)"
      R"("lag_seconds_of_traffic":{:.3f},"answered_after_stop_s":{:.3f},"error":)",
      r.at_stop.ran, r.at_stop.ok, r.at_stop.stored, r.at_stop.acked_before_stop, r.at_stop.lag(),
      r.lag_seconds_of_traffic(), r.at_stop.answered_after_stop_s);
  core::append_json_string(out, r.at_stop.error);
  out += "}}\n";
  return out;
}

}  // namespace bklit::loadgen
