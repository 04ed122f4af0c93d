#include "load_run.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bklit/core/ids.hpp"
#include "run_context.hpp"

namespace bklit::loadgen {

namespace asio = boost::asio;

namespace {

core::Result<Target> parse_ws_url(const std::string& url) {
  constexpr std::string_view kScheme = "ws://";
  if (!std::string_view(url).starts_with(kScheme)) {
    return core::make_error("bad_url",
                            "--url must look like ws://HOST:PORT (wss is not supported)");
  }
  std::string rest = url.substr(kScheme.size());
  Target t;
  auto slash = rest.find('/');
  if (slash != std::string::npos) {
    t.path = rest.substr(slash);
    rest.resize(slash);
  }
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon + 1 == rest.size()) {
    return core::make_error("bad_url", "--url needs an explicit port: ws://HOST:PORT");
  }
  t.host = rest.substr(0, colon);
  t.port = rest.substr(colon + 1);
  t.host_header = rest;
  return t;
}

// co_spawn completion: an exception escaping a client is a bug in the loadgen or a broken
// environment; it ends that thread's run and is reported.
struct Rethrow {
  void operator()(std::exception_ptr e) const {
    if (e) std::rethrow_exception(e);
  }
};

}  // namespace

std::string site_host_of(const std::string& origin) {
  std::string_view v = origin;
  if (auto scheme = v.find("://"); scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
  v = v.substr(0, v.find('/'));
  v = v.substr(0, v.find(':'));
  return std::string(v);
}

core::Result<Report> run_load(const LoadOptions& opt) {
  auto target = parse_ws_url(opt.url);
  if (!target) return target.error();
  if (opt.project_id.empty()) return core::make_error("bad_option", "--project is required");
  if ((opt.probe || opt.verify) && opt.read_token.empty()) {
    return core::make_error("bad_option", "--probe and --verify need --read-token");
  }
  if (opt.connections < 1 || opt.threads < 1 || opt.duration_s <= 0) {
    return core::make_error("bad_option", "--connections, --threads and --duration must be > 0");
  }

  RunPlan plan;
  plan.options = &opt;
  plan.target = *target;
  plan.site_host = opt.origin.empty() ? std::string("example.com") : site_host_of(opt.origin);
  plan.run_id = core::random_lower_alnum(8);
  {
    asio::io_context resolve_ctx;
    asio::ip::tcp::resolver resolver(resolve_ctx);
    boost::system::error_code ec;
    plan.endpoints = resolver.resolve(plan.target.host, plan.target.port, ec);
    if (ec) {
      return core::make_error("resolve_failed",
                              fmt::format("cannot resolve {}: {}", plan.target.host, ec.message()));
    }
  }

  if (opt.idle && opt.persistent) {
    return core::make_error("bad_option", "--idle and --persistent exclude each other");
  }
  const double fraction = opt.idle ? 0.0 : std::clamp(opt.http_fraction, 0.0, 1.0);
  int http_clients =
      fraction <= 0 ? 0 : std::max(1, static_cast<int>(std::lround(opt.connections * fraction)));
  if (fraction < 1 && http_clients >= opt.connections) http_clients = opt.connections - 1;
  const int ws_clients = opt.connections - http_clients;
  const double ws_rate = ws_clients > 0 ? opt.rate * (1 - fraction) / ws_clients : 0;
  const double http_rate = http_clients > 0 ? opt.rate * fraction / http_clients : 0;
  if (opt.rate > 0 && ((ws_clients > 0 && ws_rate <= 0) || (http_clients > 0 && http_rate <= 0))) {
    return core::make_error("bad_option", "--rate is too low for this split of connections");
  }

  auto seconds = [](double s) {
    return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
  };
  const double warmup = opt.warmup_s >= 0 ? std::min(opt.warmup_s, opt.duration_s * 0.5)
                                          : std::min(3.0, opt.duration_s / 10);
  plan.start = SteadyClock::now() + std::chrono::milliseconds(200);
  plan.window_begin = plan.start + seconds(warmup);
  plan.send_end = plan.start + seconds(opt.duration_s);
  plan.drain_deadline = plan.send_end + seconds(opt.drain_s);

  const int threads = opt.threads;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<ThreadMetrics> metrics(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  for (int i = 0; i < opt.connections; ++i) {
    auto t = static_cast<std::size_t>(i % threads);
    auto seed = opt.seed * 1000003ULL + static_cast<std::uint64_t>(i);
    if (i < ws_clients && opt.idle) {
      auto delay = std::chrono::duration_cast<SteadyClock::duration>(
          std::chrono::duration<double, std::micro>(opt.idle_ramp_us * i));
      asio::co_spawn(*contexts[t], run_ws_idle(plan, metrics[t], delay), Rethrow{});
    } else if (i < ws_clients && opt.persistent) {
      asio::co_spawn(*contexts[t], run_ws_persistent(plan, metrics[t], ws_rate, seed), Rethrow{});
    } else if (i < ws_clients) {
      asio::co_spawn(*contexts[t], run_ws_visitor(plan, metrics[t], ws_rate, seed), Rethrow{});
    } else {
      asio::co_spawn(*contexts[t], run_http_sender(plan, metrics[t], http_rate, seed), Rethrow{});
    }
  }
  if (opt.probe) asio::co_spawn(*contexts[0], run_probe(plan, metrics[0]), Rethrow{});

  // The store's lag is counted at the end of sending, on a thread of its own so that a busy
  // load thread cannot delay the count.
  StopSnapshot at_stop;
  std::thread snapshot_thread;
  if (opt.verify && !opt.idle) {
    snapshot_thread = std::thread([&plan, &at_stop] {
      asio::io_context ctx;
      asio::co_spawn(ctx, run_stop_snapshot(plan, at_stop), Rethrow{});
      try {
        ctx.run();
      } catch (const std::exception& e) {
        at_stop.error = std::string("snapshot failed: ") + e.what();
      }
    });
  }

  std::mutex failure_mu;
  std::string failure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        contexts[static_cast<std::size_t>(t)]->run();
      } catch (const std::exception& e) {
        std::lock_guard lock(failure_mu);
        failure = e.what();
      }
    });
  }
  for (auto& w : workers) w.join();
  if (snapshot_thread.joinable()) snapshot_thread.join();
  if (!failure.empty()) {
    return core::make_error("loadgen_failed", "a load thread failed: " + failure, 500);
  }

  Report r;
  r.url = opt.url;
  r.connections = opt.connections;
  r.ws_connections = ws_clients;
  r.http_connections = http_clients;
  r.rate_target = opt.rate;
  r.duration_s = opt.duration_s;
  r.window_s = opt.duration_s - warmup;
  r.pipeline = opt.pipeline;
  r.http_batch = opt.http_batch;
  r.http_fraction = fraction;
  r.shape = opt.idle ? "idle" : opt.persistent ? "persistent" : "realistic";
  for (auto& m : metrics) r.totals.merge(std::move(m));
  r.at_stop = at_stop;
  r.at_stop.acked_before_stop = r.totals.acked_before_stop;
  r.accepted_per_s = static_cast<double>(r.totals.acked_in_window) / r.window_s;
  std::vector<std::uint32_t> all = r.totals.ws_latency_us;
  all.insert(all.end(), r.totals.http_latency_us.begin(), r.totals.http_latency_us.end());
  r.ack_ms = latency_percentiles_ms(all);
  r.ws_ack_ms = latency_percentiles_ms(r.totals.ws_latency_us);
  r.http_ack_ms = latency_percentiles_ms(r.totals.http_latency_us);
  r.probe_ms = percentiles(r.totals.probe_visible_ms);

  if (opt.verify) {
    asio::io_context verify_ctx;
    asio::co_spawn(verify_ctx,
                   run_verify(plan, r.totals.acked_pageviews + r.totals.probes_acked,
                              r.totals.acked_events, r.verify),
                   Rethrow{});
    verify_ctx.run();
  }
  return r;
}

}  // namespace bklit::loadgen
