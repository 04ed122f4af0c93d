#include "bklit/api/routes.hpp"

namespace bklit::api {

void add_routes(net::Router& router, const StatsDeps& stats, const LiveDeps& live) {
  router.add("POST", "/api/v2/query", [&stats](net::HttpRequest&& request, net::Responder respond) {
    handle_stats_query(stats, std::move(request), std::move(respond));
  });
  router.add_websocket("/api/live", [&live](const net::HttpRequest& request,
                                            std::shared_ptr<net::WsConnection> connection) {
    return make_live_socket(live, request, std::move(connection));
  });
}

}  // namespace bklit::api
