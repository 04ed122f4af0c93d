// The worker's sustained drain rate: a backlog of N realistic events in the local log, drained
// by the real Worker into chDB, and the CPU each stage costs per event: decoding the queue
// records plus sessionizing them (measured alone, no store), encoding the rows (alone), and the
// drain itself (every thread of the process, the engine's insert and merge threads included),
// split by thread name.
//
// Usage: worker_drain_bench [--events N] [--batch-size N] [--format rowbinary|tsv]
//                           [--data-dir DIR] [--chdb-library PATH]

#include <fmt/format.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_events.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/event.hpp"
#include "bklit/pipeline/sessionizer.hpp"
#include "bklit/pipeline/store_sink.hpp"
#include "bklit/pipeline/worker.hpp"
#include "bklit/queue/local_log.hpp"
#include "bklit/store/chdb_store.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "cpu_time.hpp"

namespace core = bklit::core;
namespace store = bklit::store;
namespace pipeline = bklit::pipeline;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t events = 1'000'000;
  std::size_t batch_size = 5000;
  store::RowFormat format = store::RowFormat::kRowBinary;
  std::string data_dir;
  std::string chdb_library;
};

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--events" && (v = value())) {
      opt.events = std::strtoull(v, nullptr, 10);
    } else if (arg == "--batch-size" && (v = value())) {
      opt.batch_size = std::strtoull(v, nullptr, 10);
    } else if (arg == "--format" && (v = value())) {
      std::string_view f = v;
      if (f != "rowbinary" && f != "tsv") return false;
      opt.format = f == "tsv" ? store::RowFormat::kTabSeparated : store::RowFormat::kRowBinary;
    } else if (arg == "--data-dir" && (v = value())) {
      opt.data_dir = v;
    } else if (arg == "--chdb-library" && (v = value())) {
      opt.chdb_library = v;
    } else {
      return false;
    }
  }
  return opt.events > 0 && opt.batch_size > 0;
}

// Decode + sessionize, as the worker's first stage does per batch, without a store.
double decode_and_sessionize_us(const std::vector<std::string>& payloads, std::size_t batch) {
  pipeline::SessionizerOptions so;
  so.started_ms = 0;
  pipeline::Sessionizer sessionizer(so);
  std::vector<core::Event> decoded;
  std::vector<store::SessionRow> rows;
  const double t0 = bench::thread_cpu_s();
  for (std::size_t begin = 0; begin < payloads.size(); begin += batch) {
    decoded.clear();
    std::size_t end = std::min(payloads.size(), begin + batch);
    for (std::size_t i = begin; i < end; ++i) {
      auto e = core::decode_event(payloads[i]);
      if (e) decoded.push_back(std::move(*e));
    }
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      sessionizer.apply(decoded[i], 0, begin + i + 1);
    }
    rows.clear();
    sessionizer.take_changed(rows);
    sessionizer.evict();
  }
  return (bench::thread_cpu_s() - t0) * 1e6 / static_cast<double>(payloads.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse_args(argc, argv, opt)) {
    std::cerr << "usage: worker_drain_bench [--events N] [--batch-size N] "
                 "[--format rowbinary|tsv] [--data-dir DIR] [--chdb-library PATH]\n";
    return 2;
  }
  bool own_dir = false;
  if (opt.data_dir.empty()) {
    std::string dir =
        (std::filesystem::temp_directory_path() / "bklit-drain-bench-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) {
      std::cerr << "error: cannot create a temporary directory\n";
      return 1;
    }
    opt.data_dir = dir;
    own_dir = true;
  }

  // The backlog: events of sessions created by this process (so the worker never looks them
  // up in the store), encoded as ingest encodes them.
  std::mt19937_64 rng(42);
  const std::int64_t now = core::now_ms() + 120'000;
  std::vector<std::string> payloads;
  payloads.reserve(opt.events);
  for (std::size_t i = 0; i < opt.events; ++i) {
    payloads.push_back(core::encode_event(bench::make_event(i, now, rng)));
  }
  const double stage_decode_us = decode_and_sessionize_us(payloads, opt.batch_size);

  bklit::queue::LocalLogOptions lo;
  lo.dir = opt.data_dir + "/queue";
  lo.fsync = false;
  auto log = bklit::queue::open_local_log(lo);
  if (!log) {
    std::cerr << "error: " << log.error().message << "\n";
    return 1;
  }
  std::atomic<std::size_t> durable{0};
  for (std::size_t begin = 0; begin < payloads.size(); begin += 1000) {
    std::vector<std::string> chunk(
        payloads.begin() + static_cast<std::ptrdiff_t>(begin),
        payloads.begin() + static_cast<std::ptrdiff_t>(std::min(payloads.size(), begin + 1000)));
    const std::size_t n = chunk.size();
    (*log)->append(std::move(chunk), [&durable, n](bklit::queue::AppendStatus s) {
      if (s == bklit::queue::AppendStatus::kDurable) durable += n;
    });
    while (begin - durable.load() > 200'000)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  while (durable.load() < payloads.size())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  payloads.clear();
  payloads.shrink_to_fit();

  auto opened = store::open_chdb_store(opt.data_dir + "/analytics", opt.chdb_library);
  if (!opened) {
    std::cerr << "error: " << opened.error().message << "\n";
    return 1;
  }
  store::AnalyticsStore& analytics = **opened;
  store::apply_migrations(analytics);
  pipeline::StoreSink sink(analytics, opt.format);
  pipeline::WorkerOptions wo;
  wo.batch_max_events = opt.batch_size;
  pipeline::Worker worker(**log, sink, wo);

  const auto threads0 = bench::cpu_by_thread_name();
  const double cpu0 = bench::process_cpu_s();
  const auto started = Clock::now();
  worker.start();
  while (worker.stats().events_written < opt.events && worker.healthy()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu = bench::process_cpu_s() - cpu0;
  const auto by_thread = bench::cpu_delta(threads0, bench::cpu_by_thread_name());
  worker.stop();
  const auto stats = worker.stats();
  std::string stored = analytics.query("SELECT count() FROM events", "TabSeparated");
  std::string parts = analytics.query(
      "SELECT count() FROM system.parts WHERE active AND database = currentDatabase()",
      "TabSeparated");

  const double n = static_cast<double>(opt.events);
  std::cout << fmt::format(
      "worker drain, {} events, batches of {}, {}, engine {}\n"
      "drained at {:.0f} events/s ({:.2f} s), {:.1f} CPU us/event for the whole process\n"
      "stage alone: decode + sessionize {:.2f} CPU us/event\n"
      "{} batches, {} session rows, {} rows in events, {} active parts after\n",
      opt.events, opt.batch_size, store::format_name(opt.format), analytics.version().text,
      n / seconds, seconds, cpu * 1e6 / n, stage_decode_us, stats.batches, stats.sessions_written,
      stored.substr(0, stored.find('\n')), parts.substr(0, parts.find('\n')));
  for (const auto& [name, s] : by_thread) {
    std::cout << fmt::format("  thread {:<20} {:6.2f} CPU s  {:6.2f} us/event\n", name, s,
                             s * 1e6 / n);
  }
  opened->reset();
  log->reset();
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(opt.data_dir, ec);
  }
  return stats.events_written == opt.events ? 0 : 1;
}
