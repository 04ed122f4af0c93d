#include "traffic.hpp"

#include <fmt/format.h>

#include <array>

#include "bklit/core/clock.hpp"
#include "bklit/core/json.hpp"

namespace bklit::loadgen {
namespace {

// Weights roughly follow public browser-share figures for a developer-tools site.
const std::vector<UserAgentSpec> kUserAgents = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     false, false, false, 18},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     false, false, false, 12},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36",
     false, false, false, 4},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", false,
     false, false, 5},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0", false,
     false, false, 2},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", false, false,
     false, 2},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15",
     false, false, false, 7},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
     false, false, false, 6},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0",
     false, false, false, 1},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
     false, true, false, 12},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
     false, true, false, 3},
    {"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.6 Mobile/15E148 Safari/604.1",
     false, false, true, 2},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36",
     false, true, false, 10},
    {"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
     false, true, false, 3},
    {"Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", false, true, false, 1},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.6778.81 Mobile Safari/537.36 EdgA/131.0.2903.70",
     false, true, false, 1},
    {"Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     false, false, true, 1},
    {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36",
     false, false, false, 1},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true, false, false,
     2},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true, false, false,
     1},
};

struct Page {
  std::string_view path;
  int landing_weight;
};

const std::array<Page, 14> kPages = {{
    {"/", 30},
    {"/pricing", 8},
    {"/features", 5},
    {"/blog", 3},
    {"/blog/launch-week", 12},
    {"/blog/realtime-analytics-without-cookies", 10},
    {"/docs", 3},
    {"/docs/getting-started", 9},
    {"/docs/sdk/javascript", 6},
    {"/signup", 3},
    {"/login", 4},
    {"/changelog", 2},
    {"/about", 1},
    {"/contact", 1},
}};

struct LandingSource {
  std::string_view referrer;       // empty = none
  std::string_view referrer_type;  // the SDK's guess
  std::string_view query;          // appended to the landing URL
  int weight;
};

const std::array<LandingSource, 12> kSources = {{
    {"", "direct", "", 30},
    {"https://www.google.com/", "organic", "", 24},
    {"https://www.bing.com/", "organic", "", 3},
    {"https://duckduckgo.com/", "organic", "", 3},
    {"https://t.co/Xq3LmP9a", "social", "", 6},
    {"https://www.linkedin.com/", "social", "", 3},
    {"https://www.reddit.com/r/webdev/", "social", "", 4},
    {"https://news.ycombinator.com/", "referral", "", 4},
    {"https://github.com/", "referral", "", 3},
    {"", "direct",
     "utm_source=newsletter&utm_medium=email&utm_campaign=november-digest&utm_content=hero", 9},
    {"https://www.google.com/", "organic",
     "utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0KCQiA", 5},
    {"https://l.facebook.com/", "social", "utm_source=facebook&utm_medium=social&fbclid=IwAR2x", 6},
}};

struct CustomEvent {
  std::string_view tracking_id;
  std::string_view event_type;
  std::string_view metadata_json;  // without triggerMethod
};

const std::array<CustomEvent, 6> kEvents = {{
    {"cta-button", "click", R"("buttonText":"Start free trial","plan":"pro")"},
    {"signup-form", "submit", R"("form":"signup","fields":"3")"},
    {"pricing-toggle", "click", R"("period":"yearly")"},
    {"video-play", "view", R"("video":"product-tour","position":"0")"},
    {"outbound-link", "click", R"("href":"https://github.com/bklit/bklit")"},
    {"newsletter", "submit", R"("list":"monthly")"},
}};

struct Locale {
  std::string_view language;
  std::string_view timezone;
  int weight;
};

const std::array<Locale, 8> kLocales = {{
    {"en-US", "America/New_York", 30},
    {"en-US", "America/Los_Angeles", 15},
    {"en-GB", "Europe/London", 12},
    {"de-DE", "Europe/Berlin", 12},
    {"fr-FR", "Europe/Paris", 8},
    {"pt-BR", "America/Sao_Paulo", 8},
    {"ja-JP", "Asia/Tokyo", 7},
    {"en-IN", "Asia/Kolkata", 8},
}};

// First octets of large, publicly routed allocations (so geo lookups find something).
constexpr std::array<int, 36> kPublicFirstOctets = {
    3,  5,  8,  12, 17, 23, 31, 37,  45,  46,  50,  62,  66,  73,  77,  81,  82,  84,
    86, 88, 90, 92, 94, 98, 99, 104, 109, 151, 176, 178, 185, 188, 193, 195, 212, 217};

std::string_view host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  auto rest = url.substr(scheme + 3);
  return rest.substr(0, rest.find('/'));
}

