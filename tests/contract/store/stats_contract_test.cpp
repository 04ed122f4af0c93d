// The one query builder gives the same answers on both engines: a fixture data set is written
// to chDB and to the ClickHouse server through the same writer, then every request below runs
// on both and the response JSON must match byte for byte. The engines pick different SQL forms
// for the latest session state (FINAL on current ClickHouse, argMax on 18.16), so this also
// checks that the forms agree.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>

#include "bklit/core/clock.hpp"
#include "bklit/store/row_writer.hpp"
#include "bklit/store/schema.hpp"
#include "bklit/store/stats_query.hpp"
#include "store_engines.hpp"

namespace bklit::store::contract {
namespace {

std::int64_t utc_ms(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return (core::days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}

const std::int64_t kNow = utc_ms(2026, 11, 20, 18, 0);

// Deterministic pseudo-random numbers (the same data on every run and engine).
class Lcg {
 public:
  std::uint32_t next(std::uint32_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_ = 20261120;
};

struct Fixture {
  std::vector<core::Event> events;
  std::vector<StoredEvent> stored;
  std::vector<SessionRow> first_states, final_states;
};

// 90 sessions of two projects over 2026-11-10 .. 2026-11-20 (UTC), some crossing midnight
// in New York, with sources, UTM tags, geo, devices, custom events, bounces, closed sockets
// and bots; every session is written twice (its first state, then its final one).
Fixture make_fixture() {
  static const char* kSources[] = {"", "google.com", "news.ycombinator.com", "twitter.com"};
  static const char* kChannels[] = {"Direct", "Organic Search", "Referral", "Organic Social"};
  static const char* kCountries[] = {"US", "DE", "FR", "JP"};
  static const char* kCities[] = {"New York", "Berlin", "Paris", "Tokyo"};
  static const char* kBrowsers[] = {"Chrome", "Firefox", "Safari"};
  static const char* kOses[] = {"Windows", "Mac", "iOS", "Android"};
  static const char* kDevices[] = {"desktop", "mobile", "tablet"};
  static const char* kPaths[] = {"/", "/blog", "/pricing", "/docs/start", "/Blog/Post-1"};
  static const char* kNames[] = {"signup", "download"};
  Lcg rnd;
  Fixture f;
  f.events.reserve(1000);
  std::uint64_t seq = 0;
  for (int i = 0; i < 90; ++i) {
    SessionRow s;
    s.project_id = i % 9 == 8 ? "p_else" : "p_cmp";
    s.session_id = "sess" + std::to_string(i);
    s.visitor_id = 1 + rnd.next(30);
    unsigned day = 10 + rnd.next(11);
    s.start_ms = utc_ms(2026, 11, day, static_cast<int>(rnd.next(24)),
                        static_cast<int>(rnd.next(60)), static_cast<int>(rnd.next(60)));
    std::uint32_t src = rnd.next(4);
    s.source = kSources[src];
    s.referrer_host = kSources[src];
    s.channel = kChannels[src];
    if (rnd.next(4) == 0) {
      s.utm_source = "newsletter";
      s.utm_medium = "email";
      s.utm_campaign = rnd.next(2) ? "launch" : "winter";
    }
    std::uint32_t geo = rnd.next(4);
    s.country = kCountries[geo];
    s.city = kCities[geo];
    s.region = s.country + "-1";
    s.browser = kBrowsers[rnd.next(3)];
    s.browser_version = std::to_string(100 + rnd.next(3));
    s.os = kOses[rnd.next(4)];
    s.device_type = kDevices[rnd.next(3)];
    s.screen_class = s.device_type == "desktop" ? "desktop" : "mobile";
    s.language = rnd.next(2) ? "en" : "de";
    s.is_bot = rnd.next(15) == 0;
    s.hostname = rnd.next(5) == 0 ? "docs.example.com" : "example.com";
    std::uint32_t shard = static_cast<std::uint32_t>(i % 2);
    int actions = 1 + static_cast<int>(rnd.next(6));
    std::int64_t t = s.start_ms;
    for (int a = 0; a < actions; ++a) {
      core::Event e;
      e.project_id = s.project_id;
      e.session_id = s.session_id;
      e.visitor_id = s.visitor_id;
      e.event_id = s.session_id + "-" + std::to_string(a);
      e.timestamp_ms = t;
      e.received_ms = t;
      e.hostname = s.hostname;
      e.is_bot = s.is_bot;
      e.country = s.country;
      e.browser = s.browser;
      e.device_type = s.device_type;
      if (a > 0 && rnd.next(4) == 0) {
        e.type = core::EventType::kCustom;
        e.tracking_id = kNames[rnd.next(2)];
        e.pathname = s.exit_page;
        ++s.events;
      } else {
        e.pathname = kPaths[rnd.next(5)];
        if (s.entry_page.empty()) s.entry_page = e.pathname;
        s.exit_page = e.pathname;
        ++s.pageviews;
      }
      s.last_seen_ms = t;
      s.last_shard = shard;
      s.last_seq = ++seq;
      ++s.version;
      f.events.push_back(std::move(e));
      f.stored.push_back({nullptr, shard, seq});
      if (a == 0) f.first_states.push_back(s);
      t += 1000 * (5 + rnd.next(400));
    }
    if (rnd.next(3) == 0) {
      s.ended_ms = t;
      ++s.version;
    }
    f.final_states.push_back(s);
  }
  for (std::size_t i = 0; i < f.events.size(); ++i) f.stored[i].event = &f.events[i];
  return f;
}

void load(AnalyticsStore& store, const Fixture& f) {
  apply_migrations(store);
  AnalyticsWriter writer(store);
  writer.write_events(f.stored, "fixture-events");
  writer.write_sessions(f.first_states, "fixture-sessions-1");
  writer.write_sessions(f.final_states, "fixture-sessions-2");
}

struct Request {
  std::string body;
  std::string tz = "UTC";
};

// Every metric, several dimensions (event, visit, time), every filter form, date ranges of
// each kind, two time zones, ordering, paging and the includes.
std::vector<Request> requests() {
  const std::string all_metrics =
      R"("metrics":["visitors","visits","pageviews","views_per_visit","events","bounce_rate","visit_duration"])";
  const std::string site = R"({"site_id":"p_cmp",)";
  std::vector<Request> r = {
      {site + all_metrics + R"(,"date_range":"7d"})"},
      {site + all_metrics + R"(,"date_range":"all"})"},
      {site + all_metrics + R"(,"date_range":"30d"})", "America/New_York"},
      {site + all_metrics + R"(,"date_range":"day"})"},
      {site + all_metrics + R"(,"date_range":"month"})"},
      {site + all_metrics + R"(,"date_range":["2026-11-12","2026-11-15"]})"},
      {site + all_metrics + R"(,"date_range":["2026-11-12T06:30:00Z","2026-11-18T22:00:00Z"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["event:page"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["visit:source"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["visit:country","visit:city"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","dimensions":["visit:browser","visit:device"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["visit:entry_page"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["visit:exit_page"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","dimensions":["visit:utm_campaign","visit:channel"]})"},
      {site + R"("metrics":["events","visitors"],"date_range":"all","dimensions":["event:name"]})"},
      {site + all_metrics + R"(,"date_range":"all","dimensions":["event:hostname"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","dimensions":["event:page","visit:source"],"order_by":[["pageviews","desc"],["event:page","asc"]]})"},
      {site + all_metrics +
       R"(,"date_range":["2026-11-10","2026-11-20"],"dimensions":["time:day"],"include":{"time_labels":true,"total_rows":true}})"},
      {site + all_metrics +
           R"(,"date_range":["2026-11-10","2026-11-20"],"dimensions":["time:day"],"include":{"time_labels":true}})",
       "America/New_York"},
      {site +
       R"("metrics":["visitors","pageviews"],"date_range":"day","dimensions":["time:hour"]})"},
      {site + R"("metrics":["visits","pageviews"],"date_range":"all","dimensions":["time:week"]})"},
      {site + R"("metrics":["visits","bounce_rate"],"date_range":"12mo","dimensions":["time"]})"},
      {site +
       R"("metrics":["visits","pageviews"],"date_range":"all","dimensions":["time:month","visit:os"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["is","visit:country",["US","DE"]]]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["is_not","visit:browser",["Chrome"]]],"dimensions":["visit:os"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["contains","event:page",["blog"],{"case_sensitive":false}]]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["contains","event:page",["blog"]]],"dimensions":["event:page"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["matches","event:page",["^/docs"]]],"dimensions":["visit:source"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["not",["is","visit:device",["mobile"]]],["matches_not","visit:entry_page",["pricing$"]]]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["or",[["is","visit:source",["google.com"]],["is","event:name",["signup"]]]]],"dimensions":["visit:country"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","filters":[["is","visit:source",["Direct / None"]]],"dimensions":["time:day"]})"},
      {site + all_metrics +
       R"(,"date_range":"all","dimensions":["event:page"],"pagination":{"limit":2,"offset":1},"include":{"total_rows":true}})"},
      {R"({"site_id":"p_else",)" + all_metrics +
       R"(,"date_range":"all","dimensions":["visit:source"]})"},
      {R"({"site_id":"nobody",)" + all_metrics + R"(,"date_range":"7d"})"},
  };
  return r;
}

TEST(StatsContract, EveryRequestGivesTheSameAnswerOnBothEngines) {
  const Fixture fixture = make_fixture();
  auto chdb = open_store(Engine::kChdb, test_database(Engine::kChdb));
  auto server = open_store(Engine::kClickHouse, test_database(Engine::kClickHouse));
  load(*chdb, fixture);
  load(*server, fixture);
  ASSERT_EQ(chdb->query("SELECT count() FROM events", "TabSeparated"),
            std::to_string(fixture.events.size()) + "\n");
  ASSERT_EQ(server->query("SELECT count() FROM events", "TabSeparated"),
            std::to_string(fixture.events.size()) + "\n");

  std::size_t non_empty = 0;
  for (const auto& req : requests()) {
    SCOPED_TRACE(req.body + " tz=" + req.tz);
    auto q = parse_stats_query(req.body);
    ASSERT_TRUE(q.ok()) << q.error().message;
    auto a = run_stats_query(*chdb, *q, req.tz, kNow);
    auto b = run_stats_query(*server, *q, req.tz, kNow);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(*a, *b);
    bool any_value = false;
    const boost::json::value parsed = boost::json::parse(*a);
    for (const auto& row : parsed.at("results").as_array()) {
      for (const auto& m : row.at("metrics").as_array()) {
        any_value = any_value || m.to_number<double>() != 0;
      }
    }
    if (any_value) ++non_empty;
    if (std::getenv("BKLIT_PRINT_STATS") != nullptr)
      std::printf("%s\n%s\n\n", req.body.c_str(), a->c_str());
  }
  // The fixture really exercises the queries (only "nobody" answers zeros).
  EXPECT_EQ(non_empty, requests().size() - 1);
}

}  // namespace
}  // namespace bklit::store::contract
