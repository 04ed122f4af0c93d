#pragma once
// The scale-out AnalyticsStore: a ClickHouse server (or a load balancer in front of a
// cluster) over its HTTP interface, through libcurl with a pool of keep-alive connections.
// Thread-safe: the worker and the API threads call one store concurrently.
//
// Retries: read-only queries (query(), version and health checks) are retried with a short
// backoff when the transport fails (connection refused or reset, timeout); an SQL error is
// never retried. Statements run through execute() and insert() — DDL and INSERTs —
// are NOT retried inside the store: a timed-out INSERT may or may not have landed, and only
// the caller knows whether sending it again is safe. The worker retries a whole batch, which
// the dedup token (engines that support it) and the writer's replay guard make harmless.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "bklit/core/result.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::store {

struct ClickHouseHttpOptions {
  // http:// or https://, optionally with a path prefix (e.g. behind a proxy).
  std::string url = "http://127.0.0.1:8123";
  std::string user;      // empty = the server's `default` user
  std::string password;  // sent in X-ClickHouse-Key, never in the URL
  // Created at open (CREATE DATABASE IF NOT EXISTS); every statement runs in it.
  std::string database = "bklit";
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{30000};
  // gzip request bodies (inserts) and ask the server for gzip responses.
  bool compress = false;
  std::string ca_file;              // PEM bundle for https; empty = the system's
  bool verify = true;               // verify the server's certificate and host name (https)
  std::size_t max_connections = 8;  // pooled connections; callers beyond wait for one
  int read_attempts = 3;            // tries of a read-only query on transport errors
};

// Connects, checks the credentials, detects the server version and creates the database.
// Errors carry the server's own message (e.g. a wrong password) or the transport's.
core::Result<std::unique_ptr<AnalyticsStore>> open_clickhouse_http_store(
    const ClickHouseHttpOptions& options);

}  // namespace bklit::store
