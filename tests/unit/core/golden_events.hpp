#pragma once
// The events behind the golden queue records in tests/golden/records/. The files were
// written from these values by the encoder of the version in their name, so both are
// frozen: editing a value here breaks the decoding of every file of every version (add a
// new event and new files instead). See docs/records.md.

#include <string>
#include <utility>
#include <vector>

#include "bklit/core/event.hpp"

namespace bklit::core::golden {

struct GoldenEvent {
  const char* name;  // file name part: v<version>_<name>.bin
  Event event;
};

// A pageview with every field of the v1 layout set (multi-byte varints included).
inline Event pageview_full() {
  Event e;
  e.type = EventType::kPageview;
  e.event_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  e.project_id = "p_7Hq2xK9mN4";
  e.session_id = "1764151200000-k3j2h4g5f6d7s";
  e.visitor_id = 0xfedcba9876543210ULL;
  e.timestamp_ms = 1764151200123;
  e.received_ms = 1764151200456;
  e.url = "https://shop.example/products/42?utm_source=newsletter&utm_medium=email&gclid=abc";
  e.hostname = "shop.example";
  e.pathname = "/products/42";
  e.query = "utm_source=newsletter&utm_medium=email&gclid=abc";
  e.referrer = "https://www.google.com/search?q=shoes";
  e.referrer_host = "google.com";
  e.source = "newsletter";
  e.channel = "Email";
  e.utm_source = "newsletter";
  e.utm_medium = "email";
  e.utm_campaign = "spring-sale";
  e.utm_term = "running shoes";
  e.utm_content = "hero-banner";
  e.utm_id = "cmp-2026-04";
  e.click_id = "gclid";
  e.country = "DE";
  e.region = "Bavaria";
  e.city = "Munich";
  e.browser = "Firefox";
  e.browser_version = "133.0";
  e.os = "Linux";
  e.os_version = "6.1";
  e.device_type = "desktop";
  e.is_bot = true;
  e.screen_width = 2560;
  e.screen_height = 65535;
  e.viewport_width = 1280;
  e.viewport_height = 720;
  e.screen_class = "desktop";
  e.language = "de-DE";
  e.timezone = "Europe/Berlin";
  e.is_new_visitor = true;
  e.landing_page = "/products/42";
  e.tracking_id = "page";
  e.event_type = "view";
  e.metadata = {{"ab_test", "b"}};
  return e;
}

// A custom event (trackEvent) with metadata, an empty value among it.
inline Event custom_with_metadata() {
  Event e;
  e.type = EventType::kCustom;
  e.event_id = "00112233445566778899aabbccddeeff";
  e.project_id = "proj1";
  e.session_id = "1764151300000-a1b2c3d4e5f6g";
  e.visitor_id = 42;
  e.timestamp_ms = 1764151300999;
  e.received_ms = 1764151301000;
  e.url = "https://app.example/pricing";
  e.hostname = "app.example";
  e.pathname = "/pricing";
  e.channel = "Direct";
  e.country = "US";
  e.browser = "Chrome";
  e.browser_version = "131.0.0.0";
  e.os = "macOS";
  e.os_version = "14.6";
  e.device_type = "desktop";
  e.screen_width = 1440;
  e.screen_height = 900;
  e.viewport_width = 1440;
  e.viewport_height = 780;
  e.screen_class = "laptop";
  e.language = "en-US";
  e.timezone = "America/New_York";
  e.tracking_id = "cta-signup";
  e.event_type = "click";
  e.metadata = {{"plan", "pro"}, {"seats", "25"}, {"coupon", ""}};
  return e;
}

// What ingest synthesizes when an SDK socket closes (IngestService::build_session_end).
inline Event session_end() {
  Event e;
  e.type = EventType::kSessionEnd;
  e.event_id = "ffeeddccbbaa99887766554433221100";
  e.project_id = "proj1";
  e.session_id = "1764151300000-a1b2c3d4e5f6g";
  e.timestamp_ms = 1764153100000;
  e.received_ms = 1764153100000;
  return e;
}

// UTF-8 in every kind of field, a string over 127 bytes (two-byte length) and a NUL byte.
inline Event unicode_strings() {
  Event e;
  e.type = EventType::kPageview;
  e.event_id = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
  e.project_id = "proj-\xc3\xa9t\xc3\xa9";
  e.session_id = "1764151400000-z9y8x7w6v5u4t";
  e.visitor_id = 0x8000000000000000ULL;
  e.timestamp_ms = 1764151400000;
  e.received_ms = 1764151400001;
  e.pathname = "/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";  // /café/日本語
  e.url =
      "https://b\xc3\xbc"
      "cher.example" +
      e.pathname + "?q=" + std::string(150, 'x');
  e.hostname =
      "b\xc3\xbc"
      "cher.example";  // bücher.example
  e.query = "q=" + std::string(150, 'x');
  e.referrer = "https://social.example/\xf0\x9f\x98\x80";  // an emoji
  e.referrer_host = "social.example";
  e.source = "social.example";
  e.channel = "Organic Social";
  e.utm_campaign = "\xd0\xb7\xd0\xb8\xd0\xbc\xd0\xb0";  // зима
  e.country = "FR";
  e.region =
      "\xc3\x8e"
      "le-de-France";  // Île-de-France
  e.city = "Paris";
  e.browser = "Safari";
  e.os = "iOS";
  e.device_type = "mobile";
  e.screen_width = 390;
  e.screen_height = 844;
  e.screen_class = "mobile";
  e.language = "fr-FR";
  e.timezone = "Europe/Paris";
  e.landing_page = e.pathname;
  e.metadata = {{"\xe9\x94\xae", std::string("a\0b", 3)}};  // 键 -> "a<NUL>b"
  return e;
}

// Every field at its default: the smallest record.
inline Event empty_fields() { return Event{}; }

inline std::vector<GoldenEvent> golden_events() {
  return {{"pageview_full", pageview_full()},
          {"custom_metadata", custom_with_metadata()},
          {"session_end", session_end()},
          {"unicode_strings", unicode_strings()},
          {"empty_fields", empty_fields()}};
}

}  // namespace bklit::core::golden
