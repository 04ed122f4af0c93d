#include "bklit/store/stats_query.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>

#include "bklit/core/clock.hpp"
#include "bklit/store/row_writer.hpp"
#include "store_env.hpp"

namespace bklit::store {
namespace {

namespace json = boost::json;

std::int64_t utc_ms(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return (core::days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}

struct Visit {
  std::string project, session;
  std::uint64_t visitor;
  std::string source, country, browser, device;
  bool bot;
  std::vector<std::pair<std::int64_t, std::string>> pages;  // time, path ("!name" = custom)
  std::int64_t ended_ms = 0;
};

// The hand-built dataset on 2026-11-20 (UTC):
//   A: visitor 1, google.com, US, Chrome: / 10:00, /blog 10:01, /pricing 10:05 -> 300 s
//   B: visitor 2, direct, DE, Firefox: /blog 11:30 -> bounce
//   C: visitor 1, news.ycombinator.com, US, Chrome: / 14:00, custom "signup" 14:02 -> 120 s
//   D: a bot with two pageviews (never counted); E: another project with five pageviews.
//   F (project p_tz): /late at 2026-11-21 02:00 UTC = 2026-11-20 21:00 in New York.
void load_dataset() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<Visit> visits = {
        {"p_stats",
         "A",
         1,
         "google.com",
         "US",
         "Chrome",
         "desktop",
         false,
         {{utc_ms(2026, 11, 20, 10, 0), "/"},
          {utc_ms(2026, 11, 20, 10, 1), "/blog"},
          {utc_ms(2026, 11, 20, 10, 5), "/pricing"}}},
        {"p_stats",
         "B",
         2,
         "",
         "DE",
         "Firefox",
         "mobile",
         false,
         {{utc_ms(2026, 11, 20, 11, 30), "/blog"}}},
        {"p_stats",
         "C",
         1,
         "news.ycombinator.com",
         "US",
         "Chrome",
         "desktop",
         false,
         {{utc_ms(2026, 11, 20, 14, 0), "/"}, {utc_ms(2026, 11, 20, 14, 2), "!signup"}}},
        {"p_stats",
         "D",
         9,
         "",
         "US",
         "Bot",
         "bot",
         true,
         {{utc_ms(2026, 11, 20, 12, 0), "/"}, {utc_ms(2026, 11, 20, 12, 1), "/blog"}}},
        {"p_other",
         "E",
         5,
         "",
         "FR",
         "Safari",
         "desktop",
         false,
         {{utc_ms(2026, 11, 20, 9, 0), "/"},
          {utc_ms(2026, 11, 20, 9, 1), "/a"},
          {utc_ms(2026, 11, 20, 9, 2), "/b"},
          {utc_ms(2026, 11, 20, 9, 3), "/c"},
          {utc_ms(2026, 11, 20, 9, 4), "/d"}}},
        {"p_tz",
         "F",
         3,
         "",
         "US",
         "Chrome",
         "desktop",
         false,
         {{utc_ms(2026, 11, 21, 2, 0), "/late"}}},
    };
    AnalyticsWriter writer(testing::shared_store());
    std::vector<core::Event> events;
    std::vector<SessionRow> first_states, final_states;
    for (const auto& v : visits) {
      SessionRow s;
      s.project_id = v.project;
      s.session_id = v.session;
      s.visitor_id = v.visitor;
      s.source = v.source;
      s.channel = v.source.empty() ? "Direct" : "Referral";
      s.country = v.country;
      s.browser = v.browser;
      s.device_type = v.device;
      s.is_bot = v.bot;
      s.start_ms = v.pages.front().first;
      for (const auto& [t, path] : v.pages) {
        core::Event e;
        e.project_id = v.project;
        e.session_id = v.session;
        e.event_id = v.session + std::to_string(t);
        e.visitor_id = v.visitor;
        e.timestamp_ms = t;
        e.received_ms = t;
        e.is_bot = v.bot;
        e.hostname = "example.com";
        e.country = v.country;
        if (path[0] == '!') {
          e.type = core::EventType::kCustom;
          e.tracking_id = path.substr(1);
          e.pathname = s.exit_page;
          ++s.events;
        } else {
          e.pathname = path;
          if (s.entry_page.empty()) s.entry_page = path;
          s.exit_page = path;
          ++s.pageviews;
        }
        s.last_seen_ms = t;
        ++s.version;
        if (s.version == 1) first_states.push_back(s);
        events.push_back(e);
      }
      final_states.push_back(s);
    }
    std::vector<StoredEvent> batch;
    for (const auto& e : events) batch.push_back({&e, 1, 0});
    writer.write_events(batch, "stats-dataset");
    // Two inserts, so the latest state has to win over an older one in another part.
    writer.write_sessions(first_states, "stats-sessions-1");
    writer.write_sessions(final_states, "stats-sessions-2");
  });
}

