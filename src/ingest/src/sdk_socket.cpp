#include "bklit/ingest/sdk_socket.hpp"

#include <deque>
#include <mutex>

#include "bklit/core/clock.hpp"
#include "bklit/core/error_json.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/text.hpp"

namespace bklit::ingest {
namespace {

constexpr std::string_view kShuttingDown = "the server is restarting; retry shortly";

using core::error_frame;

std::string ack_frame(std::string_view message_type, std::string_view event_id) {
  std::string out = R"({"type":"ack","messageType":")";
  out += message_type;
  out += R"(","eventId":")";
  out += event_id;
  out += R"("})";
  return out;
}

class SdkSocket : public net::WsSession, public std::enable_shared_from_this<SdkSocket> {
 public:
  SdkSocket(IngestService& service, ClientContext ctx, std::shared_ptr<net::WsConnection> conn)
      : service_(service),
        ctx_(std::move(ctx)),
        conn_(std::move(conn)),
        bucket_(service.config().rate_limit_connection_per_s,
                service.config().rate_limit_connection_burst),
        max_inflight_(service.config().max_inflight_per_connection) {}

  void on_open() override {
    auto now = core::now_ms();
    if (!valid_project_id(ctx_.project_id)) {
      return refuse("projectId query parameter is missing or malformed");
    }
    if (!valid_session_id(ctx_.session_id)) {
      return refuse("sessionId query parameter is missing or malformed");
    }
    auto project = service_.project(ctx_.project_id, now);
    if (!project) return refuse("unknown projectId");
    std::string hello = R"({"type":"connected","sessionId":)";
    core::append_json_string(hello, ctx_.session_id);
    hello += '}';
    conn_->send_text(std::move(hello));
  }

  void on_text(std::string text) override {
    auto now = core::now_ms();
    if (closed_) return;
    if (!bucket_.take(now)) {
      return reply_now(error_frame("rate_limited", "too many messages on this connection"));
    }
    auto parsed = parse_sdk_message(text, service_.limits());
    if (!parsed) return reply_now(error_frame(parsed.error().code, parsed.error().message));
    auto& msg = *parsed;
    if (msg.kind == SdkMessage::Kind::kAuth) return handle_auth(msg.api_key, now);

    auto event = service_.build_event(msg, ctx_, now);
    if (!event) {
      const auto& err = event.error();
      reply_now(error_frame(err.code, err.message));
      // A token or origin the project refuses will not get better on this socket.
      if (err.http_status == 401 || err.http_status == 403) {
        conn_->close(1008, err.code);
        closed_ = true;
      }
      return;
    }
    authorized_ = true;
    const bool pageview = msg.kind == SdkMessage::Kind::kPageview;
    auto slot = reserve_slot();
    batch_payloads_.push_back(core::encode_event(*event));
    batch_acks_.push_back(Reply{slot, ack_frame(pageview ? "pageview" : "event", event->event_id)});
    if (batch_payloads_.size() >= kMaxBatch) flush_batch();
  }

  // Every message that had arrived is parsed: one queue append for all of them, and one
  // hand-off of their acks to the connection once durable.
  void on_read_idle() override { flush_batch(); }

  void on_binary(std::size_t /*bytes*/) override {
    reply_now(error_frame("binary_not_supported",
                          "binary frames are not accepted; send JSON text frames"));
  }

  void on_close(std::uint16_t /*code*/) override {
    flush_batch();  // events that arrived with the close are stored before the session ends
    closed_ = true;
    // A socket closed by the browser ends the session (docs/metrics.md). A socket closed
    // because this server is stopping does not: the SDK reconnects to the same session.
    if (!authorized_ || service_.shutting_down()) return;
    auto now = core::now_ms();
    std::vector<std::string> payloads;
    payloads.push_back(core::encode_event(service_.build_session_end(ctx_, now)));
    // Refused only when shutdown began meanwhile, which does not end sessions either.
    (void)service_.append(std::move(payloads), [](queue::AppendStatus status) {
      if (status != queue::AppendStatus::kDurable) {
        core::log::warn("a session_end event could not be queued");
      }
    });
  }

 private:
  struct Slot {
    std::uint64_t id;
    bool ready = false;
    std::string frame;
  };

  struct Reply {
    std::uint64_t slot;
    std::string frame;
  };

