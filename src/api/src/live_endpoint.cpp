#include "bklit/api/live_endpoint.hpp"

#include <array>
#include <boost/json.hpp>
#include <mutex>

#include "bklit/api/stats_endpoint.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/error_json.hpp"
#include "bklit/core/event.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/log.hpp"
#include "bklit/realtime/live_channels.hpp"

namespace bklit::api {

namespace {

// Empty fields are left out of the relayed event.
void field(boost::json::object& out, std::string_view name, std::string_view value) {
  if (!value.empty()) out[name] = value;
}

class LiveSocket : public net::WsSession, public std::enable_shared_from_this<LiveSocket> {
 public:
  LiveSocket(LiveDeps deps, std::string site_id, std::string token,
             std::shared_ptr<net::WsConnection> conn)
      : deps_(deps),
        site_id_(std::move(site_id)),
        token_(std::move(token)),
        conn_(std::move(conn)) {}

  void on_open() override {
    if (site_id_.empty() || token_.empty()) {
      refuse("unauthorized", "open /api/live?site_id=<project>&token=<read token>");
      return;
    }
    std::weak_ptr<LiveSocket> weak = shared_from_this();
    bool queued = deps_.blocking->submit([weak] {
      if (auto self = weak.lock()) self->authorize();
    });
    if (!queued) refuse("busy", "server busy; retry later");
  }

  void on_text(std::string /*message*/) override {}  // the relay is one-way
  void on_binary(std::size_t /*bytes*/) override {}

  void on_close(std::uint16_t /*code*/) override {
    std::lock_guard lock(mu_);
    closed_ = true;
    subscriptions_[0].reset();
    subscriptions_[1].reset();
  }

 private:
  void refuse(std::string_view code, std::string_view message) {
    conn_->send_text(core::error_frame(code, message));
    conn_->close(1008, std::string(code));
  }

  void authorize() {
    try {
      auto verified = deps_.tokens->verify(token_, site_id_, appdb::Scope::kRead, core::now_ms());
      if (!verified) {
        refuse(verified.error().code, verified.error().message);
        return;
      }
    } catch (const std::exception& e) {
      core::log::warn(std::string("live: token check failed: ") + e.what());
      refuse("unavailable", "the app database is not available; retry later");
      return;
    }
    std::weak_ptr<LiveSocket> weak = shared_from_this();
    auto relay_event = [weak](const std::string&, const std::string& message) {
      if (auto self = weak.lock()) {
        auto frame = live_event_frame(message);
        if (!frame.empty()) self->send(std::move(frame));
      }
    };
    auto relay_record = [weak](const std::string&, const std::string& message) {
      if (auto self = weak.lock()) self->send(message);
    };
    auto events = deps_.pubsub->subscribe(realtime::LiveChannels::project(site_id_), relay_event);
    auto records =
        deps_.pubsub->subscribe(realtime::LiveChannels::pipeline(site_id_), relay_record);
    // "ready" promises that what is published from now on arrives: on Redis that takes the
    // SUBSCRIBE round trip. Past the timeout the relay still starts, with a possible gap.
    constexpr std::chrono::seconds kReadyTimeout{5};
    if (!events->wait_ready(kReadyTimeout) || !records->wait_ready(kReadyTimeout)) {
      core::log::warn("live: subscription not confirmed by the PubSub backend in time");
    }
    {
      std::lock_guard lock(mu_);
      if (closed_) return;  // the subscriptions go with this scope
      subscriptions_[0] = std::move(events);
      subscriptions_[1] = std::move(records);
    }
    conn_->send_text(
        boost::json::serialize(boost::json::object{{"type", "ready"}, {"site_id", site_id_}}));
  }

  // The connection bounds its write queue (max_ws_write_queue): a dashboard that stops
  // reading is disconnected instead of buffered without limit.
  void send(std::string frame) { conn_->send_text(std::move(frame)); }

  LiveDeps deps_;
  std::string site_id_, token_;
  std::shared_ptr<net::WsConnection> conn_;
  std::mutex mu_;
  bool closed_ = false;
  std::array<std::unique_ptr<realtime::Subscription>, 2> subscriptions_;
};

}  // namespace

std::string live_event_frame(std::string_view encoded_event) {
  auto event = core::decode_event(encoded_event);
  if (!event) {
    // Not shown live; the worker stores it as a dead letter. Logged once per process, as a
    // flood of them would otherwise flood the log of every api process.
    static std::once_flag logged;
    std::call_once(logged, [&] {
      core::log::warn("live: a record that does not decode was not relayed (" +
                      event.error().message + "); further ones are not logged");
    });
    return {};
  }
  if (event->is_bot || event->type == core::EventType::kSessionEnd) return {};
  const auto& e = *event;
  boost::json::object out;
  out["type"] = core::to_string(e.type);
  out["timestamp"] = e.timestamp_ms;
  field(out, "id", e.event_id);
  field(out, "session_id", e.session_id);
  field(out, "hostname", e.hostname);
  field(out, "pathname", e.pathname);
  field(out, "referrer_host", e.referrer_host);
  field(out, "source", e.source);
  field(out, "channel", e.channel);
  field(out, "country", e.country);
  field(out, "region", e.region);
  field(out, "city", e.city);
  field(out, "browser", e.browser);
  field(out, "os", e.os);
  field(out, "device_type", e.device_type);
  field(out, "tracking_id", e.tracking_id);
  field(out, "event_type", e.event_type);
  return boost::json::serialize(boost::json::object{{"type", "event"}, {"event", std::move(out)}});
}

std::shared_ptr<net::WsSession> make_live_socket(const LiveDeps& deps, const net::HttpRequest& req,
                                                 std::shared_ptr<net::WsConnection> conn) {
  std::string token = bearer_token(req);
  if (token.empty()) token = req.query_param("token");
  return std::make_shared<LiveSocket>(deps, req.query_param("site_id"), std::move(token),
                                      std::move(conn));
}

}  // namespace bklit::api
