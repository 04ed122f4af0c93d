// WebSocket visitor slots: each connects like @bklit/sdk (?projectId&sessionId, auth first),
// sends one session's pageviews and events, waits for their acks, closes and starts the next
// session on a new connection. A reader coroutine matches replies to messages in order (the
// server answers every text message exactly once, in order).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <fstream>
#include <memory>
#include <random>

#include "bklit/core/clock.hpp"
#include "run_context.hpp"
#include "traffic.hpp"
#include "ws_client.hpp"

// GCC 12 reports -Wmismatched-new-delete on the frames of some coroutines here (after
// inlining Asio's frame allocator into them); the frames are allocated and freed by Asio's
// own operator new and delete, so it is a false positive of GCC's coroutine lowering.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace bklit::loadgen {

namespace asio = boost::asio;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct PendingMessage {
  TimePoint due;
  bool auth = false;
  bool pageview = false;
  bool bot = false;
};

struct Connection {
  explicit Connection(const asio::any_io_executor& ex)
      : ws(std::make_shared<WsClient>(ex)), wake(ex) {}

  std::shared_ptr<WsClient> ws;
  asio::steady_timer wake;  // cancelled by the reader whenever a reply frees a slot
  std::deque<PendingMessage> pending;
  std::size_t pending_messages = 0;  // pending without the auth message
  bool open = true;
  bool closing = false;  // we sent the close frame: the end of the read loop is expected
  bool authenticated = false;
};

// `{"type":"error","code":"X",...}` -> X
std::string error_code_of(std::string_view frame) {
  constexpr std::string_view kKey = R"("code":")";
  auto at = frame.find(kKey);
  if (at == std::string_view::npos) return "error_without_code";
  auto begin = at + kKey.size();
  auto end = frame.find('"', begin);
  return std::string(frame.substr(begin, end - begin));
}

void on_reply(Connection& c, std::string_view frame, const RunPlan& plan, ThreadMetrics& m) {
  const bool ack = frame.starts_with(R"({"type":"ack")");
  const bool auth_ok = frame.starts_with(R"({"type":"auth_success")");
  const bool error = frame.starts_with(R"({"type":"error")");
  if (!ack && !auth_ok && !error) return;  // "connected" greeting and unknown types
  if (c.pending.empty()) {
    m.error(error ? "unsolicited_" + error_code_of(frame) : "unexpected_reply");
    return;
  }
  PendingMessage msg = c.pending.front();
  c.pending.pop_front();
  c.wake.cancel();
  if (msg.auth) {
    c.authenticated = auth_ok;
    if (!auth_ok) m.error("auth_" + (error ? error_code_of(frame) : std::string("unexpected")));
    return;
  }
  --c.pending_messages;
  if (!ack) {
    m.error(error ? error_code_of(frame) : "auth_success_for_message");
    return;
  }
  auto now = SteadyClock::now();
  ++m.acked;
  if (plan.in_window(now)) ++m.acked_in_window;
  if (msg.bot) {
    ++m.acked_bot;
  } else {
    ++(msg.pageview ? m.acked_pageviews : m.acked_events);
    if (now < plan.send_end) ++m.acked_before_stop;
  }
  if (plan.in_window(msg.due)) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - msg.due).count();
    m.ws_latency_us.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(us, 0)));
  }
}

asio::awaitable<void> read_replies(std::shared_ptr<Connection> c, const RunPlan& plan,
                                   ThreadMetrics& m) {
  const std::uint16_t code = co_await c->ws->read_loop(
      [&c, &plan, &m](std::string_view frame) { on_reply(*c, frame, plan, m); });
  c->open = false;
  if (!c->closing || c->pending_messages > 0) {
    std::string what =
        code != 0 ? "closed_by_server_" + std::to_string(code) : std::string("connection_lost");
    if (c->pending_messages > 0) m.error(what, c->pending_messages);
    if (c->pending_messages == 0 && !c->closing) m.error(what + "_idle");
  }
  c->pending.clear();
  c->pending_messages = 0;
  c->wake.cancel();
}

void close_connection(Connection& c) {
  c.closing = true;
  c.ws->close();
}

