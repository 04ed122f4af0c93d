#include "bklit/ingest/routes.hpp"

#include "bklit/ingest/sdk_socket.hpp"

namespace bklit::ingest {

void add_routes(net::Router& router, IngestService& service) {
  router.add_websocket("/", [&service](const net::HttpRequest& upgrade,
                                       std::shared_ptr<net::WsConnection> connection) {
    return make_sdk_socket(service, upgrade, std::move(connection));
  });
  router.add("POST", "/api/track", [&service](net::HttpRequest&& request, net::Responder respond) {
    handle_track(service, std::move(request), std::move(respond));
  });
  router.allow_cross_origin("/api/track");
}

}  // namespace bklit::ingest
