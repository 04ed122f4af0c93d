#pragma once
// The roles of one process (all of them for `bklit serve`), started and stopped in order.

#include <memory>

#include "bklit/core/config.hpp"
#include "bklit/core/result.hpp"
#include "roles.hpp"

namespace bklit::ingest {
class IngestService;
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
namespace bklit::core {
class ThreadPool;
}

namespace bklit::cli {

class ServerApp {
 public:
  ServerApp(core::Config config, Roles roles);
  ~ServerApp();
  core::Status start();
  // Graceful: stop accepting, ack or refuse what is in flight, flush the worker, close
  // the stores. No acked event is lost.
  void stop();

  // What request handlers need, null where this process does not run the part.
  struct PartsView {
    std::string role;
    ingest::IngestService* ingest = nullptr;
    queue::EventQueue* queue = nullptr;
    store::AnalyticsStore* analytics = nullptr;
    pipeline::Worker* worker = nullptr;
    core::ThreadPool* blocking = nullptr;
  };

 private:
  struct Parts;
  core::Config config_;
  Roles roles_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bklit::cli
