// Raw insert rate of the embedded analytics store: the ceiling the end-to-end rate of
// `bklit serve` is reported against. Rows are built like the worker builds them (enriched
// core::Event -> AnalyticsWriter::write_events, one TabSeparated INSERT per batch with a
// dedup token), then the same rows again as JSONEachRow through the engine's raw SQL, and
// finally worker-shaped batches (events + their session rows).
//
// Usage: chdb_insert_bench [--batches N] [--batch-size N] [--data-dir DIR]
//                          [--chdb-library PATH] [--json FILE]

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/clock.hpp"
#include "bklit/core/event.hpp"
#include "bklit/core/json.hpp"
#include "bklit/store/chdb_store.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/rows.hpp"
#include "bklit/store/schema.hpp"

namespace core = bklit::core;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int batches = 20;
  int batch_size = 5000;
  std::string data_dir;
  std::string chdb_library;
  std::string json_file;
};

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
const T& pick(const T (&items)[N], std::mt19937_64& rng) {
  return items[rng() % N];
}

// One enriched event as ingest hands it to the worker: ~3/4 pageviews, the rest custom
// events with two metadata pairs, sessions of about six events.
core::Event make_event(std::uint64_t n, std::int64_t now, std::mt19937_64& rng) {
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
std::vector<bklit::store::SessionRow> sessions_of(const std::vector<core::Event>& events,
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

void append_json_array(std::string& out, const core::Event& e, bool keys) {
  out.push_back('[');
  for (std::size_t i = 0; i < e.metadata.size(); ++i) {
    if (i > 0) out.push_back(',');
    core::append_json_string(out, keys ? e.metadata[i].first : e.metadata[i].second);
  }
  out.push_back(']');
}

// The same row as append_event_row, as one JSONEachRow object.
void append_json_row(std::string& out, const core::Event& e, std::uint64_t seq) {
  std::string tsv;
  bklit::store::append_event_row(tsv, e, 1, seq);
  // The datetime text is the second TSV field: reuse it so both forms carry the same value.
  auto t1 = tsv.find('\t');
  auto t2 = tsv.find('\t', t1 + 1);
  std::string_view ts(tsv.data() + t1 + 1, t2 - t1 - 1);
  auto str = [&out](std::string_view key, std::string_view value) {
    out.append(",\"").append(key).append("\":");
    core::append_json_string(out, value);
  };
  auto num = [&out](std::string_view key, std::uint64_t value) {
    out.append(",\"").append(key).append("\":").append(std::to_string(value));
  };
  out.append("{\"project_id\":");
  core::append_json_string(out, e.project_id);
  str("ts", ts);
  out.append(",\"timestamp_ms\":").append(std::to_string(e.timestamp_ms));
  out.append(",\"received_ms\":").append(std::to_string(e.received_ms));
  num("type", static_cast<std::uint64_t>(e.type));
  str("event_id", e.event_id);
  str("session_id", e.session_id);
  num("visitor_id", e.visitor_id);
  str("url", e.url);
  str("hostname", e.hostname);
  str("pathname", e.pathname);
  str("query", e.query);
  str("referrer", e.referrer);
  str("referrer_host", e.referrer_host);
  str("source", e.source);
  str("channel", e.channel);
  str("utm_source", e.utm_source);
  str("utm_medium", e.utm_medium);
  str("utm_campaign", e.utm_campaign);
  str("utm_term", e.utm_term);
  str("utm_content", e.utm_content);
  str("utm_id", e.utm_id);
  str("click_id", e.click_id);
  str("country", e.country);
  str("region", e.region);
  str("city", e.city);
  str("browser", e.browser);
  str("browser_version", e.browser_version);
  str("os", e.os);
  str("os_version", e.os_version);
  str("device_type", e.device_type);
  num("is_bot", e.is_bot ? 1 : 0);
  num("screen_width", e.screen_width);
  num("screen_height", e.screen_height);
  num("viewport_width", e.viewport_width);
  num("viewport_height", e.viewport_height);
  str("screen_class", e.screen_class);
  str("language", e.language);
  str("timezone", e.timezone);
  num("is_new_visitor", e.is_new_visitor ? 1 : 0);
  str("landing_page", e.landing_page);
  str("tracking_id", e.tracking_id);
  str("event_name", e.event_type);
  out.append(",\"meta_keys\":");
  append_json_array(out, e, true);
  out.append(",\"meta_values\":");
  append_json_array(out, e, false);
  num("shard", 1);
  num("seq", seq);
  out.append("}\n");
}

struct PhaseResult {
  std::string name;
  std::uint64_t rows = 0;
  double seconds = 0;
  std::vector<double> batch_ms;
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
  for (int b = 0; b < opt.batches; ++b) {
    auto t0 = Clock::now();
    insert_batch(b);
    r.batch_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    r.rows += static_cast<std::uint64_t>(opt.batch_size);
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
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
    } else if (arg == "--data-dir" && (v = value())) {
      opt.data_dir = v;
    } else if (arg == "--chdb-library" && (v = value())) {
      opt.chdb_library = v;
    } else if (arg == "--json" && (v = value())) {
      opt.json_file = v;
    } else {
      std::cerr << "usage: chdb_insert_bench [--batches N] [--batch-size N] [--data-dir DIR] "
                   "[--chdb-library PATH] [--json FILE]\n";
      return false;
    }
  }
  return opt.batches > 0 && opt.batch_size > 0;
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

  const std::size_t total = static_cast<std::size_t>(opt.batches) * opt.batch_size;
  std::mt19937_64 rng(42);
  const std::int64_t now = core::now_ms();
  std::vector<core::Event> events;
  events.reserve(total);
  for (std::size_t i = 0; i < total; ++i) events.push_back(make_event(i, now, rng));

  std::vector<PhaseResult> results;
  store::AnalyticsWriter writer(analytics);
  std::vector<store::StoredEvent> batch;
  std::uint64_t seq_base = 0;
  auto fill_batch = [&](int b, std::uint64_t base) {
    batch.clear();
    for (int i = 0; i < opt.batch_size; ++i) {
      std::size_t idx = static_cast<std::size_t>(b) * opt.batch_size + i;
      batch.push_back(store::StoredEvent{&events[idx], 1, base + idx + 1});
    }
  };

  results.push_back(run_phase("AnalyticsWriter::write_events (TabSeparated)", opt, [&](int b) {
    fill_batch(b, seq_base);
    writer.write_events(batch, fmt::format("1:{}-{}", seq_base + b * opt.batch_size + 1,
                                           seq_base + (b + 1) * opt.batch_size));
  }));
  seq_base += total;

  std::string rows;
  results.push_back(run_phase("raw SQL INSERT FORMAT JSONEachRow", opt, [&](int b) {
    rows.clear();
    for (int i = 0; i < opt.batch_size; ++i) {
      std::size_t idx = static_cast<std::size_t>(b) * opt.batch_size + i;
      append_json_row(rows, events[idx], seq_base + idx + 1);
    }
    analytics.insert_json_rows("events", rows, fmt::format("json:{}", b));
  }));
  seq_base += total;

  results.push_back(
      run_phase("worker-shaped batch (write_events + write_sessions)", opt, [&](int b) {
        fill_batch(b, seq_base);
        std::string token = fmt::format("1:{}-{}", seq_base + b * opt.batch_size + 1,
                                        seq_base + (b + 1) * opt.batch_size);
        writer.write_events(batch, token);
        auto sessions =
            sessions_of(events, static_cast<std::size_t>(b) * opt.batch_size,
                        static_cast<std::size_t>(b + 1) * opt.batch_size, seq_base + b + 1);
        writer.write_sessions(sessions, "s" + token);
      }));

  std::string stored = analytics.query("SELECT count() FROM events", "TabSeparated");
  while (!stored.empty() && (stored.back() == '\n' || stored.back() == '\r')) stored.pop_back();

  std::cout << fmt::format("chDB insert rate, {} batches x {} events, engine {}\n", opt.batches,
                           opt.batch_size, analytics.version().text);
  std::cout << fmt::format("{:<55} {:>12} {:>12} {:>12}\n", "path", "rows/s", "batch p50 ms",
                           "batch max ms");
  for (const auto& r : results) {
    std::cout << fmt::format("{:<55} {:>12.0f} {:>12.1f} {:>12.1f}\n", r.name, r.rows_per_s(),
                             r.batch_percentile(0.5), r.batch_percentile(1.0));
  }
  std::cout << "rows in events: " << stored << " (expected " << 3 * total << ")\n";

  if (!opt.json_file.empty()) {
    std::string out =
        fmt::format("{{\"batches\":{},\"batch_size\":{},\"engine\":", opt.batches, opt.batch_size);
    core::append_json_string(out, analytics.version().text);
    out += ",\"phases\":[";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      if (i > 0) out += ',';
      out += "{\"name\":";
      core::append_json_string(out, r.name);
      out += fmt::format(
          ",\"rows\":{},\"seconds\":{:.3f},\"rows_per_s\":{:.0f},"
          "\"batch_p50_ms\":{:.1f},\"batch_max_ms\":{:.1f}}}",
          r.rows, r.seconds, r.rows_per_s(), r.batch_percentile(0.5), r.batch_percentile(1.0));
    }
    out += "]}\n";
    std::ofstream(opt.json_file) << out;
  }
  opened->reset();
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(opt.data_dir, ec);
  }
  return 0;
}