// Connects like the SDK (upgrade with the visitor's headers, then `auth`) and starts the
// reply reader; nullptr (with the error counted) when the connection or handshake failed.
asio::awaitable<std::shared_ptr<Connection>> open_connection(const RunPlan& plan, ThreadMetrics& m,
                                                             const Session& session) {
  const LoadOptions& opt = *plan.options;
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_shared<Connection>(ex);
  std::vector<WsClient::Header> headers{{"User-Agent", session.user_agent->text}};
  if (!opt.origin.empty()) headers.emplace_back("Origin", opt.origin);
  if (opt.forwarded_for) headers.emplace_back("X-Forwarded-For", session.client_ip);
  std::string target =
      plan.target.path + "?projectId=" + opt.project_id + "&sessionId=" + session.session_id;
  std::string failed =
      co_await c->ws->open(plan.endpoints, plan.target.host_header, target, headers);
  if (!failed.empty()) {
    m.error(failed);
    co_return nullptr;
  }
  ++m.sessions;
  asio::co_spawn(ex, read_replies(c, plan, m), asio::detached);

  if (!opt.token.empty()) {
    std::string message = R"({"type":"auth","apiKey":")" + opt.token + "\"}";
    c->pending.push_back(PendingMessage{SteadyClock::now(), true, false, false});
    c->ws->send_text(message);
    // A failed write ends the reader too, which reports the lost connection.
  }
  co_return c;
}

// Waits until fewer than `limit` messages are unanswered (the auth message counted too when
// `count_auth`), the connection is gone, or `deadline` passes.
asio::awaitable<void> wait_for_replies(Connection& c, std::size_t limit, TimePoint deadline,
                                       bool count_auth = false) {
  auto outstanding = [&] { return count_auth ? c.pending.size() : c.pending_messages; };
  while (c.open && outstanding() >= limit && SteadyClock::now() < deadline) {
    c.wake.expires_at(deadline);
    co_await c.wake.async_wait(kNoThrow);
  }
}

}  // namespace

