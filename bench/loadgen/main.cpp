// bklit-loadgen: realistic SDK traffic against a running `bklit serve`.
// See bench/README.md for how the benchmark runs it.

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "load_run.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "run_context.hpp"
#include "traffic.hpp"

int main(int argc, char** argv) {
  using bklit::loadgen::LoadOptions;
  LoadOptions opt;
  CLI::App app{"bklit-loadgen: WebSocket and HTTP load with realistic SDK sessions"};
  app.add_option("--url", opt.url, "ws://HOST:PORT of bklit serve")->capture_default_str();
  app.add_option("--project", opt.project_id, "project id")->required();
  app.add_option("--token", opt.token, "ingest token (sent in auth and each message)");
  app.add_option("--read-token", opt.read_token, "read token (for --probe and --verify)");
  app.add_option("--origin", opt.origin, "page origin, https://<project domain>");
  app.add_option("--connections", opt.connections, "clients (WebSocket + HTTP)")
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "events/s in total; 0 = as fast as acks allow")
      ->capture_default_str();
  app.add_option("--duration", opt.duration_s, "seconds of sending")->capture_default_str();
  app.add_option("--warmup", opt.warmup_s,
                 "seconds excluded from the steady-state window (default min(3, duration/10))");
  app.add_option("--drain", opt.drain_s, "seconds to wait for outstanding acks at the end")
      ->capture_default_str();
  app.add_option("--http-fraction", opt.http_fraction,
                 "share of events sent as POST /api/track batches")
      ->capture_default_str();
  app.add_option("--http-batch", opt.http_batch, "messages per /api/track request")
      ->capture_default_str();
  app.add_option("--pipeline", opt.pipeline, "max unacked messages per WebSocket")
      ->capture_default_str();
  app.add_flag("--persistent", opt.persistent,
               "keep each WebSocket open for the whole run and send pageviews only (no "
               "session_end, no reconnect)");
  app.add_flag("--idle", opt.idle,
               "open --connections WebSockets, authenticate them and keep them idle until "
               "--duration ends (memory per idle socket)");
  app.add_option("--idle-ramp-us", opt.idle_ramp_us,
                 "--idle: client i starts connecting i * this many microseconds after the start")
      ->capture_default_str();
  app.add_option("--ready-file", opt.ready_file,
                 "--idle: write the number of authenticated sockets to FILE once all are open");
  app.add_option("--threads", opt.threads, "loadgen I/O threads")->capture_default_str();
  app.add_flag("!--no-forwarded-for", opt.forwarded_for,
               "do not send X-Forwarded-For with a public IP per session");
  app.add_flag("--probe", opt.probe, "measure ack -> visible in /api/v2/query");
  app.add_option("--probe-interval-ms", opt.probe_interval_ms, "one probe pageview every N ms")
      ->capture_default_str();
  app.add_option("--probe-poll-ms", opt.probe_poll_ms, "query poll interval")
      ->capture_default_str();
  app.add_option("--probe-timeout", opt.probe_timeout_s, "seconds before a probe counts as lost")
      ->capture_default_str();
  app.add_flag("--verify", opt.verify, "after the run, wait until the Stats API counts the acks");
  app.add_option("--verify-timeout", opt.verify_timeout_s,
                 "seconds after the end of sending before --verify gives up")
      ->capture_default_str();
  app.add_option("--json", opt.json_file, "also write the report as JSON to FILE");
  app.add_option("--dump-http-body", opt.dump_http_body,
                 "write one /api/track body of --http-batch messages to FILE and one single "
                 "message body to FILE.single, then exit");
  app.add_option("--seed", opt.seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  if (!opt.dump_http_body.empty()) {
    auto host =
        bklit::loadgen::site_host_of(opt.origin.empty() ? "https://example.com" : opt.origin);
    std::ofstream(opt.dump_http_body) << bklit::loadgen::sample_track_body(
        opt, host, static_cast<std::size_t>(std::max(1, opt.http_batch)));
    std::ofstream(opt.dump_http_body + ".single")
        << bklit::loadgen::sample_track_body(opt, host, 1);
    return 0;
  }

  auto report = bklit::loadgen::run_load(opt);
  if (!report) {
    std::cerr << "error: " << report.error().message << "\n";
    return 2;
  }
  bklit::loadgen::print_report(*report);
  if (!opt.json_file.empty()) {
    std::ofstream out(opt.json_file);
    out << bklit::loadgen::report_json(*report);
    if (!out) {
      std::cerr << "error: cannot write " << opt.json_file << "\n";
      return 1;
    }
  }
  return report->verify.ran && !report->verify.matched ? 1 : 0;
}
