#pragma once
// GET /api/live (WebSocket): the live relay. A dashboard opens
// `/api/live?site_id=<project>&token=<read token>` (or sends the token as
// `Authorization: Bearer`), and receives, as JSON text frames:
//   {"type":"ready","site_id":...}                       once authorized
//   {"type":"event","event":{...}}                       each accepted event, from any ingest
//   {"type":"stored","events":n,"sessions":m,"at":ms}    each batch a worker stored for it
// Events come from PubSub channel LiveChannels::project (published by ingest once durable)
// and batch records from LiveChannels::pipeline (published by workers): every api process relays
// what any process published. Bots are not relayed. Gaps are possible (slow consumers,
// PubSub outages); the store stays the record.

#include <memory>
#include <string>

#include "bklit/auth/token_cache.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/net/http.hpp"
#include "bklit/net/server.hpp"
#include "bklit/realtime/pub_sub.hpp"

namespace bklit::api {

struct LiveDeps {
  auth::TokenVerifier* tokens = nullptr;
  realtime::PubSub* pubsub = nullptr;
  core::ThreadPool* blocking = nullptr;  // token checks may touch the app database
};

// The frame a dashboard receives for one encoded queue event (core::encode_event bytes),
// {"type":"event","event":{...}}; empty for bots, session ends and records that do not
// decode.
std::string live_event_frame(std::string_view encoded_event);

std::shared_ptr<net::WsSession> make_live_socket(const LiveDeps& deps, const net::HttpRequest& req,
                                                 std::shared_ptr<net::WsConnection> conn);

}  // namespace bklit::api
