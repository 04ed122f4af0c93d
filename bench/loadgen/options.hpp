#pragma once
// Command-line settings of bklit-loadgen.

#include <cstddef>
#include <string>

namespace bklit::loadgen {

struct LoadOptions {
  std::string url = "ws://127.0.0.1:8080";  // ws://HOST:PORT[/path]; HTTP goes to the same port
  std::string project_id;
  std::string token;       // ingest token
  std::string read_token;  // for --probe and --verify
  std::string origin;      // https://<project domain>
  int connections = 100;   // WebSocket and HTTP clients together
  double rate = 0;         // events/s over all clients; 0 = as fast as acks allow
  double duration_s = 30;
  double warmup_s = -1;      // excluded from the steady-state window; -1 = min(3, duration / 10)
  double drain_s = 10;       // after the duration, how long to wait for outstanding acks
  double http_fraction = 0;  // share of events sent as POST /api/track batches
  int http_batch = 20;       // messages per /api/track request
  int pipeline = 32;         // max unacked messages per WebSocket
  // Persistent sockets: each WebSocket client connects once and sends pageviews until the
  // end (no session_end, no reconnect unless the server drops it).
  bool persistent = false;
  // Idle sockets: each client connects, authenticates and then sends nothing until the end.
  bool idle = false;
  double idle_ramp_us = 200;  // --idle: client i starts connecting at i * this
  std::string ready_file;     // --idle: written once every socket is authenticated
  int threads = 2;
  bool forwarded_for = true;  // send X-Forwarded-For with a realistic public IP per session
  bool probe = false;
  int probe_interval_ms = 500;
  int probe_poll_ms = 50;
  double probe_timeout_s = 30;
  bool verify = false;           // after the run, wait until the Stats API counts what was acked
  double verify_timeout_s = 60;  // counted from the end of sending
  std::string json_file;
  std::string dump_http_body;  // write one /api/track body (and one WS message) and exit
  std::size_t seed = 1;
};

}  // namespace bklit::loadgen
