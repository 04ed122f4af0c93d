// Raw insert rate of the embedded analytics store: the ceiling the end-to-end rate of
// `bklit serve` is reported against, and the cost of each insert format. Rows are built like
// the worker builds them (enriched core::Event -> AnalyticsWriter, one INSERT per batch with a
// dedup token), as a Native block (the product's format), in RowBinary and in TabSeparated,
// rotating which goes first so that all meet the same machine load: events alone, then
// worker-shaped batches (events + their session rows). Reports rows/s and CPU microseconds per
// event: of the calling thread (encoding plus the engine's parsing and writing of the part), of the
// whole process during the phase (the engine's other threads and merges included), of encoding
// alone, and of the merges that run after the last insert.
//
// Usage: chdb_insert_bench [--batches N] [--batch-size N] [--rounds N] [--settle S]
//                          [--data-dir DIR] [--chdb-library PATH] [--json FILE]

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_events.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/event.hpp"
#include "bklit/core/json.hpp"
#include "bklit/store/chdb_store.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/rows.hpp"
#include "bklit/store/schema.hpp"
#include "cpu_time.hpp"

namespace core = bklit::core;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int batches = 20;
  int batch_size = 5000;
  int rounds = 2;
  int settle_s = 10;
  std::string data_dir;
  std::string chdb_library;
  std::string json_file;
};

struct PhaseResult {
  std::string name;
  std::uint64_t rows = 0;
  double seconds = 0;
  std::vector<double> batch_ms;
  double thread_cpu_s = 0;
  double process_cpu_s = 0;
  double thread_us_per_row() const { return rows > 0 ? thread_cpu_s * 1e6 / rows : 0; }
  double process_us_per_row() const { return rows > 0 ? process_cpu_s * 1e6 / rows : 0; }
  double rows_per_s() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
  double batch_percentile(double p) const {
    if (batch_ms.empty()) return 0;
    auto sorted = batch_ms;
    std::sort(sorted.begin(), sorted.end());
    auto idx = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[idx];
  }
};

template <typename Fn>
PhaseResult run_phase(std::string name, const Options& opt, Fn&& insert_batch) {
  PhaseResult r;
  r.name = std::move(name);
  auto start = Clock::now();
  const double thread0 = bench::thread_cpu_s();
  const double process0 = bench::process_cpu_s();
  for (int b = 0; b < opt.batches; ++b) {
    auto t0 = Clock::now();
    insert_batch(b);
    r.batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    r.rows += static_cast<std::uint64_t>(opt.batch_size);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.thread_cpu_s = bench::thread_cpu_s() - thread0;
  r.process_cpu_s = bench::process_cpu_s() - process0;
  return r;
}

bool parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--batches" && (v = value())) {
      opt.batches = std::atoi(v);
    } else if (arg == "--batch-size" && (v = value())) {
      opt.batch_size = std::atoi(v);
    } else if (arg == "--rounds" && (v = value())) {
      opt.rounds = std::atoi(v);
    } else if (arg == "--settle" && (v = value())) {
      opt.settle_s = std::atoi(v);
    } else if (arg == "--data-dir" && (v = value())) {
      opt.data_dir = v;
    } else if (arg == "--chdb-library" && (v = value())) {
      opt.chdb_library = v;
    } else if (arg == "--json" && (v = value())) {
      opt.json_file = v;
    } else {
      std::cerr << "usage: chdb_insert_bench [--batches N] [--batch-size N] [--rounds N] "
                   "[--settle S] [--data-dir DIR] [--chdb-library PATH] [--json FILE]\n";
      return false;
    }
  }
  return opt.batches > 0 && opt.batch_size > 0 && opt.rounds > 0;
}