const std::int64_t kNow = utc_ms(2026, 11, 20, 18, 0);

json::object run(const std::string& request, const std::string& tz = "UTC",
                 const SqlDialect* dialect = nullptr) {
  load_dataset();
  auto q = parse_stats_query(request);
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
  if (!q.ok()) return {};
  auto out = dialect != nullptr ? run_stats_query(testing::shared_store(), *q, tz, kNow, *dialect)
                                : run_stats_query(testing::shared_store(), *q, tz, kNow);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  if (!out.ok()) return {};
  return json::parse(*out).as_object();
}

double num(const json::value& v) { return v.to_number<double>(); }

// "dims joined by |" -> metrics, for order-independent checks.
std::map<std::string, std::vector<double>> by_dims(const json::object& response) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& r : response.at("results").as_array()) {
    std::string key;
    for (const auto& d : r.at("dimensions").as_array()) {
      key += (key.empty() ? "" : "|") + std::string(d.as_string());
    }
    for (const auto& m : r.at("metrics").as_array()) out[key].push_back(num(m));
  }
  return out;
}

TEST(StatsQuery, EveryMetricOnTheHandBuiltDataset) {
  auto r = run(R"({"site_id":"p_stats","metrics":["visitors","visits","pageviews","events",
      "views_per_visit","bounce_rate","visit_duration"],"date_range":"day"})");
  const auto& m = r.at("results").as_array().at(0).at("metrics").as_array();
  EXPECT_EQ(num(m[0]), 2);  // visitors 1 and 2; the bot is excluded
  EXPECT_EQ(num(m[1]), 3);  // A, B, C
  EXPECT_EQ(num(m[2]), 5);  // 3 + 1 + 1
  EXPECT_EQ(num(m[3]), 1);  // signup
  EXPECT_NEAR(num(m[4]), 5.0 / 3, 1e-9);
  EXPECT_NEAR(num(m[5]), 100.0 / 3, 1e-9);  // B bounced
  EXPECT_NEAR(num(m[6]), 140, 1e-9);        // (300 + 0 + 120) / 3
  const auto& query = r.at("query").as_object();
  EXPECT_EQ(query.at("date_range").as_array().at(0).as_string(), "2026-11-20T00:00:00+00:00");
  EXPECT_EQ(query.at("date_range").as_array().at(1).as_string(), "2026-11-20T23:59:59+00:00");
}

TEST(StatsQuery, TenantIsolation) {
  auto r = run(R"({"site_id":"p_other","metrics":["visits","pageviews","visitors"],
      "date_range":["2026-11-20","2026-11-20"]})");
  EXPECT_EQ(by_dims(r)[""], (std::vector<double>{1, 5, 1}));
  auto none = run(R"({"site_id":"nobody","metrics":["visits","pageviews"],"date_range":"7d"})");
  EXPECT_EQ(by_dims(none)[""], (std::vector<double>{0, 0}));
}

TEST(StatsQuery, EventPageDimensionCountsSessionsWithAMatchingEvent) {
  auto r = run(R"({"site_id":"p_stats","metrics":["pageviews","visitors","visits",
      "bounce_rate"],"date_range":"day","dimensions":["event:page"]})");
  auto rows = by_dims(r);
  EXPECT_EQ(rows["/"], (std::vector<double>{2, 1, 2, 0}));
  EXPECT_EQ(rows["/blog"], (std::vector<double>{2, 2, 2, 50}));
  EXPECT_EQ(rows["/pricing"], (std::vector<double>{1, 1, 1, 0}));
  EXPECT_EQ(rows.size(), 3u);
}

