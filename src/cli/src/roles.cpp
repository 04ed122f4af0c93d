#include "roles.hpp"

#include <fmt/format.h>

namespace bklit::cli {

namespace {

core::Error refuse(const Roles& roles, std::string_view setting, std::string_view value,
                   std::string_view needed, std::string_view why) {
  return core::make_error(
      "bad_config",
      fmt::format("`bklit {}` cannot run with {} = \"{}\": {}. Set {} = \"{}\" (and its "
                  "connection settings), or run every role in one process with `bklit serve`.",
                  roles.name, setting, value, why, setting, needed));
}

}  // namespace

core::Status validate_backends(const Roles& roles, const core::Config& c) {
  if (!roles.split()) return core::Ok{};
  // ingest appends, worker consumes: they meet only in a shared queue.
  if ((roles.ingest || roles.worker) && c.queue != "redis") {
    return refuse(roles, "queue", c.queue, "redis",
                  "the local queue lives in one process's data directory, where no other "
                  "process can append to it or consume it");
  }
  // worker writes, api reads: one analytics database both can reach.
  if ((roles.worker || roles.api) && c.analytics != "clickhouse") {
    return refuse(roles, "analytics", c.analytics, "clickhouse",
                  "the embedded store can be opened by one process only, so the worker's "
                  "writes would never reach the api");
  }
  // ingest and worker publish, api relays to dashboards.
  if (c.pubsub != "redis") {
    return refuse(roles, "pubsub", c.pubsub, "redis",
                  "in-process live fan-out does not cross processes, so dashboards on the "
                  "api would see nothing");
  }
  return core::Ok{};
}

}  // namespace bklit::cli
