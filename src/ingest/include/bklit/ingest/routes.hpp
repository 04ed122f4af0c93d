#pragma once
// The ingest's routes: the SDK WebSocket on "/" and POST /api/track (docs/protocol.md),
// which browsers may call from the site's own pages (CORS).

#include "bklit/ingest/ingest_service.hpp"
#include "bklit/net/router.hpp"

namespace bklit::ingest {

// `service` must outlive the router.
void add_routes(net::Router& router, IngestService& service);

}  // namespace bklit::ingest
