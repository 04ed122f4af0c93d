#pragma once
// Realistic visitor sessions in the wire format of @bklit/sdk 1.0.1 (docs/protocol.md): 3-8
// pageviews over a small site map, 0-3 custom events with metadata, a landing referrer from
// a realistic mix (search, social, newsletter UTM links, paid clicks, direct) and one of
// ~20 real user agents (a few of them bots).

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace bklit::loadgen {

struct UserAgentSpec {
  std::string_view text;
  bool bot;
  bool mobile;
  bool tablet;
  int weight;
};

// One message of a session, decided when the session starts; the JSON is written at send
// time so its timestamp is the send time.
struct SessionStep {
  bool pageview = true;
  std::size_t page = 0;   // index into the site map (pageviews; events: page they happen on)
  std::size_t event = 0;  // index into the custom events (events only)
  std::string url;        // full page URL (pageviews)
  std::string referrer;   // empty = null
  std::string referrer_host;
  std::string_view referrer_type;
  // The step's SDK message as Traffic::render wrote it for its session, split around the
  // timestamp, which append_message writes at send time.
  std::string head, tail;
};

struct Session {
  std::string session_id;  // "<ms>-<base36>", the SDK's shape
  const UserAgentSpec* user_agent = nullptr;
  std::string client_ip;
  std::string landing_url;
  std::string_view language;
  std::string_view timezone;
  int screen_w = 0, screen_h = 0, viewport_w = 0, viewport_h = 0;
  bool new_visitor = false;
  std::vector<SessionStep> steps;

  bool bot() const { return user_agent->bot; }
};

class Traffic {
 public:
  // `site_host` is the project's domain (pages are https://<site_host>/...).
  Traffic(std::string project_id, std::string token, std::string site_host, std::uint64_t seed);

  // A new session, its messages rendered.
  Session next_session(std::int64_t now_ms);
  // Renders every step's message for `s` again (after its steps or identity changed).
  void render(Session& s) const;

  // Appends the SDK message for step `i` of `s` (one JSON object, no trailing newline),
  // timestamped `now_ms`.
  static void append_message(std::string& out, const Session& s, std::size_t i,
                             std::int64_t now_ms);
  // A pageview of `url` in session `s` (the ack-to-queryable probes).
  void append_pageview(std::string& out, const Session& s, const std::string& url,
                       std::int64_t now_ms);

  const std::string& site_host() const { return site_host_; }
  static const std::vector<UserAgentSpec>& user_agents();

 private:
  std::size_t pick_weighted(const int* weights, std::size_t n);
  std::string random_ip();

  std::string project_id_;
  std::string token_;
  std::string site_host_;
  std::mt19937_64 rng_;
};

}  // namespace bklit::loadgen