TEST(StatsQuery, VisitDimensions) {
  auto src = by_dims(run(R"({"site_id":"p_stats","metrics":["visits","pageviews"],
      "date_range":"day","dimensions":["visit:source"]})"));
  EXPECT_EQ(src["google.com"], (std::vector<double>{1, 3}));
  EXPECT_EQ(src["Direct / None"], (std::vector<double>{1, 1}));
  EXPECT_EQ(src["news.ycombinator.com"], (std::vector<double>{1, 1}));
  auto multi = by_dims(run(R"({"site_id":"p_stats","metrics":["visitors"],"date_range":"day",
      "dimensions":["visit:country","visit:browser","visit:device","visit:entry_page",
      "visit:exit_page"]})"));
  EXPECT_EQ(multi["US|Chrome|desktop|/|/pricing"], (std::vector<double>{1}));
  EXPECT_EQ(multi["US|Chrome|desktop|/|/"], (std::vector<double>{1}));
  EXPECT_EQ(multi["DE|Firefox|mobile|/blog|/blog"], (std::vector<double>{1}));
  auto names = by_dims(run(R"({"site_id":"p_stats","metrics":["events","pageviews"],
      "date_range":"day","dimensions":["event:name","event:hostname"]})"));
  EXPECT_EQ(names["pageview|example.com"], (std::vector<double>{0, 5}));
  EXPECT_EQ(names["signup|example.com"], (std::vector<double>{1, 0}));
  // A visit dimension with an event metric joins events to their session's attributes.
  auto channel = by_dims(run(R"({"site_id":"p_stats","metrics":["pageviews","visit_duration"],
      "date_range":"day","dimensions":["visit:channel","time:day"]})"));
  EXPECT_EQ(channel["Referral|2026-11-20"], (std::vector<double>{4, 210}));
  EXPECT_EQ(channel["Direct|2026-11-20"], (std::vector<double>{1, 0}));
}

TEST(StatsQuery, FiltersIsAndContainsWithOredValues) {
  auto us = by_dims(run(R"({"site_id":"p_stats","metrics":["visits","pageviews"],
      "date_range":"day","filters":[["is","visit:country",["US"]]]})"));
  EXPECT_EQ(us[""], (std::vector<double>{2, 4}));
  auto either = by_dims(run(R"({"site_id":"p_stats","metrics":["visits"],"date_range":"day",
      "filters":[["is","visit:country",["US","DE"]]]})"));
  EXPECT_EQ(either[""], (std::vector<double>{3}));
  auto blog = by_dims(run(R"({"site_id":"p_stats","metrics":["visits","pageviews",
      "bounce_rate","visit_duration"],"date_range":"day",
      "filters":[["contains","event:page",["blog"]]]})"));
  EXPECT_EQ(blog[""], (std::vector<double>{2, 2, 50, 150}));
  auto not_blog = by_dims(run(R"({"site_id":"p_stats","metrics":["pageviews"],
      "date_range":"day","filters":[["is_not","event:page",["/blog"]],
      ["matches","event:page",["^/p"]]]})"));
  EXPECT_EQ(not_blog[""], (std::vector<double>{1}));
  auto ci = by_dims(run(R"({"site_id":"p_stats","metrics":["visits"],"date_range":"day",
      "filters":[["contains","visit:source",["GOOGLE"],{"case_sensitive":false}]]})"));
  EXPECT_EQ(ci[""], (std::vector<double>{1}));
  auto hostile = by_dims(run(R"({"site_id":"p_stats","metrics":["visits"],"date_range":"day",
      "filters":[["is","visit:source",["x') OR 1=1 --","\\' OR '1'='1"]]]})"));
  EXPECT_EQ(hostile[""], (std::vector<double>{0}));
}

TEST(StatsQuery, PaginationAndOrder) {
  auto r = run(R"({"site_id":"p_stats","metrics":["pageviews"],"date_range":"day",
      "dimensions":["event:page"],"order_by":[["pageviews","desc"],["event:page","asc"]],
      "pagination":{"limit":1,"offset":1},"include":{"total_rows":true}})");
  const auto& results = r.at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].at("dimensions").as_array()[0].as_string(), "/blog");
  EXPECT_EQ(num(r.at("meta").at("total_rows")), 3);
}

