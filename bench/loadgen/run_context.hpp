#pragma once
// The shared, read-only plan of one load run and the client coroutines that follow it.
// Each loadgen thread owns one io_context; a client lives on one thread, so per-thread
// metrics need no locking.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "metrics.hpp"
#include "options.hpp"

namespace bklit::loadgen {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

struct Target {
  std::string host;
  std::string port;
  std::string path = "/";  // WebSocket path
  std::string host_header;
};

struct RunPlan {
  const LoadOptions* options = nullptr;
  Target target;
  boost::asio::ip::tcp::resolver::results_type endpoints;
  std::string site_host;  // the project's domain, from --origin
  std::string run_id;     // makes probe paths unique across runs on one data directory
  TimePoint start;
  TimePoint window_begin;    // steady-state window: [window_begin, send_end)
  TimePoint send_end;        // no new messages are scheduled from here on
  TimePoint drain_deadline;  // outstanding acks are given up at this point
  // --idle: sockets authenticated so far over every thread; the last one writes
  // --ready-file.
  mutable std::atomic<int> idle_authenticated{0};

  bool in_window(TimePoint t) const { return t >= window_begin && t < send_end; }
};

// Open-loop schedule of one client: a message every `interval`, whatever the acks do, so
// latency is measured from when a message was due, not from when it could be sent.
class Pacer {
 public:
  Pacer(double events_per_s, TimePoint start, double phase)
      : open_loop_(events_per_s > 0),
        interval_(open_loop_ ? std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(1.0 / events_per_s))
                             : SteadyClock::duration::zero()),
        next_(start + std::chrono::duration_cast<SteadyClock::duration>(interval_ * phase)) {}

  bool open_loop() const { return open_loop_; }
  // The due time of the next message (open loop), or now (closed loop).
  TimePoint take(std::size_t messages = 1) {
    if (!open_loop_) return SteadyClock::now();
    TimePoint due = next_;
    next_ += interval_ * static_cast<long>(messages);
    return due;
  }

 private:
  bool open_loop_;
  SteadyClock::duration interval_;
  TimePoint next_;
};

// Sleeps until `t` on `timer` (returns early if the timer is cancelled).
boost::asio::awaitable<void> sleep_until(boost::asio::steady_timer& timer, TimePoint t);

// One WebSocket visitor slot: session after session until the send window ends.
boost::asio::awaitable<void> run_ws_visitor(const RunPlan& plan, ThreadMetrics& metrics,
                                            double events_per_s, std::uint64_t seed);
// One HTTP client posting /api/track batches.
boost::asio::awaitable<void> run_http_sender(const RunPlan& plan, ThreadMetrics& metrics,
                                             double events_per_s, std::uint64_t seed);
// Ack-to-queryable probes: pageviews with unique paths, polled through /api/v2/query.
boost::asio::awaitable<void> run_probe(const RunPlan& plan, ThreadMetrics& metrics);
// One /api/track body of `messages` realistic messages (for wrk and nginx comparisons).
std::string sample_track_body(const LoadOptions& opt, const std::string& site_host,
                              std::size_t messages);

// Counts what the Stats API holds at the end of sending (the store's lag at the stop).
boost::asio::awaitable<void> run_stop_snapshot(const RunPlan& plan, StopSnapshot& result);
// Persistent WebSocket client: one socket for the whole run, pageviews only.
boost::asio::awaitable<void> run_ws_persistent(const RunPlan& plan, ThreadMetrics& metrics,
                                               double events_per_s, std::uint64_t seed);
// Idle WebSocket client: connects after `delay`, authenticates, then waits for the end.
boost::asio::awaitable<void> run_ws_idle(const RunPlan& plan, ThreadMetrics& metrics,
                                         SteadyClock::duration delay);

// Polls the Stats API until it counts what was acked (or the timeout passes).
boost::asio::awaitable<void> run_verify(const RunPlan& plan, std::uint64_t pageviews,
                                        std::uint64_t events, VerifyResult& result);

}  // namespace bklit::loadgen