std::string base36(std::uint64_t v, std::size_t digits) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(digits, '0');
  for (std::size_t i = digits; i-- > 0;) {
    out[i] = kDigits[v % 36];
    v /= 36;
  }
  return out;
}

}  // namespace

Traffic::Traffic(std::string project_id, std::string token, std::string site_host,
                 std::uint64_t seed)
    : project_id_(std::move(project_id)),
      token_(std::move(token)),
      site_host_(std::move(site_host)),
      rng_(seed) {}

const std::vector<UserAgentSpec>& Traffic::user_agents() { return kUserAgents; }

std::size_t Traffic::pick_weighted(const int* weights, std::size_t n) {
  int total = 0;
  for (std::size_t i = 0; i < n; ++i) total += weights[i];
  int r = static_cast<int>(rng_() % static_cast<std::uint64_t>(total));
  for (std::size_t i = 0; i < n; ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return n - 1;
}

std::string Traffic::random_ip() {
  auto r = rng_();
  return fmt::format("{}.{}.{}.{}", kPublicFirstOctets[r % kPublicFirstOctets.size()],
                     (r >> 8) % 256, (r >> 16) % 256, 1 + (r >> 24) % 254);
}

Session Traffic::next_session(std::int64_t now_ms) {
  Session s;
  s.session_id = fmt::format("{}-{}", now_ms, base36(rng_(), 13));

  std::array<int, 32> w{};
  for (std::size_t i = 0; i < kUserAgents.size(); ++i) w[i] = kUserAgents[i].weight;
  s.user_agent = &kUserAgents[pick_weighted(w.data(), kUserAgents.size())];
  s.client_ip = random_ip();
  for (std::size_t i = 0; i < kLocales.size(); ++i) w[i] = kLocales[i].weight;
  const Locale& locale = kLocales[pick_weighted(w.data(), kLocales.size())];
  s.language = locale.language;
  s.timezone = locale.timezone;
  if (s.user_agent->mobile) {
    s.screen_w = 390, s.screen_h = 844, s.viewport_w = 390, s.viewport_h = 664;
  } else if (s.user_agent->tablet) {
    s.screen_w = 820, s.screen_h = 1180, s.viewport_w = 820, s.viewport_h = 1050;
  } else if (rng_() % 3 == 0) {
    s.screen_w = 1440, s.screen_h = 900, s.viewport_w = 1440, s.viewport_h = 789;
  } else {
    s.screen_w = 1920, s.screen_h = 1080, s.viewport_w = 1903, s.viewport_h = 961;
  }
  s.new_visitor = rng_() % 100 < 62;

  for (std::size_t i = 0; i < kPages.size(); ++i) w[i] = kPages[i].landing_weight;
  std::size_t page = pick_weighted(w.data(), kPages.size());
  for (std::size_t i = 0; i < kSources.size(); ++i) w[i] = kSources[i].weight;
  const LandingSource& source = kSources[pick_weighted(w.data(), kSources.size())];

  const int pageviews = 3 + static_cast<int>(rng_() % 6);
  const int events = static_cast<int>(rng_() % 4);
  // Custom events go after random pageviews (never before the first one).
  std::array<int, 8> events_after{};
  for (int e = 0; e < events; ++e) events_after[rng_() % static_cast<std::uint64_t>(pageviews)]++;

  std::string previous_url;
  for (int p = 0; p < pageviews; ++p) {
    SessionStep step;
    step.pageview = true;
    step.page = page;
    step.url = fmt::format("https://{}{}", site_host_, kPages[page].path);
    if (p == 0) {
      if (!source.query.empty()) step.url += fmt::format("?{}", source.query);
      step.referrer = std::string(source.referrer);
      step.referrer_host = std::string(host_of(source.referrer));
      step.referrer_type = source.referrer_type;
      s.landing_url = step.url;
    } else {
      step.referrer = previous_url;
      step.referrer_host = site_host_;
      step.referrer_type = "internal";
    }
    previous_url = step.url;
    s.steps.push_back(std::move(step));
    for (int e = 0; e < events_after[static_cast<std::size_t>(p)]; ++e) {
      SessionStep ev;
      ev.pageview = false;
      ev.page = page;
      ev.event = static_cast<std::size_t>(rng_() % kEvents.size());
      s.steps.push_back(std::move(ev));
    }
    // Walk on: mostly to a different page, sometimes back home.
    auto next = static_cast<std::size_t>(rng_() % kPages.size());
    page = next == page ? 0 : next;
  }
  render(s);
  return s;
}

void Traffic::append_pageview(std::string& out, const Session& s, const std::string& url,
                              std::int64_t now_ms) {
  SessionStep step;
  step.url = url;
  step.referrer_type = "direct";
  Session one = s;
  one.steps.assign(1, std::move(step));
  render(one);
  append_message(out, one, 0, now_ms);
}

void Traffic::render(Session& s) const {
  for (auto& step : s.steps) {
    step.head.clear();
    step.tail.clear();
    if (step.pageview) {
      step.head += R"({"type":"pageview","data":{"url":)";
      core::append_json_string(step.head, step.url);
      step.head += R"(,"timestamp":")";
      std::string& rest = step.tail;
      rest += R"(","referrer":)";
      if (step.referrer.empty()) {
        rest += "null";
      } else {
        core::append_json_string(rest, step.referrer);
      }
      rest += R"(,"referrerHostname":)";
      if (step.referrer_host.empty()) {
        rest += "null";
      } else {
        core::append_json_string(rest, step.referrer_host);
      }
      fmt::format_to(std::back_inserter(rest), R"(,"referrerType":"{}","userAgent":)",
                     step.referrer_type);
      core::append_json_string(rest, s.user_agent->text);
      fmt::format_to(
          std::back_inserter(rest),
          R"(,"viewport":{{"width":{},"height":{}}},"screen":{{"width":{},"height":{}}},)"
          R"("language":"{}","timezone":"{}","sessionId":"{}","projectId":"{}",)"
          R"("isNewVisitor":{},"landingPage":)",
          s.viewport_w, s.viewport_h, s.screen_w, s.screen_h, s.language, s.timezone, s.session_id,
          project_id_, s.new_visitor ? "true" : "false");
      core::append_json_string(rest, s.landing_url.empty() ? step.url : s.landing_url);
      rest += '}';
    } else {
      const CustomEvent& ev = kEvents[step.event];
      fmt::format_to(std::back_inserter(step.head),
                     R"({{"type":"event","data":{{"trackingId":"{}","eventType":"{}",)"
                     R"("timestamp":")",
                     ev.tracking_id, ev.event_type);
      fmt::format_to(std::back_inserter(step.tail),
                     R"(","metadata":{{{},"triggerMethod":"{}"}},)"
                     R"("projectId":"{}","sessionId":"{}"}})",
                     ev.metadata_json, ev.event_type == "view" ? "automatic" : "manual",
                     project_id_, s.session_id);
    }
    if (!token_.empty()) {
      step.tail += R"(,"apiKey":)";
      core::append_json_string(step.tail, token_);
    }
    step.tail += '}';
  }
}

void Traffic::append_message(std::string& out, const Session& s, std::size_t i,
                             std::int64_t now_ms) {
  const SessionStep& step = s.steps[i];
  out += step.head;
  core::append_iso8601_ms(out, now_ms);
  out += step.tail;
}

}  // namespace bklit::loadgen