TEST(StatsQuery, TimeBucketsFollowTheProjectTimeZone) {
  auto utc = by_dims(run(R"({"site_id":"p_stats","metrics":["visits","pageviews"],
      "date_range":"day","dimensions":["time:hour"]})"));
  EXPECT_EQ(utc["2026-11-20 10:00:00"], (std::vector<double>{1, 3}));
  EXPECT_EQ(utc["2026-11-20 11:00:00"], (std::vector<double>{1, 1}));
  EXPECT_EQ(utc["2026-11-20 14:00:00"], (std::vector<double>{1, 1}));
  auto ny = by_dims(run(R"({"site_id":"p_stats","metrics":["visits"],
      "date_range":["2026-11-20","2026-11-20"],"dimensions":["time:hour"]})",
                        "America/New_York"));
  EXPECT_EQ(ny["2026-11-20 05:00:00"], (std::vector<double>{1}));
  EXPECT_EQ(ny["2026-11-20 09:00:00"], (std::vector<double>{1}));
  // 02:00 UTC on the 21st is still the 20th in New York.
  auto tz_utc = by_dims(run(R"({"site_id":"p_tz","metrics":["pageviews"],
      "date_range":["2026-11-20","2026-11-21"],"dimensions":["time:day"]})"));
  EXPECT_EQ(tz_utc["2026-11-21"], (std::vector<double>{1}));
  auto tz_ny = run(R"({"site_id":"p_tz","metrics":["pageviews"],
      "date_range":["2026-11-20","2026-11-21"],"dimensions":["time"],
      "include":{"time_labels":true}})",
                   "America/New_York");
  EXPECT_EQ(by_dims(tz_ny)["2026-11-20"], (std::vector<double>{1}));
  EXPECT_EQ(tz_ny.at("query").at("dimensions").as_array()[0].as_string(), "time:day");
  EXPECT_EQ(tz_ny.at("query").at("date_range").as_array()[0].as_string(),
            "2026-11-20T00:00:00-05:00");
  EXPECT_EQ(tz_ny.at("meta").at("time_labels").as_array().size(), 2u);
}

TEST(StatsQuery, BothSessionFormsGiveTheSameAnswers) {
  SqlDialect final_form;
  final_form.sessions_final = true;
  SqlDialect argmax_form;
  argmax_form.sessions_final = false;
  auto q = parse_stats_query(R"({"site_id":"p_stats","metrics":["visits","bounce_rate"],
      "date_range":"day","dimensions":["visit:exit_page"]})");
  ASSERT_TRUE(q.ok());
  auto sql_final = stats_query_sql(*q, final_form, "UTC", 0, 100);
  auto sql_argmax = stats_query_sql(*q, argmax_form, "UTC", 0, 100);
  ASSERT_TRUE(sql_final.ok() && sql_argmax.ok());
  EXPECT_NE(sql_final->find("FINAL"), std::string::npos);
  EXPECT_EQ(sql_final->find("argMax"), std::string::npos);
  EXPECT_NE(sql_argmax->find("argMax"), std::string::npos);
  EXPECT_EQ(sql_argmax->find("FINAL"), std::string::npos);
  const std::string request = R"({"site_id":"p_stats","metrics":["visits","bounce_rate",
      "visit_duration","pageviews"],"date_range":"day","dimensions":["visit:exit_page"]})";
  auto a = by_dims(run(request, "UTC", &final_form));
  auto b = by_dims(run(request, "UTC", &argmax_form));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["/pricing"], (std::vector<double>{1, 0, 300, 3}));  // only A's latest state
  EXPECT_EQ(a.count("/"), 1u);  // C; A's first state (exit "/") does not count
  EXPECT_EQ(a["/"], (std::vector<double>{1, 0, 120, 1}));
}

TEST(StatsQuery, BadRequestsAreClearErrors) {
  auto expect_error = [](const std::string& request, const std::string& needle) {
    auto q = parse_stats_query(request);
    ASSERT_FALSE(q.ok()) << request;
    EXPECT_EQ(q.error().http_status, 400);
    EXPECT_NE(q.error().message.find(needle), std::string::npos) << q.error().message;
  };
  expect_error(R"({"site_id":"a","metrics":["revenue"],"date_range":"day"})", "revenue");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"day",
      "dimensions":["visit:secret_column"]})",
               "visit:secret_column");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"day",
      "filters":[["like","event:page",["/"]]]})",
               "like");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":["2026-02-30","2026-03-01"]})",
               "date_range");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":["2026-03-02","2026-03-01"]})",
               "starts after");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"fortnight"})", "fortnight");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"day",
      "pagination":{"limit":10001}})",
               "limit");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"day",
      "order_by":[["pageviews","desc"]]})",
               "pageviews");
  expect_error(R"({"metrics":["visits"],"date_range":"day"})", "site_id");
  expect_error(R"({"site_id":"a","metrics":["visits"],"date_range":"day",
      "filters":[["matches","event:page",["(unclosed"]]]})",
               "regular expression");
  expect_error("not json", "JSON");
}

}  // namespace
}  // namespace bklit::store
