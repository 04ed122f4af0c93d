#pragma once
// Turns SDK messages into durable, enriched events: validation against the connection,
// token and origin checks, rate limits, enrichment, and the append to the EventQueue.
// Shared by the WebSocket adapter (sdk_socket) and the HTTP batch endpoint (track_endpoint).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "bklit/appdb/app_store.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/config.hpp"
#include "bklit/core/event.hpp"
#include "bklit/enrich/client_ip.hpp"
#include "bklit/enrich/geo.hpp"
#include "bklit/enrich/page_url.hpp"
#include "bklit/enrich/user_agent.hpp"
#include "bklit/ingest/rate_limiter.hpp"
#include "bklit/ingest/salt_provider.hpp"
#include "bklit/ingest/sdk_message.hpp"
#include "bklit/queue/event_queue.hpp"

namespace bklit::ingest {

// What is known about the sender beyond the message itself.
struct ClientContext {
  std::string project_id;  // WebSocket: from the URL; every message must match it
  std::string session_id;  // WebSocket: from the URL
  std::string origin;      // Origin header, may be empty (server-to-server)
  std::string user_agent;  // User-Agent header
  std::string client_ip;   // after trusted-proxy handling; never stored
  std::string api_key;     // from "auth" or the Authorization header
  bool websocket = false;
  // The page of the connection's last pageview, for custom events (the SDK sends none).
  std::string last_url;
  // WebSocket: the token that last passed authorize() and until when that holds.
  std::string authorized_key;
  std::int64_t authorized_until_ms = 0;
  // What depends only on the client, kept for the next message of the same connection:
  // the parsed user agent (for `memo_ua`) and the geo of `client_ip`.
  std::string memo_ua;
  enrich::UserAgentInfo memo_device;
  bool memo_geo_done = false;
  enrich::GeoInfo memo_geo;
};

struct IngestDeps {
  const core::Config* config = nullptr;
  appdb::AppStore* app = nullptr;
  auth::TokenVerifier* tokens = nullptr;
  queue::EventQueue* queue = nullptr;
  const enrich::UserAgentParser* user_agents = nullptr;
  const enrich::GeoLocator* geo = nullptr;  // optional
  // Optional: called on the queue thread with the encoded events of each append once they
  // are durable, before the clients are acked (live fan-out: must not block).
  std::function<void(const std::vector<std::string>& payloads)> on_durable;
  // Asked before each append: false when on_durable would reach no one, so the payloads are
  // not copied for it (the common case, no dashboard open). Unset = always wanted.
  std::function<bool()> live_wanted;
};

class IngestService {
 public:
  IngestService(IngestDeps deps, enrich::TrustedProxies proxies);

  const MessageLimits& limits() const { return limits_; }
  const core::Config& config() const { return *deps_.config; }
  const enrich::TrustedProxies& proxies() const { return proxies_; }

  // Cached project lookup, shared with the cache; null when unknown.
  std::shared_ptr<const appdb::Project> project(const std::string& id, std::int64_t now_ms);

  // Checks that `api_key` (or none, for public projects) may ingest into `project` from
  // `origin`. Error codes: unauthorized (401), forbidden (403), forbidden_origin (403).
  core::Status authorize(const appdb::Project& project, const std::string& api_key,
                         const std::string& origin, std::int64_t now_ms);

  // Validates `msg` against `ctx`, authorizes, rate-limits per project and enriches.
  // On success the event is ready to append.
  core::Result<core::Event> build_event(const SdkMessage& msg, ClientContext& ctx,
                                        std::int64_t now_ms);

  // The session_end event of a closed SDK socket.
  core::Event build_session_end(const ClientContext& ctx, std::int64_t now_ms);

  // Appends encoded events; `done` runs once on a queue thread. Tracks in-flight appends
  // so shutdown can wait for them. Returns false, without calling `done` and storing
  // nothing, once shutdown has begun: the caller refuses with "shutting_down".
  [[nodiscard]] bool append(std::vector<std::string> payloads,
                            queue::EventQueue::AppendCallback done);

  // Shutdown: new messages are refused with a retryable error; wait_idle() returns when
  // every append has completed (and so every ack has been handed to its connection).
  void begin_shutdown();
  bool shutting_down() const { return shutting_down_; }
  void wait_idle();

  std::uint64_t accepted() const { return accepted_; }

 private:
  std::string next_event_id();
  std::uint64_t visitor_for(const std::string& project_id, const std::string& session_id,
                            const std::string& ip, const std::string& ua, std::int64_t now_ms);
  void enrich_client(core::Event& e, ClientContext& ctx, const std::string& ua);

  IngestDeps deps_;
  enrich::TrustedProxies proxies_;
  MessageLimits limits_;
  SaltProvider salts_;
  KeyedRateLimiter project_limiter_;

  std::mutex projects_mu_;
  struct CachedProject {
    std::shared_ptr<const appdb::Project> project;
    std::int64_t fetched_ms = 0;
  };
  std::unordered_map<std::string, CachedProject> projects_;

  std::string id_prefix_;
  std::atomic<std::uint64_t> id_counter_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<bool> shutting_down_{false};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  std::int64_t in_flight_ = 0;
};

// Bounds: a session id from the SDK looks like "1732612345678-k3j2h4g5f6d7s".
bool valid_session_id(std::string_view id);
bool valid_project_id(std::string_view id);

}  // namespace bklit::ingest
