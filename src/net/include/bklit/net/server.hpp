#pragma once
// HTTP/1.1 (Boost.Beast, inside server.cpp only) and WebSocket (our own framing, in
// ws_connection.cpp and ws_frame.cpp) server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bklit/net/http.hpp"

namespace bklit::net {

// One WebSocket connection as the application sees it. Every method is thread-safe.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Queues a text frame; frames go out in the order queued.
  virtual void send_text(std::string text) = 0;
  // Queues several text frames at once (one hand-off to the connection's thread; frames
  // queued together leave in one write).
  virtual void send_texts(std::vector<std::string> texts) {
    for (auto& t : texts) send_text(std::move(t));
  }
  // Sends a close frame after every queued frame, then drops the connection.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Back-pressure: while paused the connection reads no further frames.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  virtual const std::string& remote_ip() const = 0;
};

// The application's side of one WebSocket connection. Callbacks for one connection never
// run concurrently and come in order.
class WsSession {
 public:
  virtual ~WsSession() = default;
  virtual void on_open() = 0;
  virtual void on_text(std::string message) = 0;
  virtual void on_binary(std::size_t bytes) = 0;
  // Every message that had arrived has been handed over (on_text / on_binary), before the
  // connection waits for more: a session may gather work across messages and act here.
  virtual void on_read_idle() {}
  // The connection is gone (peer closed, error, oversized frame, server stop).
  virtual void on_close(std::uint16_t code) = 0;
};

struct Handlers {
  std::function<void(HttpRequest&&, Responder)> http;
  // Called for an upgrade request; returning nullptr answers 404.
  std::function<std::shared_ptr<WsSession>(const HttpRequest&, std::shared_ptr<WsConnection>)>
      websocket;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port
  int threads = 0;            // 0 = one per core
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_ws_message_bytes = 32 * 1024;
  std::size_t max_ws_write_queue = 4096;  // frames; beyond, the slow client is dropped
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds ws_idle_timeout{60};
};

class Server {
 public:
  Server(ServerOptions options, Handlers handlers);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the I/O threads. Throws std::runtime_error when the address is taken.
  void start();
  std::uint16_t port() const;
  // Closes the listening socket; open connections keep working.
  void stop_accepting();
  // Closes every WebSocket with `code` after its queued frames.
  void close_websockets(std::uint16_t code, const std::string& reason);
  // Stops the I/O threads and drops every connection.
  void stop();
  std::size_t open_websockets() const;

  struct Impl;  // public only so server.cpp's connection types can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bklit::net
