#pragma once
// One server-side WebSocket connection over a TCP socket, after the HTTP upgrade request has
// been read and checked (server.cpp). Private to net.

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bklit/net/server.hpp"

namespace bklit::net {

struct WsLimits {
  std::size_t max_message_bytes = std::size_t{32} * 1024;
  std::size_t max_write_queue = 4096;  // frames waiting to be written
  std::chrono::milliseconds idle_timeout{60000};
  // After the server sends a close frame, how long (and how many bytes) it keeps reading
  // and discarding what the client still sends before it drops the connection, so that a
  // client in the middle of a large frame reads the close instead of a reset.
  std::chrono::milliseconds close_drain_time{5000};
  std::size_t close_drain_bytes = std::size_t{16} << 20;
};

// A connection as the server sees it: the application's interface, and a way to let go of
// the session when the server stops with the connection still open.
class WsServerConnection : public WsConnection {
 public:
  // Only once the I/O threads have stopped: drops the session (which holds the connection
  // in turn), so neither outlives the server.
  virtual void abandon() = 0;
};

// The open connections, for close_websockets() and open_websockets().
class WsRegistry {
 public:
  void add(const std::shared_ptr<WsServerConnection>& c);
  void remove(const std::shared_ptr<WsServerConnection>& c);
  std::vector<std::shared_ptr<WsServerConnection>> snapshot() const;
  std::size_t size() const;
  void clear();

 private:
  mutable std::mutex mu_;
  std::set<std::shared_ptr<WsServerConnection>> open_;
};

// Asks `handlers.websocket` for the session of an upgrade request that has been checked
// (server.cpp), then runs the connection on the socket's executor (a strand) until it is
// gone: the 101 answer with `accept_key`, or a 404 when the handler wants none. Returns at
// once; the connection owns its state, so nothing of the HTTP exchange stays alive beside
// an idle socket. `early_bytes` are bytes the HTTP reader had already taken off the socket
// after the request.
void start_websocket(boost::asio::ip::tcp::socket socket, std::string early_bytes,
                     const std::string& accept_key, const HttpRequest& request,
                     const WsLimits& limits, const Handlers& handlers, WsRegistry& registry);

}  // namespace bklit::net