std::string scalar(bklit::store::AnalyticsStore& store, const std::string& sql) {
  std::string out = store.query(sql, "TabSeparated");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  namespace store = bklit::store;
  Options opt;
  if (!parse_args(argc, argv, opt)) return 2;
  bool own_dir = false;
  if (opt.data_dir.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "bklit-chdb-bench-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) {
      std::cerr << "error: cannot create a temporary directory\n";
      return 1;
    }
    opt.data_dir = dir;
    own_dir = true;
  }
  auto opened = store::open_chdb_store(opt.data_dir + "/analytics", opt.chdb_library);
  if (!opened) {
    std::cerr << "error: " << opened.error().message << "\n";
    return 1;
  }
  auto& analytics = **opened;
  store::apply_migrations(analytics);

  // One phase's events, reused by every phase under new queue positions.
  const std::size_t per_phase = static_cast<std::size_t>(opt.batches) * opt.batch_size;
  std::mt19937_64 rng(42);
  const std::int64_t now = core::now_ms();
  std::vector<core::Event> events;
  events.reserve(per_phase);
  for (std::size_t i = 0; i < per_phase; ++i) events.push_back(bench::make_event(i, now, rng));

  // The product's format first: run_bench.sh reports the first phase as the raw ceiling.
  constexpr int kFormats = 3;
  const std::array<store::RowFormat, kFormats> formats = {
      store::RowFormat::kNative, store::RowFormat::kRowBinary, store::RowFormat::kTabSeparated};
  std::vector<PhaseResult> results;
  std::vector<store::StoredEvent> batch;
  std::uint64_t seq_base = 0;
  std::uint64_t inserted = 0;
  auto fill_batch = [&](int b) {
    batch.clear();
    for (int i = 0; i < opt.batch_size; ++i) {
      std::size_t idx = static_cast<std::size_t>(b) * opt.batch_size + i;
      batch.push_back(store::StoredEvent{&events[idx], 1, seq_base + idx + 1});
    }
  };
  auto token_of = [&](int b) {
    return fmt::format("1:{}-{}", seq_base + b * opt.batch_size + 1,
                       seq_base + (b + 1) * opt.batch_size);
  };

  // Encoding alone, per format (the rows of one phase, into one reused buffer).
  std::vector<std::pair<std::string, double>> encode_us;
  for (auto format : formats) {
    std::string buffer;
    std::vector<const store::StoredEvent*> rows;
    std::size_t bytes = 0;
    const double t0 = bench::thread_cpu_s();
    for (int b = 0; b < opt.batches; ++b) {
      fill_batch(b);
      buffer.clear();
      if (format == store::RowFormat::kNative) {
        rows.clear();
        for (const auto& e : batch) rows.push_back(&e);
        store::append_event_block(buffer, rows);
      } else {
        for (const auto& e : batch) store::append_event_row(buffer, e, format);
      }
      bytes += buffer.size();
    }
    const double us = (bench::thread_cpu_s() - t0) * 1e6 / static_cast<double>(per_phase);
    encode_us.emplace_back(
        fmt::format("{} ({} bytes/event)", store::format_name(format), bytes / per_phase), us);
  }

  for (int round = 0; round < opt.rounds; ++round) {
    for (int shape = 0; shape < 2; ++shape) {
      for (int k = 0; k < kFormats; ++k) {
        // Rotate which format goes first, so none always meets the others' merges.
        auto format = formats[(k + round) % kFormats];
        store::AnalyticsWriter writer(analytics, format);
        std::string name = fmt::format("{} {}", shape == 0 ? "events" : "worker-shaped",
                                       store::format_name(format));
        results.push_back(run_phase(name, opt, [&](int b) {
          fill_batch(b);
          std::string token = token_of(b);
          writer.write_events(batch, token);
          if (shape == 1) {
            auto sessions = bench::sessions_of(events, static_cast<std::size_t>(b) * opt.batch_size,
                                               static_cast<std::size_t>(b + 1) * opt.batch_size,
                                               seq_base + b + 1);
            writer.write_sessions(sessions, "s" + token);
          }
        }));
        seq_base += per_phase;
        inserted += per_phase;
      }
    }
  }

  // Merges still owed when the inserts stop: the process's CPU while nothing else runs.
  const std::string parts_before = scalar(
      analytics, "SELECT count() FROM system.parts WHERE active AND database = currentDatabase()");
  const auto threads_before = bench::cpu_by_thread_name();
  const double settle0 = bench::process_cpu_s();
  std::this_thread::sleep_for(std::chrono::seconds(opt.settle_s));
  const double settle_cpu = bench::process_cpu_s() - settle0;
  const auto settle_threads = bench::cpu_delta(threads_before, bench::cpu_by_thread_name());
  const std::string parts_after = scalar(
      analytics, "SELECT count() FROM system.parts WHERE active AND database = currentDatabase()");
  const std::string stored = scalar(analytics, "SELECT count() FROM events");

  std::cout << fmt::format("chDB insert rate, {} rounds of {} batches x {} events, engine {}\n",
                           opt.rounds, opt.batches, opt.batch_size, analytics.version().text);
  std::cout << fmt::format("{:<28} {:>10} {:>14} {:>14} {:>10} {:>10}\n", "path", "rows/s",
                           "caller us/ev", "process us/ev", "p50 ms", "max ms");
  for (const auto& r : results) {
    std::cout << fmt::format("{:<28} {:>10.0f} {:>14.1f} {:>14.1f} {:>10.1f} {:>10.1f}\n", r.name,
                             r.rows_per_s(), r.thread_us_per_row(), r.process_us_per_row(),
                             r.batch_percentile(0.5), r.batch_percentile(1.0));
  }
  for (const auto& [name, us] : encode_us) {
    std::cout << fmt::format("encoding only, {}: {:.2f} us/event\n", name, us);
  }
  std::cout << fmt::format(
      "after the last insert: {} s of merges etc. took {:.2f} CPU s ({:.2f} us per inserted "
      "event); active parts {} -> {}\n",
      opt.settle_s, settle_cpu, settle_cpu * 1e6 / static_cast<double>(inserted), parts_before,
      parts_after);
  for (const auto& [name, s] : settle_threads) {
    std::cout << fmt::format("  thread {:<20} {:.2f} CPU s\n", name, s);
  }
  std::cout << "rows in events: " << stored << " (expected " << inserted << ")\n";

  if (!opt.json_file.empty()) {
    std::string out =
        fmt::format("{{\"rounds\":{},\"batches\":{},\"batch_size\":{},\"engine\":", opt.rounds,
                    opt.batches, opt.batch_size);
    core::append_json_string(out, analytics.version().text);
    out += ",\"phases\":[";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      core::append_json_string(out, r.name);
      out += fmt::format(
          ",\"rows\":{},\"seconds\":{:.3f},\"rows_per_s\":{:.0f},\"caller_us_per_event\":{:.2f},"
          "\"process_us_per_event\":{:.2f},\"batch_p50_ms\":{:.1f},\"batch_max_ms\":{:.1f}}}",
          r.rows, r.seconds, r.rows_per_s(), r.thread_us_per_row(), r.process_us_per_row(),
          r.batch_percentile(0.5), r.batch_percentile(1.0));
    }
    out += fmt::format("],\"settle_cpu_s\":{:.3f}}}\n", settle_cpu);
    std::ofstream(opt.json_file) << out;
  }
  opened->reset();
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(opt.data_dir, ec);
  }
  return 0;
}
