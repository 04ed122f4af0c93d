#pragma once
// GET /healthz and GET /readyz, served by every role. /readyz reports the backends this
// process uses, each only where its role uses it:
//   {"status":"ready"|"not_ready","role":"serve","queue":true,"store":true,
//    "worker":true,"events_written":n,"batches":m}
// 200 when every reported part is usable, 503 otherwise (docs/operations.md, "Health").

#include <string>

#include "bklit/net/router.hpp"

namespace bklit::core {
class ThreadPool;
}
namespace bklit::queue {
class EventQueue;
}
namespace bklit::store {
class AnalyticsStore;
}
namespace bklit::pipeline {
class Worker;
}

namespace bklit::api {

// Null where this process does not run the part.
struct ReadinessDeps {
  std::string role;
  queue::EventQueue* queue = nullptr;          // ingest, worker
  store::AnalyticsStore* analytics = nullptr;  // worker, api
  pipeline::Worker* worker = nullptr;          // worker
  core::ThreadPool* blocking = nullptr;        // the checks may block (a store round trip)
};

struct Readiness {
  bool ready = false;
  std::string body;  // the JSON document above
};

// Asks each part; blocks for as long as the store's health check takes.
Readiness check_readiness(const ReadinessDeps& deps);

// GET /healthz (always 200 while the process runs) and GET /readyz (check_readiness on the
// blocking pool). `deps` must outlive the router.
void add_health_routes(net::Router& router, const ReadinessDeps& deps);

}  // namespace bklit::api
