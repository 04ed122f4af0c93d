#pragma once
// The route table of one process: each module adds the HTTP and WebSocket routes it serves
// (ingest::add_routes, api::add_routes, api::add_health_routes), and the router answers
// what no route claims: 404 for an unknown path, 405 with `Allow` for a known path asked
// with another method.

#include <memory>
#include <string>
#include <vector>

#include "bklit/net/http.hpp"
#include "bklit/net/server.hpp"

namespace bklit::net {

using HttpHandler = std::function<void(HttpRequest&&, Responder)>;
using WebSocketHandler =
    std::function<std::shared_ptr<WsSession>(const HttpRequest&, std::shared_ptr<WsConnection>)>;

// What a browser may send cross-origin to a route (CORS). The router answers the
// preflight `OPTIONS` itself and adds `Access-Control-Allow-Origin` to every response of
// the route. Which origins may send data is the handler's decision (the ingest checks the
// page's origin against the project's domains), so the router echoes the request's Origin.
struct CorsPolicy {
  std::string allow_headers = "content-type, authorization";
  int max_age_s = 86400;
};

class Router {
 public:
  // Exact path match. Adding the same method and path twice replaces the first handler.
  void add(std::string method, std::string path, HttpHandler handler);
  // Lets browsers call `path` from other origins with the methods routed on it.
  void allow_cross_origin(std::string path, CorsPolicy policy = {});
  void add_websocket(std::string path, WebSocketHandler handler);

  // Answers one request; `respond` is called exactly once.
  void handle(HttpRequest&& request, Responder respond) const;
  // The session for an upgrade request; nullptr when no route claims the path (the server
  // then closes the socket with 1008).
  std::shared_ptr<WsSession> upgrade(const HttpRequest& request,
                                     std::shared_ptr<WsConnection> connection) const;

  // The server's handlers, sharing this table (which must not change afterwards).
  static Handlers into_handlers(const std::shared_ptr<const Router>& router);

 private:
  struct HttpRoute {
    std::string method, path;
    HttpHandler handler;
  };
  struct CorsRoute {
    std::string path;
    CorsPolicy policy;
  };
  struct WebSocketRoute {
    std::string path;
    WebSocketHandler handler;
  };
  const CorsRoute* cors_for(std::string_view path) const;

  std::vector<HttpRoute> http_;
  std::vector<CorsRoute> cors_;
  std::vector<WebSocketRoute> websockets_;
};

}  // namespace bklit::net
