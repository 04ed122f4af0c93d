#pragma once
// Which roles a process runs, and which backends each role can work with.

#include <string>

#include "bklit/core/config.hpp"
#include "bklit/core/result.hpp"

namespace bklit::cli {

struct Roles {
  bool ingest = false;  // HTTP/WebSocket ingest: appends to the queue, publishes live events
  bool worker = false;  // consumes the queue, writes the analytics store
  bool api = false;     // Stats API and the live relay
  std::string name;     // "serve", "ingest", "worker" or "api"

  static Roles serve() { return {true, true, true, "serve"}; }
  static Roles only(const std::string& role) {
    return {role == "ingest", role == "worker", role == "api", role};
  }
  bool split() const { return name != "serve"; }
};

// Refuses, with a message naming the setting and the fix, a configuration a role cannot
// work with: split roles run in separate processes, so every backend they share must be a
// server (queue "redis", analytics "clickhouse", pubsub "redis").
core::Status validate_backends(const Roles& roles, const core::Config& config);

}  // namespace bklit::cli
