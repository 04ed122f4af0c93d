#include "server_app.hpp"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "backends.hpp"
#include "bklit/api/live_endpoint.hpp"
#include "bklit/api/stats_endpoint.hpp"
#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/enrich/client_ip.hpp"
#include "bklit/enrich/geo.hpp"
#include "bklit/enrich/user_agent.hpp"
#include "bklit/ingest/ingest_service.hpp"
#include "bklit/ingest/sdk_socket.hpp"
#include "bklit/net/server.hpp"
#include "bklit/pipeline/definition_registrar.hpp"
#include "bklit/pipeline/store_sink.hpp"
#include "bklit/pipeline/worker.hpp"
#include "bklit/realtime/live_channels.hpp"
#include "data_layout.hpp"

namespace bklit::cli {

struct ServerApp::Parts {
  std::unique_ptr<appdb::AppStore> app;
  std::unique_ptr<queue::EventQueue> queue;          // ingest, worker
  std::unique_ptr<store::AnalyticsStore> analytics;  // worker, api
  std::unique_ptr<realtime::PubSub> pubsub;
  std::unique_ptr<enrich::UserAgentParser> user_agents;
  std::unique_ptr<enrich::GeoLocator> geo;
  std::unique_ptr<auth::TokenVerifier> tokens;
  std::unique_ptr<ingest::IngestService> ingest;
  std::unique_ptr<pipeline::StoreSink> sink;
  std::unique_ptr<pipeline::DefinitionRegistrar> definitions;
  std::unique_ptr<pipeline::Worker> worker;
  std::unique_ptr<core::ThreadPool> blocking;
  std::unique_ptr<api::StatsDeps> stats;
  std::unique_ptr<api::LiveDeps> live;
  std::unique_ptr<net::Server> server;
  std::int64_t started_ms = 0;
};

ServerApp::ServerApp(core::Config config, Roles roles)
    : config_(std::move(config)), roles_(std::move(roles)) {}

ServerApp::~ServerApp() = default;

namespace {

core::Error fail(std::string message) { return core::make_error("startup", std::move(message)); }

// Runs fn on a new thread whose nice value is raised by kBackgroundNice; threads that fn
// starts inherit it. Exceptions are carried back to the caller.
constexpr int kBackgroundNice = 5;
void run_at_background_priority(const std::function<void()>& fn) {
  std::exception_ptr error;
  std::thread t([&] {
    pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
    int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), current + kBackgroundNice) != 0) {
      core::log::warn("could not lower the priority of the store and worker threads");
    }
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
}

void cors_preflight(const net::HttpRequest& req, const net::Responder& respond) {
  // CORS preflight for browsers posting events from the site's own pages.
  net::HttpResponse res;
  res.status = 204;
  res.content_type.clear();
  res.headers.emplace_back("Access-Control-Allow-Origin", std::string(req.header("origin")));
  res.headers.emplace_back("Access-Control-Allow-Methods", "POST");
  res.headers.emplace_back("Access-Control-Allow-Headers", "content-type, authorization");
  res.headers.emplace_back("Access-Control-Max-Age", "86400");
  respond(std::move(res));
}

// Readiness of what this process uses: the queue (ingest, worker), the store (worker, api)
// and, for the worker, its loop.
void readiness(ServerApp::PartsView parts, const net::Responder& respond) {
  bool queued = parts.blocking->submit([parts, respond] {
    bool ok = true;
    std::string fields;
    if (parts.queue != nullptr) {
      bool q = parts.queue->healthy();
      ok = ok && q;
      fields += fmt::format(R"(,"queue":{})", q);
    }
    if (parts.analytics != nullptr) {
      bool st = false;
      try {
        st = parts.analytics->healthy();
      } catch (const std::exception& e) {
        core::log::warn(std::string("readiness: store: ") + e.what());
      }
      ok = ok && st;
      fields += fmt::format(R"(,"store":{})", st);
    }
    if (parts.worker != nullptr) {
      bool w = parts.worker->healthy();
      ok = ok && w;
      auto stats = parts.worker->stats();
      fields += fmt::format(R"(,"worker":{},"events_written":{},"batches":{},"dead_letters":{})", w,
                            stats.events_written, stats.batches, stats.dead_letters);
    }
    std::string body = fmt::format(R"({{"status":"{}","role":{}{}}})", ok ? "ready" : "not_ready",
                                   core::json_quote(parts.role), fields);
    respond(net::HttpResponse::json(ok ? 200 : 503, std::move(body)));
  });
  if (!queued) respond(net::HttpResponse::error(503, "busy", "server busy"));
}

void route(ServerApp::PartsView parts, const api::StatsDeps* stats, net::HttpRequest&& req,
           net::Responder respond) {
  if (req.path == "/healthz" && req.method == "GET") {
    respond(net::HttpResponse::json(200, R"({"status":"ok"})"));
    return;
  }
  if (req.path == "/readyz" && req.method == "GET") {
    readiness(parts, respond);
    return;
  }
  if (req.path == "/api/track" && parts.ingest != nullptr) {
    if (req.method == "OPTIONS") {
      cors_preflight(req, respond);
      return;
    }
    if (req.method != "POST") {
      respond(net::HttpResponse::error(405, "method_not_allowed", "use POST"));
      return;
    }
    std::string origin(req.header("origin"));
    ingest::handle_track(*parts.ingest, std::move(req), [origin, respond](net::HttpResponse res) {
      if (!origin.empty()) res.headers.emplace_back("Access-Control-Allow-Origin", origin);
      respond(std::move(res));
    });
    return;
  }
  if (req.path == "/api/v2/query" && stats != nullptr) {
    if (req.method != "POST") {
      respond(net::HttpResponse::error(405, "method_not_allowed", "use POST"));
      return;
    }
    api::handle_stats_query(*stats, std::move(req), std::move(respond));
    return;
  }
  respond(net::HttpResponse::error(404, "not_found", "no such endpoint"));
}

// Worker → PubSub: one record per project and stored batch, for dashboards' "last stored".
void publish_batch(realtime::PubSub& pubsub, const std::vector<store::StoredEvent>& events,
                   const std::vector<store::SessionRow>& sessions) {
  std::map<std::string_view, std::pair<std::size_t, std::size_t>> per_project;
  for (const auto& e : events) ++per_project[e.event->project_id].first;
  for (const auto& s : sessions) ++per_project[s.project_id].second;
  auto now = core::now_ms();
  for (const auto& [project, counts] : per_project) {
    pubsub.publish(realtime::LiveChannels::pipeline(project),
                   fmt::format(R"({{"type":"stored","events":{},"sessions":{},"at":{}}})",
                               counts.first, counts.second, now));
  }
}

}  // namespace

