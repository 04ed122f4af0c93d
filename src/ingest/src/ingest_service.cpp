#include "bklit/ingest/ingest_service.hpp"

#include <fmt/format.h>

#include <charconv>

#include "bklit/auth/origin.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/ids.hpp"
#include "bklit/core/log.hpp"
#include "bklit/enrich/acquisition.hpp"
#include "bklit/enrich/screen.hpp"
#include "bklit/enrich/visitor_id.hpp"

namespace bklit::ingest {
namespace {

constexpr std::int64_t kFutureToleranceMs = 60'000;
// A session that began this long ago still uses the salt of the day it began on, so a
// visit that crosses midnight keeps one visitor (docs/metrics.md).
constexpr std::int64_t kSaltCarryOverMs = 6 * 3600 * 1000;

bool id_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_' || c == '.';
}

bool valid_id(std::string_view id, std::size_t max) {
  if (id.empty() || id.size() > max) return false;
  for (char c : id) {
    if (!id_char(c)) return false;
  }
  return true;
}

// The ms timestamp an SDK session id starts with, or 0.
std::int64_t session_started_ms(std::string_view session_id) {
  auto dash = session_id.find('-');
  if (dash == std::string_view::npos || dash < 12 || dash > 14) return 0;
  std::int64_t ms = 0;
  auto [p, ec] = std::from_chars(session_id.data(), session_id.data() + dash, ms);
  if (ec != std::errc() || p != session_id.data() + dash) return 0;
  return ms;
}

std::int64_t clamp_time(const std::string& iso, std::int64_t now_ms, std::int64_t skew_ms) {
  std::int64_t ts = 0;
  if (iso.empty() || !core::parse_iso8601_ms(iso, ts)) return now_ms;
  if (ts > now_ms + kFutureToleranceMs || ts < now_ms - skew_ms) return now_ms;
  return std::min(ts, now_ms);
}

}  // namespace

bool valid_session_id(std::string_view id) { return valid_id(id, 128); }
bool valid_project_id(std::string_view id) { return valid_id(id, 128); }

IngestService::IngestService(IngestDeps deps, enrich::TrustedProxies proxies)
    : deps_(deps),
      proxies_(std::move(proxies)),
      salts_(*deps.app),
      project_limiter_(deps.config->rate_limit_project_per_s,
                       deps.config->rate_limit_project_burst),
      id_prefix_(core::random_hex(8)) {
  const auto& c = *deps.config;
  limits_.max_string_bytes = c.max_string_bytes;
  limits_.max_metadata_keys = c.max_metadata_keys;
  limits_.max_metadata_value_bytes = c.max_metadata_value_bytes;
  limits_.max_batch_messages = c.max_batch_messages;
}

std::string IngestService::next_event_id() {
  // Unique without a syscall: a random per-process prefix and a counter in hex.
  std::string id = id_prefix_;
  core::append_hex16(id, id_counter_.fetch_add(1, std::memory_order_relaxed));
  return id;
}

std::shared_ptr<const appdb::Project> IngestService::project(const std::string& id,
                                                             std::int64_t now_ms) {
  {
    std::lock_guard lock(projects_mu_);
    auto it = projects_.find(id);
    if (it != projects_.end() &&
        now_ms - it->second.fetched_ms < deps_.config->token_cache_ttl_ms) {
      return it->second.project;
    }
  }
  std::shared_ptr<const appdb::Project> found;
  if (auto row = deps_.app->find_project(id)) {
    found = std::make_shared<const appdb::Project>(std::move(*row));
  }
  std::lock_guard lock(projects_mu_);
  if (projects_.size() > 100000) projects_.clear();
  projects_[id] = CachedProject{found, now_ms};
  return found;
}

core::Status IngestService::authorize(const appdb::Project& project, const std::string& api_key,
                                      const std::string& origin, std::int64_t now_ms) {
  static const std::vector<std::string> kNoExtraDomains;
  std::shared_ptr<const appdb::ApiToken> token;
  if (api_key.empty()) {
    if (!project.public_ingest) {
      return core::make_error("unauthorized",
                              "an API token is required: send {\"type\":\"auth\",\"apiKey\":...} "
                              "or apiKey in each message",
                              401);
    }
  } else {
    // A public project accepts events without a token, but not with a bad one.
    auto verified = deps_.tokens->verify(api_key, project.id, appdb::Scope::kIngest, now_ms);
    if (!verified) return verified.error();
    token = std::move(*verified);
  }
  const auto& extra_domains = token ? token->allowed_domains : kNoExtraDomains;
  if (!origin.empty() && !auth::origin_allowed(origin, project.domain, extra_domains)) {
    return core::make_error(
        "forbidden_origin",
        fmt::format("origin '{}' is not allowed for this project", origin.substr(0, 200)), 403);
  }
  return core::Ok{};
}

