#pragma once
// Opens the backend behind each interface as configured (docs/architecture.md,
// "Deployments"). Nothing else in the program knows which implementation is in use.

#include <memory>

#include "bklit/core/config.hpp"
#include "bklit/core/result.hpp"
#include "bklit/queue/event_queue.hpp"
#include "bklit/realtime/pub_sub.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::cli {

// Only a process that polls (a worker) takes part in shard ownership; ingest-only
// processes just append.
core::Result<std::unique_ptr<queue::EventQueue>> open_event_queue(const core::Config& config);
// Opens the store and applies the schema migrations (safe when processes start together).
core::Result<std::unique_ptr<store::AnalyticsStore>> open_analytics_store(
    const core::Config& config);
core::Result<std::unique_ptr<realtime::PubSub>> open_pub_sub(const core::Config& config);

}  // namespace bklit::cli
