#pragma once
// Builders for the events the tests feed the pipeline, and worker options that keep tests fast.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "bklit/core/event.hpp"
#include "bklit/pipeline/worker.hpp"

namespace bklit::pipeline::testing {

// Short batches and retries, so that a test sees a batch or a retry within milliseconds.
inline WorkerOptions fast_options() {
  WorkerOptions options;
  options.batch_max_wait = std::chrono::milliseconds(20);
  options.retry_min = std::chrono::milliseconds(1);
  options.retry_max = std::chrono::milliseconds(4);
  return options;
}

// 2026-01-09T23:06:40Z; SDK ids below are created at this instant.
constexpr std::int64_t kT0 = 1'768'000'000'000;
constexpr std::int64_t kMinute = 60'000;
inline const std::string kSid = std::to_string(kT0) + "-k3j2h4g5f6d7s";

inline core::Event make_event(core::EventType type, const std::string& session_id, std::int64_t ts,
                              const std::string& path = "/", const std::string& project = "proj1") {
  static std::uint64_t counter = 0;
  core::Event e;
  e.type = type;
  e.event_id = "e" + std::to_string(++counter);
  e.project_id = project;
  e.session_id = session_id;
  e.visitor_id = 42;
  e.timestamp_ms = ts;
  e.received_ms = ts;
  e.hostname = "example.com";
  e.pathname = path;
  e.url = "https://example.com" + path;
  e.country = "DE";
  e.browser = "Firefox";
  e.device_type = "desktop";
  return e;
}

inline core::Event pageview(const std::string& sid, std::int64_t ts, const std::string& path,
                            const std::string& project = "proj1") {
  return make_event(core::EventType::kPageview, sid, ts, path, project);
}
inline core::Event custom(const std::string& sid, std::int64_t ts,
                          const std::string& project = "proj1") {
  auto e = make_event(core::EventType::kCustom, sid, ts, "/", project);
  e.tracking_id = "signup";
  return e;
}
inline core::Event session_end(const std::string& sid, std::int64_t ts,
                               const std::string& project = "proj1") {
  auto e = make_event(core::EventType::kSessionEnd, sid, ts, "", project);
  e.pathname.clear();
  e.hostname.clear();
  return e;
}

// Waits (up to 20 s) for a condition that another thread makes true.
inline bool eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

}  // namespace bklit::pipeline::testing