std::uint64_t IngestService::visitor_for(const std::string& project_id,
                                         const std::string& session_id, const std::string& ip,
                                         const std::string& ua, std::int64_t now_ms) {
  std::int64_t salt_time = now_ms;
  auto started = session_started_ms(session_id);
  if (started > 0 && started <= now_ms && now_ms - started < kSaltCarryOverMs) {
    salt_time = started;
  }
  return enrich::compute_visitor_id(salts_.salt_for_time(salt_time), project_id, ip, ua);
}

void IngestService::enrich_client(core::Event& e, ClientContext& ctx, const std::string& ua) {
  // A socket's messages share the client: parse its user agent and look up its address
  // once (the parser's own cache is shared by every thread, and so takes a lock).
  if (!ctx.websocket || ctx.memo_ua != ua || ctx.memo_device.device_type.empty()) {
    ctx.memo_device = deps_.user_agents->parse(ua);
    ctx.memo_ua = ua;
  }
  const auto& device = ctx.memo_device;
  e.browser = device.browser;
  e.browser_version = device.browser_version;
  e.os = device.os;
  e.os_version = device.os_version;
  e.device_type = device.device_type;
  e.is_bot = device.is_bot;
  if (deps_.geo != nullptr) {
    if (!ctx.websocket || !ctx.memo_geo_done) {
      ctx.memo_geo = deps_.geo->lookup(ctx.client_ip);
      ctx.memo_geo_done = ctx.websocket;
    }
    e.country = ctx.memo_geo.country;
    e.region = ctx.memo_geo.region;
    e.city = ctx.memo_geo.city;
  }
}

core::Result<core::Event> IngestService::build_event(const SdkMessage& msg, ClientContext& ctx,
                                                     std::int64_t now_ms) {
  if (shutting_down_) {
    return core::make_error("shutting_down", "the server is restarting; retry shortly", 503);
  }
  const bool is_pageview = msg.kind == SdkMessage::Kind::kPageview;
  const std::string& msg_project = is_pageview ? msg.pageview.project_id : msg.event.project_id;
  const std::string& msg_session = is_pageview ? msg.pageview.session_id : msg.event.session_id;

  std::string project_id = ctx.websocket ? ctx.project_id : msg_project;
  if (project_id.empty()) {
    return core::make_error("missing_field", "data.projectId is required");
  }
  if (!msg_project.empty() && msg_project != project_id) {
    return core::make_error("project_mismatch",
                            "data.projectId does not match the connection's projectId", 400);
  }
  if (ctx.websocket && !msg_session.empty() && msg_session != ctx.session_id) {
    return core::make_error("session_mismatch",
                            "data.sessionId does not match the connection's sessionId", 400);
  }
  auto proj = project(project_id, now_ms);
  if (!proj) {
    return core::make_error("unknown_project", "no project with this projectId", 404);
  }
  const std::string& key = msg.api_key.empty() ? ctx.api_key : msg.api_key;
  // A socket's project, origin and token do not change: one check holds for the token
  // cache's lifetime, so a revoked token stops this socket as soon as it stops new ones.
  const bool still_authorized =
      ctx.websocket && now_ms < ctx.authorized_until_ms && key == ctx.authorized_key;
  if (!still_authorized) {
    auto auth_status = authorize(*proj, key, ctx.origin, now_ms);
    if (!auth_status) return auth_status.error();
    if (ctx.websocket) {
      ctx.authorized_key = key;
      ctx.authorized_until_ms =
          now_ms + static_cast<std::int64_t>(deps_.config->token_cache_ttl_ms);
    }
  }
  if (!project_limiter_.take(project_id, now_ms)) {
    return core::make_error("rate_limited", "too many events for this project; slow down", 429);
  }

  core::Event e;
  e.type = is_pageview ? core::EventType::kPageview : core::EventType::kCustom;
  e.project_id = project_id;
  e.received_ms = now_ms;
  e.event_id = next_event_id();
  const auto skew = deps_.config->max_clock_skew_ms;

  std::string ua;
  if (is_pageview) {
    const auto& p = msg.pageview;
    auto page = enrich::parse_page_url(p.url);
    if (!page) {
      return core::make_error("invalid_field", "data.url: " + page.error().message);
    }
    ua = p.user_agent.empty() ? ctx.user_agent : p.user_agent;
    e.timestamp_ms = clamp_time(p.timestamp, now_ms, skew);
    e.url = p.url;
    e.referrer = p.referrer;
    auto acq = enrich::classify_acquisition(*page, p.referrer, proj->domain);
    e.referrer_host = std::move(acq.referrer_host);
    e.source = std::move(acq.source);
    e.channel = std::move(acq.channel);
    e.hostname = std::move(page->hostname);
    e.pathname = std::move(page->pathname);
    e.query = std::move(page->query);
    e.utm_source = std::move(page->utm_source);
    e.utm_medium = std::move(page->utm_medium);
    e.utm_campaign = std::move(page->utm_campaign);
    e.utm_term = std::move(page->utm_term);
    e.utm_content = std::move(page->utm_content);
    e.utm_id = std::move(page->utm_id);
    e.click_id = std::move(page->click_id);
    e.screen_width = static_cast<std::uint16_t>(p.screen_width);
    e.screen_height = static_cast<std::uint16_t>(p.screen_height);
    e.viewport_width = static_cast<std::uint16_t>(p.viewport_width);
    e.viewport_height = static_cast<std::uint16_t>(p.viewport_height);
    e.screen_class = enrich::screen_class(p.screen_width);
    e.language = p.language;
    e.timezone = p.timezone;
    e.is_new_visitor = p.is_new_visitor;
    e.landing_page = p.landing_page;
    ctx.last_url = p.url;
  } else {
    const auto& ev = msg.event;
    ua = ev.user_agent.empty() ? ctx.user_agent : ev.user_agent;
    e.timestamp_ms = clamp_time(ev.timestamp, now_ms, skew);
    e.tracking_id = ev.tracking_id;
    e.event_type = ev.event_type;
    e.metadata = ev.metadata;
    const std::string& page_url = ev.url.empty() ? ctx.last_url : ev.url;
    if (!page_url.empty()) {
      auto page = enrich::parse_page_url(page_url);
      if (page) {
        e.url = page_url;
        e.hostname = std::move(page->hostname);
        e.pathname = std::move(page->pathname);
      } else if (!ev.url.empty()) {
        return core::make_error("invalid_field", "data.url: " + page.error().message);
      }
    }
  }
  enrich_client(e, ctx, ua);
  std::string session = ctx.websocket ? ctx.session_id : msg_session;
  if (!session.empty() && !valid_session_id(session)) {
    return core::make_error("invalid_field",
                            "data.sessionId may only hold letters, digits, '-', '_' and '.'");
  }
  e.visitor_id = visitor_for(project_id, session, ctx.client_ip, ua, now_ms);
  // HTTP events without a session are grouped by visitor; the worker applies the
  // 30-minute rule to these ids like to any other.
  e.session_id = session.empty() ? fmt::format("v-{:016x}", e.visitor_id) : session;
  return e;
}

