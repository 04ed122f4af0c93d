#pragma once
// What one loadgen thread counts, and the merged report.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bklit::loadgen {

// Owned by one thread (one io_context); merged once every thread has stopped.
struct ThreadMetrics {
  std::uint64_t sent = 0;             // load messages written (WebSocket) or posted (HTTP)
  std::uint64_t http_sent = 0;        // ... of which posted to /api/track
  std::uint64_t acked = 0;            // load messages acked / accepted
  std::uint64_t acked_in_window = 0;  // ... with the ack inside the steady-state window
  std::uint64_t acked_pageviews = 0;  // acked non-bot pageviews (what the Stats API counts)
  std::uint64_t acked_events = 0;     // acked non-bot custom events
  std::uint64_t acked_bot = 0;        // acked messages with a bot user agent (not counted)
  // Non-bot pageviews and events (probes included) acked before the end of sending: what
  // the store should hold at that moment if it kept pace.
  std::uint64_t acked_before_stop = 0;
  std::uint64_t unanswered = 0;          // sent, but no answer before the drain deadline
  std::uint64_t sessions = 0;            // WebSocket sessions started
  std::uint64_t idle_authenticated = 0;  // --idle: sockets that got auth_success
  std::uint64_t http_requests = 0;
  std::map<std::string, std::uint64_t> errors;  // error code -> messages
  // Ack latency in microseconds, from the scheduled send time (open loop) or the send time
  // (closed loop), for messages scheduled inside the steady-state window.
  std::vector<std::uint32_t> ws_latency_us;
  std::vector<std::uint32_t> http_latency_us;

  // Ack-to-queryable probes.
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_acked = 0;
  std::uint64_t probes_visible = 0;
  std::uint64_t probes_timed_out = 0;
  std::uint64_t probe_queries = 0;
  std::vector<double> probe_visible_ms;

  void error(const std::string& code, std::uint64_t n = 1) { errors[code] += n; }
  void merge(ThreadMetrics&& other);
};

struct Percentiles {
  std::size_t samples = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Percentiles latency_percentiles_ms(std::vector<std::uint32_t>& us);
Percentiles percentiles(std::vector<double>& ms);

struct VerifyResult {
  bool ran = false;
  bool matched = false;
  std::uint64_t stored_pageviews = 0;
  std::uint64_t stored_events = 0;
  double seconds_to_match = 0;             // after the last ack
  double seconds_after_stop_to_match = 0;  // after the end of sending
  std::string error;
};

// The store's lag when the load stops: one Stats API count taken at the end of sending,
// against what had been acked by then.
struct StopSnapshot {
  bool ran = false;
  bool ok = false;
  std::uint64_t stored = 0;             // pageviews + events the Stats API counted
  std::uint64_t acked_before_stop = 0;  // non-bot pageviews + events acked before the stop
  double answered_after_stop_s = 0;     // when the count came back, after the stop
  std::string error;

  std::int64_t lag() const {
    return static_cast<std::int64_t>(acked_before_stop) - static_cast<std::int64_t>(stored);
  }
};

struct Report {
  std::string url;
  int connections = 0, ws_connections = 0, http_connections = 0;
  double rate_target = 0, duration_s = 0, window_s = 0;
  int pipeline = 0, http_batch = 0;
  double http_fraction = 0;
  std::string shape;  // "realistic", "persistent" or "idle"
  ThreadMetrics totals;
  double accepted_per_s = 0;
  Percentiles ack_ms, ws_ack_ms, http_ack_ms, probe_ms;
  VerifyResult verify;
  StopSnapshot at_stop;
  // The lag at the stop in seconds of traffic at the accepted rate (the "<= 2 s").
  double lag_seconds_of_traffic() const {
    return accepted_per_s > 0 ? static_cast<double>(at_stop.lag()) / accepted_per_s : 0;
  }
};

void print_report(const Report& r);
std::string report_json(const Report& r);

}  // namespace bklit::loadgen