asio::awaitable<void> sleep_until(asio::steady_timer& timer, TimePoint t) {
  if (SteadyClock::now() >= t) co_return;
  timer.expires_at(t);
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<void> run_ws_visitor(const RunPlan& plan, ThreadMetrics& m, double events_per_s,
                                     std::uint64_t seed) {
  const LoadOptions& opt = *plan.options;
  auto ex = co_await asio::this_coro::executor;
  Traffic traffic(opt.project_id, opt.token, plan.site_host, seed);
  std::mt19937_64 rng(seed ^ 0x5eed);
  Pacer pacer(events_per_s, plan.start, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  asio::steady_timer sleep(ex);
  std::string message;
  const auto max_pending = static_cast<std::size_t>(std::max(1, opt.pipeline));

  while (SteadyClock::now() < plan.send_end) {
    Session session = traffic.next_session(core::now_ms());
    auto c = co_await open_connection(plan, m, session);
    if (!c) {
      co_await sleep_until(sleep, SteadyClock::now() + std::chrono::milliseconds(100));
      continue;
    }

    for (std::size_t i = 0; i < session.steps.size() && c->open; ++i) {
      TimePoint due = pacer.take();
      if (due >= plan.send_end) break;
      co_await sleep_until(sleep, due);
      co_await wait_for_replies(*c, max_pending, plan.drain_deadline);
      if (!c->open || c->pending_messages >= max_pending) break;
      // Nothing is sent after the end of sending, however far behind an open-loop schedule
      // runs (its lateness is already in the latency of what was sent).
      const TimePoint now = SteadyClock::now();
      if (now >= plan.send_end) break;
      if (!pacer.open_loop()) due = now;
      message.clear();
      traffic.append_message(message, session, i, core::now_ms());
      c->pending.push_back(PendingMessage{due, false, session.steps[i].pageview, session.bot()});
      ++c->pending_messages;
      ++m.sent;
      if (!c->ws->send_text(message)) break;
    }
    co_await wait_for_replies(*c, 1, plan.drain_deadline, true);
    if (c->open && c->pending_messages > 0) {
      m.unanswered += c->pending_messages;
      c->pending.clear();
      c->pending_messages = 0;
    }
    if (c->open) close_connection(*c);
  }
}

asio::awaitable<void> run_ws_persistent(const RunPlan& plan, ThreadMetrics& m, double events_per_s,
                                        std::uint64_t seed) {
  const LoadOptions& opt = *plan.options;
  auto ex = co_await asio::this_coro::executor;
  Traffic traffic(opt.project_id, opt.token, plan.site_host, seed);
  std::mt19937_64 rng(seed ^ 0x5eed);
  Pacer pacer(events_per_s, plan.start, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  asio::steady_timer sleep(ex);
  std::string message;
  const auto max_pending = static_cast<std::size_t>(std::max(1, opt.pipeline));

  // One visitor for the whole run (a browser user agent: every pageview is counted). Its
  // pages are the pageviews of several generated sessions, rendered once under the first
  // session's identity and sent in a cycle.
  Session visitor = traffic.next_session(core::now_ms());
  while (visitor.bot()) visitor = traffic.next_session(core::now_ms());
  visitor.steps.clear();
  constexpr std::size_t kPagesInCycle = 64;
  while (visitor.steps.size() < kPagesInCycle) {
    Session more = traffic.next_session(core::now_ms());
    for (auto& step : more.steps) {
      if (step.pageview) visitor.steps.push_back(std::move(step));
    }
  }
  traffic.render(visitor);
  std::size_t step = 0;

  co_await sleep_until(sleep, plan.start);
  while (SteadyClock::now() < plan.send_end) {
    auto c = co_await open_connection(plan, m, visitor);
    if (!c) {
      co_await sleep_until(sleep, SteadyClock::now() + std::chrono::milliseconds(100));
      continue;
    }
    while (c->open) {
      TimePoint due = pacer.take();
      if (due >= plan.send_end) break;
      co_await sleep_until(sleep, due);
      co_await wait_for_replies(*c, max_pending, plan.drain_deadline);
      if (!c->open || c->pending_messages >= max_pending) break;
      // Nothing is sent after the end of sending, however far behind an open-loop schedule
      // runs (its lateness is already in the latency of what was sent).
      const TimePoint now = SteadyClock::now();
      if (now >= plan.send_end) break;
      if (!pacer.open_loop()) due = now;
      if (step == visitor.steps.size()) step = 0;
      message.clear();
      traffic.append_message(message, visitor, step++, core::now_ms());
      c->pending.push_back(PendingMessage{due, false, true, false});
      ++c->pending_messages;
      ++m.sent;
      if (!c->ws->send_text(message)) break;
    }
    // A socket lost before the end was counted as an error by the reader; the client then
    // reconnects so the offered load stays what was asked for.
    co_await wait_for_replies(*c, 1, plan.drain_deadline, true);
    if (c->open && c->pending_messages > 0) {
      m.unanswered += c->pending_messages;
      c->pending.clear();
      c->pending_messages = 0;
    }
    if (c->open) {
      close_connection(*c);
      break;
    }
  }
}

asio::awaitable<void> run_ws_idle(const RunPlan& plan, ThreadMetrics& m,
                                  SteadyClock::duration delay) {
  const LoadOptions& opt = *plan.options;
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer sleep(ex);
  co_await sleep_until(sleep, plan.start + delay);
  Traffic traffic(opt.project_id, opt.token, plan.site_host,
                  opt.seed * 7919ULL + static_cast<std::uint64_t>(delay.count()));
  Session visitor = traffic.next_session(core::now_ms());
  auto c = co_await open_connection(plan, m, visitor);
  if (!c) co_return;
  co_await wait_for_replies(*c, 1, plan.send_end, true);
  if (!c->open) co_return;
  if (c->authenticated || opt.token.empty()) {
    ++m.idle_authenticated;
    int total = plan.idle_authenticated.fetch_add(1) + 1;
    if (total == opt.connections && !opt.ready_file.empty()) {
      std::ofstream(opt.ready_file) << total << "\n";
    }
  }
  // Nothing is sent until the end; the reader answers the server's pings meanwhile.
  co_await sleep_until(sleep, plan.send_end);
  if (c->open) close_connection(*c);
}

}  // namespace bklit::loadgen
