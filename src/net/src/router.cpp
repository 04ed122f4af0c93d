#include "bklit/net/router.hpp"

#include <algorithm>
#include <utility>

namespace bklit::net {

void Router::add(std::string method, std::string path, HttpHandler handler) {
  for (auto& route : http_) {
    if (route.method == method && route.path == path) {
      route.handler = std::move(handler);
      return;
    }
  }
  http_.push_back({std::move(method), std::move(path), std::move(handler)});
}

void Router::allow_cross_origin(std::string path, CorsPolicy policy) {
  cors_.push_back({std::move(path), std::move(policy)});
}

void Router::add_websocket(std::string path, WebSocketHandler handler) {
  websockets_.push_back({std::move(path), std::move(handler)});
}

const Router::CorsRoute* Router::cors_for(std::string_view path) const {
  auto it =
      std::find_if(cors_.begin(), cors_.end(), [&](const CorsRoute& c) { return c.path == path; });
  return it == cors_.end() ? nullptr : &*it;
}

void Router::handle(HttpRequest&& request, Responder respond) const {
  std::string allowed;  // the methods routed on this path, for 405 and preflights
  for (const auto& route : http_) {
    if (route.path != request.path) continue;
    if (route.method == request.method) {
      const CorsRoute* cors = cors_for(request.path);
      std::string origin(request.header("origin"));
      if (cors == nullptr || origin.empty()) {
        route.handler(std::move(request), std::move(respond));
        return;
      }
      route.handler(std::move(request),
                    [origin = std::move(origin), respond = std::move(respond)](HttpResponse res) {
                      res.headers.emplace_back("Access-Control-Allow-Origin", origin);
                      res.headers.emplace_back("Vary", "Origin");
                      respond(std::move(res));
                    });
      return;
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (allowed.empty()) {
    respond(HttpResponse::error(404, "not_found", "no such endpoint"));
    return;
  }
  const CorsRoute* cors = cors_for(request.path);
  if (cors != nullptr && request.method == "OPTIONS") {
    HttpResponse res;
    res.status = 204;
    res.content_type.clear();
    res.headers.emplace_back("Access-Control-Allow-Origin", std::string(request.header("origin")));
    res.headers.emplace_back("Access-Control-Allow-Methods", allowed);
    res.headers.emplace_back("Access-Control-Allow-Headers", cors->policy.allow_headers);
    res.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors->policy.max_age_s));
    res.headers.emplace_back("Vary", "Origin");
    respond(std::move(res));
    return;
  }
  auto res = HttpResponse::error(405, "method_not_allowed", "use " + allowed);
  res.headers.emplace_back("Allow", allowed);
  respond(std::move(res));
}

std::shared_ptr<WsSession> Router::upgrade(const HttpRequest& request,
                                           std::shared_ptr<WsConnection> connection) const {
  for (const auto& route : websockets_) {
    if (route.path == request.path) return route.handler(request, std::move(connection));
  }
  return nullptr;
}

Handlers Router::into_handlers(const std::shared_ptr<const Router>& router) {
  Handlers handlers;
  handlers.http = [router](HttpRequest&& request, Responder respond) {
    router->handle(std::move(request), std::move(respond));
  };
  handlers.websocket = [router](const HttpRequest& request,
                                std::shared_ptr<WsConnection> connection) {
    return router->upgrade(request, std::move(connection));
  };
  return handlers;
}

}  // namespace bklit::net
