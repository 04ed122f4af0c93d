// Measures the worker's own CPU cost (decode, sessionize, batch) with a sink that only
// counts. Disabled by default; run with
//   unit_pipeline --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "bklit/core/clock.hpp"
#include "bklit/pipeline/worker.hpp"
#include "fake_queue.hpp"
#include "test_events.hpp"

namespace bklit::pipeline {
namespace {

using testing::kT0;

class CountingSink : public BatchSink {
 public:
  void write_events(const std::vector<store::StoredEvent>& events, const std::string&) override {
    events_ += events.size();
  }
  void write_sessions(const std::vector<store::SessionRow>& sessions, const std::string&) override {
    sessions_ += sessions.size();
  }
  std::uint64_t max_event_seq(std::uint32_t) override { return 0; }
  std::vector<store::SessionRow> load_sessions(const std::string&,
                                               const std::vector<std::string>&) override {
    ++loads_;
    return {};
  }
  std::atomic<std::uint64_t> events_{0}, sessions_{0}, loads_{0};
};

TEST(WorkerThroughput, DISABLED_EventsPerSecondExcludingTheStore) {
  constexpr int kEvents = 500'000;
  constexpr int kSessions = 50'000;
  testing::FakeQueue queue;
  const std::int64_t base = core::now_ms() + 120'000;  // sessions this process created
  for (int i = 0; i < kEvents; ++i) {
    int s = i % kSessions;
    auto sid = std::to_string(base + s) + "-k3j2h4g5f6d7s";
    auto e = (i / kSessions) % 4 == 3
                 ? testing::custom(sid, base + s + i)
                 : testing::pageview(sid, base + s + i, "/docs/page-" + std::to_string(i % 37));
    e.event_id = std::string(32, 'a');
    e.url = "https://example.com" + e.pathname + "?utm_source=newsletter";
    e.referrer = "https://www.google.com/";
    e.referrer_host = "google.com";
    e.source = "google.com";
    e.channel = "Organic Search";
    e.browser_version = "131.0";
    e.os = "Windows";
    e.os_version = "11";
    e.language = "en-US";
    e.timezone = "Europe/Berlin";
    e.screen_class = "desktop";
    queue.push(0, core::encode_event(e));
  }
  CountingSink sink;
  Worker worker(queue, sink, {});
  auto started = std::chrono::steady_clock::now();
  std::clock_t cpu_started = std::clock();
  worker.start();
  ASSERT_TRUE(testing::eventually([&] { return queue.acked(0) == kEvents; }));
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
  double cpu = static_cast<double>(std::clock() - cpu_started) / CLOCKS_PER_SEC;
  worker.stop();
  EXPECT_EQ(sink.events_.load(), static_cast<std::uint64_t>(kEvents));
  std::printf(
      "%d events, %d sessions: %.0f events/s wall (%.2f s), %.0f events per CPU second, "
      "%llu session rows, %llu loads\n",
      kEvents, kSessions, kEvents / elapsed.count(), elapsed.count(), kEvents / cpu,
      static_cast<unsigned long long>(sink.sessions_.load()),
      static_cast<unsigned long long>(sink.loads_.load()));
}

}  // namespace
}  // namespace bklit::pipeline
