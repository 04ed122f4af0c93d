#pragma once
// The Bklit WebSocket protocol on path "/" (docs/protocol.md): one session object per socket.

#include <memory>

#include "bklit/ingest/ingest_service.hpp"
#include "bklit/net/server.hpp"

namespace bklit::ingest {

std::shared_ptr<net::WsSession> make_sdk_socket(IngestService& service,
                                                const net::HttpRequest& upgrade,
                                                std::shared_ptr<net::WsConnection> connection);

// POST /api/track: the same messages as a JSON array; answers 202 with a result per
// message once the accepted ones are durable.
void handle_track(IngestService& service, net::HttpRequest&& request, net::Responder respond);

}  // namespace bklit::ingest
