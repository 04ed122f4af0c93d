#include "bklit/api/readiness.hpp"

#include <boost/json.hpp>

#include "bklit/core/log.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/pipeline/worker.hpp"
#include "bklit/queue/event_queue.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::api {

Readiness check_readiness(const ReadinessDeps& deps) {
  boost::json::object doc;
  doc["status"] = "";  // first key; set below
  doc["role"] = deps.role;
  bool ok = true;
  if (deps.queue != nullptr) {
    bool healthy = deps.queue->healthy();
    ok = ok && healthy;
    doc["queue"] = healthy;
    // Records the queue found damaged in its own files and set aside (docs/records.md).
    doc["queue_damaged_records"] = deps.queue->damaged_records();
  }
  if (deps.analytics != nullptr) {
    bool healthy = false;
    try {
      healthy = deps.analytics->healthy();
    } catch (const std::exception& e) {
      core::log::warn(std::string("readiness: store: ") + e.what());
    }
    ok = ok && healthy;
    doc["store"] = healthy;
  }
  if (deps.worker != nullptr) {
    bool healthy = deps.worker->healthy();
    ok = ok && healthy;
    auto stats = deps.worker->stats();
    doc["worker"] = healthy;
    doc["events_written"] = stats.events_written;
    doc["batches"] = stats.batches;
    doc["dead_letters"] = stats.dead_letters;
    // Rows the store rejected for their data, set aside; and a store or queue call that keeps
    // failing (docs/metrics.md, "Worker counters").
    doc["rejected_events"] = stats.rejected_events;
    doc["rejected_sessions"] = stats.rejected_sessions;
    doc["retrying_since_ms"] = stats.retrying_since_ms;
    doc["retrying_attempts"] = stats.retrying_attempts;
    doc["retrying_call"] = stats.retrying_call;
    doc["unstored_since_ms"] = stats.unstored_since_ms;
  }
  doc["status"] = ok ? "ready" : "not_ready";
  return {ok, boost::json::serialize(doc)};
}

void add_health_routes(net::Router& router, const ReadinessDeps& deps) {
  router.add("GET", "/healthz", [](net::HttpRequest&&, const net::Responder& respond) {
    respond(net::HttpResponse::json(200, R"({"status":"ok"})"));
  });
  router.add("GET", "/readyz", [&deps](net::HttpRequest&&, const net::Responder& respond) {
    bool queued = deps.blocking->submit([&deps, respond] {
      auto readiness = check_readiness(deps);
      respond(net::HttpResponse::json(readiness.ready ? 200 : 503, std::move(readiness.body)));
    });
    if (!queued) respond(net::HttpResponse::error(503, "busy", "server busy"));
  });
}

}  // namespace bklit::api