core::Status ServerApp::start() {
  auto p = std::make_unique<Parts>();
  p->started_ms = core::now_ms();
  const auto& c = config_;
  const Roles& roles = roles_;  // run_serve validated them against the configuration

  std::error_code ec;
  std::filesystem::create_directories(c.data_dir, ec);
  if (ec) return fail(fmt::format("data_dir '{}': {}", c.data_dir, ec.message()));

  // Projects, tokens and event definitions: SQLite in data_dir. Processes of one machine
  // share the file (WAL); PostgreSQL for several machines is the AppStore's other backend.
  auto app = appdb::open_sqlite_store(app_db_path(c.data_dir));
  if (!app) return fail("app database: " + app.error().message);
  p->app = std::move(*app);
  p->app->migrate();

  auto pubsub = open_pub_sub(c);
  if (!pubsub) return fail("pubsub: " + pubsub.error().message);
  p->pubsub = std::move(*pubsub);

  if (roles.ingest || roles.worker) {
    auto q = open_event_queue(c);
    if (!q) return fail("queue: " + q.error().message);
    p->queue = std::move(*q);
  }

  if (roles.worker || roles.api) {
    // The embedded engine's threads (merges, parsing) inherit the priority of the thread
    // that opens it: open it from a lower-priority thread so acks win the two cores over
    // background analytics work, which may lag (the queue holds the backlog).
    core::Result<std::unique_ptr<store::AnalyticsStore>> analytics = fail("not opened");
    run_at_background_priority([&] { analytics = open_analytics_store(c); });
    if (!analytics) return fail("analytics store: " + analytics.error().message);
    p->analytics = std::move(*analytics);
  }

  if (roles.ingest || roles.api) {
    p->tokens = std::make_unique<auth::TokenVerifier>(
        *p->app, std::chrono::milliseconds(c.token_cache_ttl_ms));
  }

  if (roles.ingest) {
    auto ua = enrich::UserAgentParser::load(c.uap_regexes);
    if (!ua) return fail("uap_regexes: " + ua.error().message);
    p->user_agents = std::move(*ua);

    std::string geo_v4 =
        c.geo_database.empty() ? enrich::GeoLocator::find_default_database(false) : c.geo_database;
    std::string geo_v6 = c.geo_database_v6.empty() && c.geo_database.empty()
                             ? enrich::GeoLocator::find_default_database(true)
                             : c.geo_database_v6;
    if (geo_v4.empty()) {
      core::log::warn("no geo database found: country, region and city stay empty");
    } else {
      auto geo = enrich::GeoLocator::open(geo_v4, geo_v6);
      if (!geo) return fail("geo_database: " + geo.error().message);
      p->geo = std::move(*geo);
    }
    auto proxies = enrich::TrustedProxies::parse(c.trusted_proxies);
    if (!proxies) return fail("trusted_proxies: " + proxies.error().message);

    ingest::IngestDeps deps;
    deps.config = &config_;
    deps.app = p->app.get();
    deps.tokens = p->tokens.get();
    deps.queue = p->queue.get();
    deps.user_agents = p->user_agents.get();
    deps.geo = p->geo.get();
    deps.on_durable = [pubsub = p->pubsub.get()](const std::vector<std::string>& payloads) {
      for (const auto& payload : payloads) {
        auto key = core::peek_session_key(payload);
        if (key) pubsub->publish(realtime::LiveChannels::project(key->project_id), payload);
      }
    };
    p->ingest = std::make_unique<ingest::IngestService>(deps, std::move(*proxies));
  }

  if (roles.worker) {
    p->sink = std::make_unique<pipeline::StoreSink>(*p->analytics);
    p->definitions = std::make_unique<pipeline::DefinitionRegistrar>(*p->app);
    pipeline::WorkerOptions wo;
    wo.batch_max_events = c.batch_max_events;
    wo.batch_max_wait = std::chrono::milliseconds(c.batch_max_wait_ms);
    wo.session_timeout = std::chrono::milliseconds(c.session_timeout_ms);
    p->worker = std::make_unique<pipeline::Worker>(*p->queue, *p->sink, wo);
    p->worker->on_batch_written([defs = p->definitions.get(), pubsub = p->pubsub.get()](
                                    const std::vector<store::StoredEvent>& events,
                                    const std::vector<store::SessionRow>& sessions) {
      try {
        defs->observe(events);
      } catch (const std::exception& e) {
        // The events are stored; the definition is registered when the id is seen again.
        core::log::warn(std::string("event definition registration failed: ") + e.what());
      }
      publish_batch(*pubsub, events, sessions);
    });
    run_at_background_priority([&] { p->worker->start(); });  // its thread inherits it
  }

  p->blocking = std::make_unique<core::ThreadPool>(4, 1024);

  auto colon = c.listen.rfind(':');
  net::ServerOptions so;
  so.host = c.listen.substr(0, colon);
  if (so.host.size() > 2 && so.host.front() == '[') so.host = so.host.substr(1, so.host.size() - 2);
  so.port = static_cast<std::uint16_t>(std::stoi(c.listen.substr(colon + 1)));
  so.threads = c.io_threads;
  so.max_body_bytes = c.max_body_bytes;
  so.max_ws_message_bytes = c.max_frame_bytes;
  net::Handlers handlers;
  if (roles.api) {
    p->stats = std::make_unique<api::StatsDeps>(
        api::StatsDeps{p->app.get(), p->tokens.get(), p->analytics.get(), p->blocking.get()});
    p->live = std::make_unique<api::LiveDeps>(
        api::LiveDeps{p->tokens.get(), p->pubsub.get(), p->blocking.get()});
  }
  PartsView view{roles.name,         p->ingest.get(), p->queue.get(),
                 p->analytics.get(), p->worker.get(), p->blocking.get()};
  const api::StatsDeps* stats = p->stats.get();
  const api::LiveDeps* live = p->live.get();
  handlers.http = [view, stats](net::HttpRequest&& req, net::Responder respond) {
    route(view, stats, std::move(req), std::move(respond));
  };
  handlers.websocket =
      [view, live](const net::HttpRequest& req,
                   std::shared_ptr<net::WsConnection> conn) -> std::shared_ptr<net::WsSession> {
    if (req.path == "/" && view.ingest != nullptr) {
      return ingest::make_sdk_socket(*view.ingest, req, std::move(conn));
    }
    if (req.path == "/api/live" && live != nullptr) {
      return api::make_live_socket(*live, req, std::move(conn));
    }
    return nullptr;
  };
  p->server = std::make_unique<net::Server>(so, std::move(handlers));
  try {
    p->server->start();
  } catch (const std::exception& e) {
    if (p->worker) p->worker->stop();
    return fail(e.what());
  }
  core::log::info(fmt::format(
      "bklit {} listening on {}:{} (queue {}, analytics {}, pubsub {}), ready in {} ms", roles.name,
      so.host, p->server->port(), c.queue, c.analytics, c.pubsub, core::now_ms() - p->started_ms));
  parts_ = std::move(p);
  return core::Ok{};
}

void ServerApp::stop() {
  if (!parts_) return;
  auto& p = *parts_;
  p.server->stop_accepting();
  // Refuse new messages, then wait until every accepted one is durable and its ack queued.
  if (p.ingest) {
    p.ingest->begin_shutdown();
    p.ingest->wait_idle();
  }
  p.server->close_websockets(1001, "server restarting");
  for (int i = 0; i < 40 && p.server->open_websockets() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  p.server->stop();
  p.blocking->shutdown();
  if (p.worker) p.worker->stop();
  if (p.queue) p.queue->close();
  p.analytics.reset();
  p.pubsub.reset();
  p.app.reset();
  parts_.reset();
}

}  // namespace bklit::cli
