#include "server_app.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "backends.hpp"
#include "bklit/api/readiness.hpp"
#include "bklit/api/routes.hpp"
#include "bklit/appdb/sqlite_store.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/enrich/client_ip.hpp"
#include "bklit/enrich/geo.hpp"
#include "bklit/enrich/user_agent.hpp"
#include "bklit/ingest/ingest_service.hpp"
#include "bklit/ingest/routes.hpp"
#include "bklit/net/router.hpp"
#include "bklit/net/server.hpp"
#include "bklit/pipeline/definition_registrar.hpp"
#include "bklit/pipeline/insert_pacer.hpp"
#include "bklit/pipeline/store_sink.hpp"
#include "bklit/pipeline/stored_batch_notice.hpp"
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
  std::unique_ptr<api::ReadinessDeps> readiness;
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
    if (!core::set_this_thread_nice(core::this_thread_nice() + kBackgroundNice)) {
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

// Insert pacing for the store path's own threads (docs/architecture.md, "Insert pacing"):
// the worker loop (decode, sessionize) and the store writer (encode, insert call) run at
// kBackgroundNice while the pacer yields, and at the process's own priority while the store
// is behind, so that, like the engine's inserts, they catch up instead of waiting behind the
// socket threads. Called on each of the two threads; a refused change (no CAP_SYS_NICE) is
// logged once and not tried again on that thread.
void follow_pacer(const pipeline::InsertPacer& pacer) {
  struct State {
    bool known = false;
    bool refused = false;
    int background = 0;  // the nice value the thread started with
    int applied = 0;
  };
  thread_local State state;
  if (!state.known) {
    state.known = true;
    state.background = core::this_thread_nice();
    state.applied = state.background;
  }
  if (state.refused) return;
  const int want = pacer.yielding() ? state.background : state.background - kBackgroundNice;
  if (want == state.applied) return;
  if (core::set_this_thread_nice(want)) {
    state.applied = want;
  } else {
    state.refused = true;
    core::log::warn(
        "insert pacing: could not raise the priority of a store thread (needs CAP_SYS_NICE); "
        "it stays at background priority");
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
    deps.live_wanted = [pubsub = p->pubsub.get()] { return pubsub->has_subscribers(); };
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
    if (roles.ingest) {
      // Insert pacing: the embedded engine's inserts yield the cores to this process's socket
      // threads while the store keeps pace (docs/architecture.md, "Insert pacing").
      auto pacer = std::make_shared<pipeline::InsertPacer>();
      wo.before_store = [store = p->analytics.get(), pacer](std::int64_t lag_ms) {
        store->set_insert_nice(pacer->nice_for(lag_ms));
        follow_pacer(*pacer);
      };
      wo.before_prepare = [pacer] { follow_pacer(*pacer); };
    }
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
      pipeline::publish_stored_batch(*pubsub, events, sessions, core::now_ms());
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
  // Each module adds its own routes; this process serves those of its roles.
  auto router = std::make_shared<net::Router>();
  p->readiness = std::make_unique<api::ReadinessDeps>(api::ReadinessDeps{
      roles.name, p->queue.get(), p->analytics.get(), p->worker.get(), p->blocking.get()});
  api::add_health_routes(*router, *p->readiness);
  if (p->ingest) ingest::add_routes(*router, *p->ingest);
  if (roles.api) {
    p->stats = std::make_unique<api::StatsDeps>(
        api::StatsDeps{p->app.get(), p->tokens.get(), p->analytics.get(), p->blocking.get()});
    p->live = std::make_unique<api::LiveDeps>(
        api::LiveDeps{p->tokens.get(), p->pubsub.get(), p->blocking.get()});
    api::add_routes(*router, *p->stats, *p->live);
  }
  auto handlers = net::Router::into_handlers(router);
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