  void flush_batch() {
    if (batch_payloads_.empty()) return;
    std::vector<std::string> payloads;
    payloads.swap(batch_payloads_);
    std::vector<Reply> acks;
    acks.swap(batch_acks_);
    auto first = acks.front().slot;
    auto count = acks.size();
    bool appended = service_.append(
        std::move(payloads),
        [self = shared_from_this(), acks = std::move(acks)](queue::AppendStatus status) mutable {
          if (status != queue::AppendStatus::kDurable) {
            std::string frame =
                status == queue::AppendStatus::kOverloaded
                    ? error_frame("overloaded",
                                  "the server is overloaded; the event was not stored, retry later")
                    : error_frame("unavailable", "the event could not be stored; retry later");
            for (auto& r : acks) r.frame = frame;
          }
          self->complete(acks);
        });
    if (!appended) {
      std::vector<Reply> refused;
      refused.reserve(count);
      for (std::size_t i = 0; i < count; ++i) {
        refused.push_back(Reply{first + i, error_frame("shutting_down", kShuttingDown)});
      }
      complete(refused);
    }
  }

  void refuse(const std::string& reason) {
    closed_ = true;
    conn_->send_text(error_frame("connection_refused", reason));
    conn_->close(1008, reason);
  }

  void handle_auth(const std::string& key, std::int64_t now) {
    auto project = service_.project(ctx_.project_id, now);
    if (!project) return refuse("unknown projectId");
    auto st = service_.authorize(*project, key, ctx_.origin, now);
    if (!st) {
      reply_now(error_frame(st.error().code, st.error().message));
      conn_->close(1008, st.error().code);
      closed_ = true;
      return;
    }
    ctx_.api_key = key;
    authorized_ = true;
    reply_now(R"({"type":"auth_success"})");
  }

  // Replies keep the order of the messages they answer: each message takes a slot, and
  // frames leave only when every earlier slot is ready.
  std::uint64_t reserve_slot() {
    std::lock_guard lock(mu_);
    auto id = next_slot_++;
    slots_.push_back(Slot{id, false, {}});
    if (slots_.size() >= max_inflight_ && !paused_) {
      paused_ = true;
      conn_->pause_reading();
    }
    return id;
  }

  void complete(std::vector<Reply>& replies) {
    std::vector<std::string> ready;
    std::lock_guard lock(mu_);
    for (auto& r : replies) {
      auto idx = r.slot - slots_.front().id;
      slots_[idx].ready = true;
      slots_[idx].frame = std::move(r.frame);
    }
    while (!slots_.empty() && slots_.front().ready) {
      ready.push_back(std::move(slots_.front().frame));
      slots_.pop_front();
    }
    if (!ready.empty()) conn_->send_texts(std::move(ready));
    if (paused_ && slots_.size() < max_inflight_ / 2) {
      paused_ = false;
      conn_->resume_reading();
    }
  }

  void reply_now(std::string frame) {
    std::lock_guard lock(mu_);
    if (slots_.empty()) {
      conn_->send_text(std::move(frame));
      return;
    }
    auto id = next_slot_++;
    slots_.push_back(Slot{id, true, std::move(frame)});
  }

  IngestService& service_;
  ClientContext ctx_;
  std::shared_ptr<net::WsConnection> conn_;
  TokenBucket bucket_;
  std::size_t max_inflight_;
  std::mutex mu_;
  std::deque<Slot> slots_;
  // Parsed and enriched, waiting for on_read_idle (only touched on the connection's thread).
  static constexpr std::size_t kMaxBatch = 256;
  std::vector<std::string> batch_payloads_;
  std::vector<Reply> batch_acks_;
  std::uint64_t next_slot_ = 0;
  bool paused_ = false;
  bool authorized_ = false;
  bool closed_ = false;
};

}  // namespace

std::shared_ptr<net::WsSession> make_sdk_socket(IngestService& service,
                                                const net::HttpRequest& upgrade,
                                                std::shared_ptr<net::WsConnection> connection) {
  ClientContext ctx;
  ctx.websocket = true;
  ctx.project_id = upgrade.query_param("projectId");
  ctx.session_id = upgrade.query_param("sessionId");
  ctx.origin = std::string(upgrade.header("origin"));
  ctx.user_agent = std::string(core::utf8_truncate(upgrade.header("user-agent"), 1024));
  ctx.client_ip = service.proxies().client_ip(upgrade.remote_ip, upgrade.header("x-forwarded-for"));
  return std::make_shared<SdkSocket>(service, std::move(ctx), std::move(connection));
}

}  // namespace bklit::ingest
