#pragma once
// Realistic enriched events for the store benchmarks: ~3/4 pageviews, the rest custom events
// with two metadata pairs, sessions of about six events, and the session rows a worker would
// write for a run of them.

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/store/rows.hpp"

namespace bench {

namespace core = bklit::core;

struct PageSpec {
  const char* path;
  const char* query;
};

constexpr PageSpec kPages[] = {
    {"/", ""},
    {"/pricing", ""},
    {"/blog/launch-week", "utm_source=newsletter&utm_medium=email&utm_campaign=launch"},
    {"/blog/realtime-analytics", ""},
    {"/docs/getting-started", ""},
    {"/docs/sdk/javascript", ""},
    {"/features", ""},
    {"/signup", "plan=pro"},
    {"/changelog", ""},
    {"/about", ""},
};

struct Device {
  const char* browser;
  const char* version;
  const char* os;
  const char* os_version;
  const char* type;
  bool bot;
};

constexpr Device kDevices[] = {
    {"Chrome", "131", "Windows", "10", "desktop", false},
    {"Chrome", "131", "Mac OS X", "10.15.7", "desktop", false},
    {"Firefox", "133", "Windows", "10", "desktop", false},
    {"Safari", "18", "Mac OS X", "10.15.7", "desktop", false},
    {"Mobile Safari", "18", "iOS", "18.1", "mobile", false},
    {"Chrome Mobile", "131", "Android", "14", "mobile", false},
    {"Edge", "131", "Windows", "10", "desktop", false},
    {"Samsung Internet", "26", "Android", "14", "mobile", false},
    {"Googlebot", "2", "Other", "", "bot", true},
};

struct Referrer {
  const char* url;
  const char* host;
  const char* source;
  const char* channel;
};

constexpr Referrer kReferrers[] = {
    {"", "", "", "Direct"},
    {"https://www.google.com/", "google.com", "google.com", "Organic Search"},
    {"https://t.co/x8Yq2", "t.co", "t.co", "Organic Social"},
    {"https://news.ycombinator.com/", "news.ycombinator.com", "news.ycombinator.com", "Referral"},
    {"https://www.bing.com/", "bing.com", "bing.com", "Organic Search"},
};

struct Place {
  const char* country;
  const char* region;
  const char* city;
};

constexpr Place kPlaces[] = {
    {"US", "California", "San Francisco"},
    {"DE", "Berlin", "Berlin"},
    {"GB", "England", "London"},
    {"FR", "Ile-de-France", "Paris"},
    {"IN", "Karnataka", "Bengaluru"},
    {"BR", "Sao Paulo", "Sao Paulo"},
    {"JP", "Tokyo", "Tokyo"},
    {"", "", ""},
};

template <typename T, std::size_t N>
inline const T& pick(const T (&items)[N], std::mt19937_64& rng) {
  return items[rng() % N];
}

// One enriched event as ingest hands it to the worker: ~3/4 pageviews, the rest custom
// events with two metadata pairs, sessions of about six events.
inline core::Event make_event(std::uint64_t n, std::int64_t now, std::mt19937_64& rng) {
  using bklit::core::Event;
  using bklit::core::EventType;
  Event e;
  const std::uint64_t session = n / 6;
  std::mt19937_64 session_rng(session * 7919 + 17);
  const Device& device = pick(kDevices, session_rng);
  const Referrer& ref = pick(kReferrers, session_rng);
  const Place& place = pick(kPlaces, session_rng);
  const PageSpec& page = pick(kPages, rng);

  e.type = rng() % 4 == 0 ? EventType::kCustom : EventType::kPageview;
  e.event_id = fmt::format("{:016x}{:016x}", session * 2654435761ULL, n);
  e.project_id = "benchproject0001";
  e.session_id = fmt::format("{}-{:x}", now - 60000 + static_cast<std::int64_t>(session % 1000),
                             session * 0x9e3779b97f4a7c15ULL);
  e.visitor_id = session * 0x9e3779b97f4a7c15ULL + 1;
  e.timestamp_ms = now - static_cast<std::int64_t>(rng() % 5000);
  e.received_ms = now;
  e.hostname = "shop.example";
  e.pathname = page.path;
  e.query = page.query;
  e.url = fmt::format("https://shop.example{}{}{}", page.path, *page.query ? "?" : "", page.query);
  e.referrer = ref.url;
  e.referrer_host = ref.host;
  e.source = ref.source;
  e.channel = ref.channel;
  if (std::string_view(page.query).starts_with("utm_")) {
    e.utm_source = "newsletter";
    e.utm_medium = "email";
    e.utm_campaign = "launch";
    e.source = "newsletter";
    e.channel = "Email";
  }
  e.country = place.country;
  e.region = place.region;
  e.city = place.city;
  e.browser = device.browser;
  e.browser_version = device.version;
  e.os = device.os;
  e.os_version = device.os_version;
  e.device_type = device.type;
  e.is_bot = device.bot;
  const bool mobile = std::string_view(device.type) == "mobile";
  e.screen_width = mobile ? 390 : 1920;
  e.screen_height = mobile ? 844 : 1080;
  e.viewport_width = mobile ? 390 : 1440;
  e.viewport_height = mobile ? 700 : 900;
  e.screen_class = mobile ? "mobile" : "desktop";
  e.language = "en-US";
  e.timezone = "Europe/Berlin";
  e.is_new_visitor = session % 3 == 0;
  e.landing_page = "https://shop.example/";
  if (e.type == EventType::kCustom) {
    e.tracking_id = "cta-button";
    e.event_type = "click";
    e.metadata = {{"buttonText", "Start free trial"}, {"triggerMethod", "manual"}};
  }
  return e;
}

// The session rows a worker would write for one batch: one latest state per session.
inline std::vector<bklit::store::SessionRow> sessions_of(const std::vector<core::Event>& events,
                                                         std::size_t begin, std::size_t end,
                                                         std::uint64_t version) {
  std::vector<bklit::store::SessionRow> rows;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& e = events[i];
    if (rows.empty() || rows.back().session_id != e.session_id) {
      bklit::store::SessionRow s;
      s.project_id = e.project_id;
      s.session_id = e.session_id;
      s.visitor_id = e.visitor_id;
      s.start_ms = e.timestamp_ms;
      s.entry_page = e.pathname;
      s.hostname = e.hostname;
      s.referrer_host = e.referrer_host;
      s.source = e.source;
      s.channel = e.channel;
      s.country = e.country;
      s.region = e.region;
      s.city = e.city;
      s.browser = e.browser;
      s.browser_version = e.browser_version;
      s.os = e.os;
      s.os_version = e.os_version;
      s.device_type = e.device_type;
      s.screen_class = e.screen_class;
      s.language = e.language;
      s.is_bot = e.is_bot;
      s.version = version;
      rows.push_back(std::move(s));
    }
    auto& s = rows.back();
    s.last_seen_ms = std::max(s.last_seen_ms, e.timestamp_ms);
    s.exit_page = e.pathname;
    if (e.type == core::EventType::kPageview) {
      ++s.pageviews;
    } else {
      ++s.events;
    }
    s.last_seq = i + 1;
  }
  return rows;
}

}  // namespace bench