core::Event IngestService::build_session_end(const ClientContext& ctx, std::int64_t now_ms) {
  core::Event e;
  e.type = core::EventType::kSessionEnd;
  e.event_id = next_event_id();
  e.project_id = ctx.project_id;
  e.session_id = ctx.session_id;
  e.timestamp_ms = now_ms;
  e.received_ms = now_ms;
  return e;
}

void IngestService::begin_shutdown() {
  // Under the same lock as the in-flight count, so no append slips in after wait_idle()
  // has seen zero: every message is either acked before the sockets close or refused.
  std::lock_guard lock(idle_mu_);
  shutting_down_ = true;
}

bool IngestService::append(std::vector<std::string> payloads,
                           queue::EventQueue::AppendCallback done) {
  auto n = payloads.size();
  {
    std::lock_guard lock(idle_mu_);
    if (shutting_down_) return false;
    ++in_flight_;
  }
  // Live fan-out needs the payloads after the append; copy them only when someone watches.
  std::vector<std::string> copies;
  if (deps_.on_durable && (!deps_.live_wanted || deps_.live_wanted())) copies = payloads;
  deps_.queue->append(
      std::move(payloads),
      [this, n, done = std::move(done), copies = std::move(copies)](queue::AppendStatus status) {
        if (status == queue::AppendStatus::kDurable) {
          accepted_ += n;
          if (!copies.empty()) {
            try {
              deps_.on_durable(copies);
            } catch (const std::exception& e) {
              core::log::warn(std::string("ingest: live publish failed: ") + e.what());
            }
          }
        }
        done(status);
        std::lock_guard lock(idle_mu_);
        if (--in_flight_ == 0) idle_cv_.notify_all();
      });
  return true;
}

void IngestService::wait_idle() {
  std::unique_lock lock(idle_mu_);
  idle_cv_.wait(lock, [this] { return in_flight_ == 0; });
}

}  // namespace bklit::ingest
