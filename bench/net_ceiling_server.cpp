// bklit-net-ceiling: the same-run WebSocket ceiling of bench/run_bench.sh on bklit's own
// network layer (bklit::net::Server: the same HTTP upgrade, framing, threads, batching of
// reads and coalescing of writes as `bklit serve`). It speaks just enough of the SDK protocol
// (docs/protocol.md) for bklit-loadgen: `connected` on open, `auth_success` for `auth`, and
// an `ack` of bklit's shape for every pageview or event, handed over per read like the SDK
// socket does; nothing else (no JSON parsing beyond the type, no enrichment, queue or store).
// bklit's rate divided by this one is the share of the socket path's ceiling it reaches.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bklit/net/server.hpp"
#include "ceiling_replies.hpp"

namespace {

class AckSession : public bklit::net::WsSession {
 public:
  AckSession(std::shared_ptr<bklit::net::WsConnection> conn, std::string session_id)
      : conn_(std::move(conn)), session_id_(std::move(session_id)) {}

  void on_open() override {
    conn_->send_text(R"({"type":"connected","sessionId":")" + session_id_ + "\"}");
  }
  void on_text(std::string message) override {
    replies_.push_back(bklit::bench::reply_to(message));
  }
  void on_binary(std::size_t /*bytes*/) override {}
  void on_read_idle() override {
    if (replies_.empty()) return;
    conn_->send_texts(std::move(replies_));
    replies_.clear();
  }
  void on_close(std::uint16_t /*code*/) override {}

 private:
  std::shared_ptr<bklit::net::WsConnection> conn_;
  std::string session_id_;
  std::vector<std::string> replies_;
};

std::atomic<bool> g_stop{false};

int run(int argc, char** argv) {
  bklit::net::ServerOptions options;
  std::string port_file;
  CLI::App app{"bklit-net-ceiling: bklit's network layer answering SDK messages, nothing else"};
  app.add_option("--host", options.host, "listen address")->capture_default_str();
  app.add_option("--port", options.port, "listen port; 0 = a free one")->capture_default_str();
  app.add_option("--threads", options.threads, "I/O threads; 0 = one per core")
      ->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to FILE once listening");
  CLI11_PARSE(app, argc, argv);

  bklit::net::Handlers handlers;
  handlers.http = [](bklit::net::HttpRequest&& /*req*/, const bklit::net::Responder& respond) {
    respond(bklit::net::HttpResponse::error(426, "upgrade_required", "WebSocket only"));
  };
  handlers.websocket =
      [](const bklit::net::HttpRequest& req,
         std::shared_ptr<bklit::net::WsConnection> conn) -> std::shared_ptr<bklit::net::WsSession> {
    auto session = req.query_param("sessionId");
    if (req.path != "/" || req.query_param("projectId").empty() || session.empty()) return nullptr;
    return std::make_shared<AckSession>(std::move(conn), session);
  };
  bklit::net::Server server(options, std::move(handlers));
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file) << server.port() << "\n";
  }
  std::cout << "listening on " << options.host << ":" << server.port() << std::endl;
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
