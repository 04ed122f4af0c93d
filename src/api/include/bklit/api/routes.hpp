#pragma once
// The api role's routes: POST /api/v2/query (the Stats API, docs/api.md) and the live
// relay WebSocket on /api/live.

#include "bklit/api/live_endpoint.hpp"
#include "bklit/api/stats_endpoint.hpp"
#include "bklit/net/router.hpp"

namespace bklit::api {

// `stats` and `live` must outlive the router.
void add_routes(net::Router& router, const StatsDeps& stats, const LiveDeps& live);

}  // namespace bklit::api
