// Local log append throughput and append-to-durable latency.
// Args: appending threads, appends each thread may have in flight (open loop with a bound,
// like many connections per ingest thread). 300-byte payloads, fsync on, default 2 ms group
// commit window. Counters: appends_per_s, p50_us, p99_us (append() call to kDurable callback).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bklit/queue/local_log.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void BM_LocalLogAppend(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  const auto max_in_flight = static_cast<int>(state.range(1));
  // Enough group commits for stable percentiles without minutes of closed-loop waiting.
  const int total_appends = std::min(60000, threads * max_in_flight * 300);
  const int per_thread = total_appends / threads;

  std::string dir = (std::filesystem::temp_directory_path() / "bklit-queue-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  bklit::queue::LocalLogOptions options;
  options.dir = dir;
  auto opened = bklit::queue::open_local_log(options);
  if (!opened) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  bklit::queue::EventQueue& log = **opened;
  const std::string payload(300, 'p');

  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<std::size_t>(per_thread) * threads);
  std::atomic<int> failures{0};
  double seconds = 0;
  for (auto _ : state) {
    latencies_us.clear();
    std::vector<std::atomic<int>> in_flight(static_cast<std::size_t>(threads));
    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto& mine = in_flight[static_cast<std::size_t>(t)];
        for (int i = 0; i < per_thread; ++i) {
          // Blocking (not spinning) matters on 2 cores: a spinning producer starves the writer.
          for (int now = mine.load(); now >= max_in_flight; now = mine.load()) mine.wait(now);
          mine.fetch_add(1);
          const auto sent = Clock::now();
          // Callbacks all run on the log's writer thread, so latencies_us needs no lock.
          log.append({payload}, [&, sent](bklit::queue::AppendStatus status) {
            if (status != bklit::queue::AppendStatus::kDurable) ++failures;
            latencies_us.push_back(
                std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
            mine.fetch_sub(1);
            mine.notify_one();
          });
        }
        for (int now = mine.load(); now > 0; now = mine.load()) mine.wait(now);
      });
    }
    for (auto& worker : workers) worker.join();
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    // Keep the backlog bound out of the measurement.
    while (!log.poll(100000, std::chrono::milliseconds(0)).empty()) {
    }
    log.ack(0, UINT64_MAX);
  }
  log.close();
  std::filesystem::remove_all(dir);
  if (failures.load() > 0) state.SkipWithError("some appends failed");

  std::sort(latencies_us.begin(), latencies_us.end());
  const auto at = [&](double q) {
    return latencies_us[static_cast<std::size_t>(q * static_cast<double>(latencies_us.size() - 1))];
  };
  state.counters["appends_per_s"] = static_cast<double>(latencies_us.size()) / seconds;
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

BENCHMARK(BM_LocalLogAppend)
    ->ArgNames({"threads", "in_flight"})
    ->ArgsProduct({{1, 4, 16}, {1, 64, 1024}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
