#pragma once
// Rows the worker writes. `events` holds pageviews and custom events (one row per
// accepted message); `sessions` holds a versioned row per session state and collapses to
// the row with the highest `version` (ReplacingMergeTree).

#include <cstdint>
#include <string>

#include "bklit/core/event.hpp"

namespace bklit::store {

struct SessionRow {
  std::string project_id;
  std::string session_id;
  std::uint64_t visitor_id = 0;
  std::int64_t start_ms = 0;      // first event
  std::int64_t last_seen_ms = 0;  // last pageview or custom event
  std::int64_t ended_ms = 0;      // socket close (session_end), 0 while open
  std::string entry_page;         // first pageview path
  std::string exit_page;          // last pageview path
  std::string hostname;           // of the entry page
  std::uint32_t pageviews = 0;
  std::uint32_t events = 0;  // custom events
  // Acquisition and context, from the session's first event (entry pageview when any).
  std::string referrer_host, source, channel;
  std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id, click_id;
  std::string country, region, city;
  std::string browser, browser_version, os, os_version, device_type, screen_class, language;
  bool is_new_visitor = false;
  bool is_bot = false;
  // Replay guard: the queue position of the last event applied to this state.
  std::uint32_t last_shard = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t version = 0;  // grows with every new state of the session

  bool is_bounce() const { return pageviews <= 1 && events == 0; }
  // docs/metrics.md: last event - first event, or until the socket closed when later;
  // a bounced session counts 0.
  std::int64_t duration_ms() const {
    if (is_bounce()) return 0;
    std::int64_t end = ended_ms > last_seen_ms ? ended_ms : last_seen_ms;
    return end > start_ms ? end - start_ms : 0;
  }
};

// An event as stored, with its queue position (the replay guard of the events table).
struct StoredEvent {
  const core::Event* event = nullptr;
  std::uint32_t shard = 0;
  std::uint64_t seq = 0;
};

}  // namespace bklit::store
