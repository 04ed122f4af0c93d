#pragma once
// The enriched event that travels from ingest through the EventQueue to the worker.
// Everything here is already validated, bounded and enriched; the raw IP is not in it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::core {

enum class EventType : std::uint8_t {
  kPageview = 1,
  kCustom = 2,      // SDK "event" (trackEvent / automatic tracking)
  kSessionEnd = 3,  // synthesized by ingest when an SDK socket closes
};

std::string_view to_string(EventType type);

struct Event {
  // Assigned by ingest.
  EventType type = EventType::kPageview;
  std::string event_id;  // 32 hex chars, unique per accepted message; the replay key
  std::string project_id;
  std::string session_id;        // SDK session id, or "v-<visitor>-<start ms>" for HTTP without one
  std::uint64_t visitor_id = 0;  // keyed hash, see enrich/visitor_id
  std::int64_t timestamp_ms = 0;  // client time clamped to the server clock
  std::int64_t received_ms = 0;   // server receive time

  // Page (pageview and custom events carry the page they happened on when known).
  std::string url;  // full URL as sent, bounded
  std::string hostname;
  std::string pathname;  // normalized per docs/metrics.md "Pages"
  std::string query;

  // Acquisition.
  std::string referrer;
  std::string referrer_host;  // without "www."
  std::string source;         // utm_source, else referrer host, else empty (= Direct / None)
  std::string channel;        // Paid, Organic Search, Organic Social, Email, Referral, Direct
  std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id;
  std::string click_id;  // name of the click id parameter present (gclid, fbclid, ...)

  // Geo (from the client IP, which is then dropped).
  std::string country;  // ISO 3166-1 alpha-2
  std::string region;
  std::string city;

  // Device (from the user agent).
  std::string browser, browser_version, os, os_version;
  std::string device_type;  // desktop, mobile, tablet, bot
  bool is_bot = false;
  std::uint16_t screen_width = 0, screen_height = 0;
  std::uint16_t viewport_width = 0, viewport_height = 0;
  std::string screen_class;  // mobile, tablet, laptop, desktop, or empty
  std::string language;
  std::string timezone;
  bool is_new_visitor = false;
  std::string landing_page;

  // Custom events.
  std::string tracking_id;
  std::string event_type;  // free text: click, view, submit...
  std::vector<std::pair<std::string, std::string>> metadata;

  friend bool operator==(const Event&, const Event&) = default;
};

// Compact binary form stored in the queue ("queue records", docs/records.md). encode_event
// writes the current format version; decode_event reads every version an earlier bklit
// wrote, and fails with code "record_undecodable" and a message saying what is wrong (an
// unknown version, a truncated field, trailing bytes) on anything else.
std::string encode_event(const Event& event);
Result<Event> decode_event(std::string_view bytes);
// The same into an existing Event, whose string buffers are reused (the worker decodes every
// batch into the events of an earlier one). On an error `e` holds whatever was read.
Status decode_event_into(std::string_view bytes, Event& e);

// The project and session ids of an encoded event, read without decoding the rest (for
// sharding a queue by session). nullopt when the record does not parse that far.
struct SessionKey {
  std::string_view project_id;
  std::string_view session_id;
};
std::optional<SessionKey> peek_session_key(std::string_view bytes);

}  // namespace bklit::core
