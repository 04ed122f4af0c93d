#include "ws_connection.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <limits>

#include "bklit/core/log.hpp"
#include "bklit/core/text.hpp"
#include "ws_frame.hpp"

namespace bklit::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

void WsRegistry::add(const std::shared_ptr<WsServerConnection>& c) {
  std::lock_guard lock(mu_);
  open_.insert(c);
}

void WsRegistry::remove(const std::shared_ptr<WsServerConnection>& c) {
  std::lock_guard lock(mu_);
  open_.erase(c);
}

std::vector<std::shared_ptr<WsServerConnection>> WsRegistry::snapshot() const {
  std::lock_guard lock(mu_);
  return {open_.begin(), open_.end()};
}

std::size_t WsRegistry::size() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

void WsRegistry::clear() {
  std::lock_guard lock(mu_);
  open_.clear();
}

namespace {

// Every connection reads into this per-thread buffer: a read, the parse of every complete
// frame in it and the delivery to the session happen without a suspension, so the buffer
// is free again before any other connection on this thread runs. Only the unfinished tail
// of a frame is kept per connection, which is what keeps idle sockets small.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

std::vector<char>& thread_read_buffer(std::size_t needed) {
  thread_local std::vector<char> buffer;
  if (buffer.size() < needed) buffer.resize(needed);
  return buffer;
}

class WsConnectionImpl final : public WsServerConnection,
                               public std::enable_shared_from_this<WsConnectionImpl> {
 public:
  WsConnectionImpl(tcp::socket socket, std::string ip, const WsLimits& limits, WsRegistry& registry)
      : socket_(std::move(socket)),
        ip_(std::move(ip)),
        limits_(limits),
        registry_(registry),
        resume_timer_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()) {}

  // Replies arrive from other threads (the queue's writer, the blocking pool): each hand-off
  // is one turn of the strand, and its frames leave in one write at the end of that turn.
  void send_text(std::string text) override {
    asio::post(socket_.get_executor(), [self = shared_from_this(), t = std::move(text)] {
      self->queue_text(t);
      self->flush();
    });
  }

  void send_texts(std::vector<std::string> texts) override {
    asio::post(socket_.get_executor(), [self = shared_from_this(), ts = std::move(texts)] {
      for (const auto& t : ts) self->queue_text(t);
      self->flush();
    });
  }

  void close(std::uint16_t code, std::string reason) override {
    asio::post(socket_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)] {
      self->start_close(code, r);
    });
  }

  void pause_reading() override {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->paused_ = true; });
  }

  void resume_reading() override {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->paused_ = false;
      self->resume_timer_.cancel();
    });
  }

  const std::string& remote_ip() const override { return ip_; }

  void abandon() override { session_.reset(); }

  // Runs on the thread that read the upgrade request, which is the socket's strand.
  void start(std::string early_bytes, const std::string& accept_key, const HttpRequest& request,
             const Handlers& handlers) {
    auto self = shared_from_this();
    session_ = handlers.websocket(request, self);
    if (!session_) {
      const std::string body = R"({"error":"not_found","message":"no WebSocket here"})";
      out_ =
          "HTTP/1.1 404 Not Found\r\nServer: bklit\r\nContent-Type: application/json\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      asio::co_spawn(socket_.get_executor(), refuse(), asio::detached);
      return;
    }
    registry_.add(self);
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    out_ =
        "HTTP/1.1 101 Switching Protocols\r\nServer: bklit\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
        accept_key + "\r\n\r\n";
    schedule_flush();
    last_read_ = Clock::now();
    asio::co_spawn(socket_.get_executor(), watch_idle(), asio::detached);
    session_->on_open();
    if (!early_bytes.empty()) consume(early_bytes.data(), early_bytes.size());
    asio::co_spawn(socket_.get_executor(), run(), asio::detached);
  }

 private:
  asio::awaitable<void> refuse() {
    auto self = shared_from_this();
    co_await asio::async_write(socket_, asio::buffer(out_), kNoThrow);
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    co_await read_loop();
    finish();
  }

  // ---- writing (all on the strand) ----

  void queue_text(std::string_view text) {
    if (close_queued_ || gone_) return;
    if (out_frames_ >= limits_.max_write_queue) {
      // A client that does not read its acks is dropped rather than buffered forever.
      start_close(ws::kClosePolicy, "client too slow");
      return;
    }
    ws::append_frame(out_, ws::Opcode::kText, text);
    ++out_frames_;
  }

  void start_close(std::uint16_t code, std::string_view reason) {
    if (close_queued_ || gone_) return;
    close_queued_ = true;
    if (!peer_closed_) close_code_ = code;
    ws::append_close_frame(out_, code, reason);
    schedule_flush();
    resume_timer_.cancel();  // a paused reader must go on to drain
  }

  // Frames queued in the same turn of the strand leave in one write.
  void schedule_flush() {
    if (flush_scheduled_ || writing_) return;
    flush_scheduled_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->flush_scheduled_ = false;
      self->flush();
    });
  }

  void flush() {
    if (writing_ || gone_ || out_.empty()) return;
    // Most writes fit the socket buffer: try at once, and fall back to an asynchronous
    // write only for what did not fit.
    const bool close_in_batch = close_queued_;
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(asio::buffer(out_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      n = 0;
    }
    if (ec) return lost();
    if (n == out_.size()) {
      out_.clear();
      out_frames_ = 0;
      if (close_in_batch) close_sent();
      return;
    }
    writing_ = true;
    inflight_.assign(out_, n, std::string::npos);
    out_.clear();
    out_frames_ = 0;
    asio::co_spawn(socket_.get_executor(), write_rest(close_in_batch), asio::detached);
  }

  asio::awaitable<void> write_rest(bool close_in_batch) {
    auto self = shared_from_this();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(inflight_), kNoThrow);
    inflight_.clear();
    inflight_.shrink_to_fit();
    writing_ = false;
    if (ec) co_return lost();
    if (close_in_batch) close_sent();
    flush();
  }

  void close_sent() {
    if (close_done_) return;
    close_done_ = true;
    if (peer_closed_) {
      // Both close frames have been exchanged: the server closes the TCP connection.
      return lost();
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    drain_deadline_ = Clock::now() + limits_.close_drain_time;
    idle_timer_.cancel();  // re-arm the watchdog for the drain deadline
  }

  // The connection can no longer be used: the read loop ends and finish() runs.
  void lost() {
    if (gone_) return;
    gone_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resume_timer_.cancel();
    idle_timer_.cancel();
  }

  // ---- reading ----

  asio::awaitable<void> read_loop() {
    while (!gone_) {
      while (paused_ && !close_queued_ && !gone_) {
        resume_timer_.expires_after(std::chrono::hours(24));
        co_await resume_timer_.async_wait(kNoThrow);
      }
      if (gone_) break;
      auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, kNoThrow);
      if (ec || gone_) break;
      read_available();
    }
  }

  // Reads what the socket has and handles every complete frame, without suspending.
  void read_available() {
    const std::size_t keep = tail_.size();
    auto& buffer = thread_read_buffer(keep + std::max(kReadChunk, limits_.max_message_bytes + 16));
    if (keep > 0) std::memcpy(buffer.data(), tail_.data(), keep);
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer.data() + keep, buffer.size() - keep), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return;
    if (ec) return lost();  // EOF or reset
    last_read_ = Clock::now();
    if (close_done_) {
      drained_ += n;
      if (drained_ > limits_.close_drain_bytes) return lost();
    }
    tail_.clear();
    consume(buffer.data(), keep + n);
  }

  // Parses frames from `data` (unmasking in place) and keeps the unfinished rest in tail_.
  void consume(char* data, std::size_t size) {
    std::size_t pos = 0;
    while (pos < size && !gone_) {
      if (skip_ > 0) {  // payload of a frame we refused or no longer care about
        std::size_t take = std::min<std::uint64_t>(skip_, size - pos);
        skip_ -= take;
        pos += take;
        continue;
      }
      ws::FrameHeader h;
      std::string_view error;
      auto status = ws::parse_header(std::string_view(data + pos, size - pos), h, error);
      if (status == ws::HeaderStatus::kNeedMore) break;
      if (status == ws::HeaderStatus::kProtocolError) {
        protocol_error(ws::kCloseProtocolError, error);
        return;
      }
      const bool is_data = h.opcode == ws::Opcode::kText || h.opcode == ws::Opcode::kBinary ||
                           h.opcode == ws::Opcode::kContinuation;
      if (is_data && (close_queued_ || peer_closed_)) {
        // Closing: what the client still sends is read and dropped.
        pos += h.header_length;
        skip_ = h.payload_length;
        continue;
      }
      if (is_data && h.payload_length + message_.size() > limits_.max_message_bytes) {
        pos += h.header_length;
        skip_ = h.payload_length;
        start_close(ws::kCloseTooBig,
                    "message larger than " + std::to_string(limits_.max_message_bytes) + " bytes");
        continue;
      }
      if (size - pos < h.header_length + h.payload_length) break;  // the rest is coming
      char* payload = data + pos + h.header_length;
      const auto length = static_cast<std::size_t>(h.payload_length);
      ws::unmask(payload, length, h.mask);
      pos += h.header_length + length;
      handle_frame(h, payload, length);
    }
    if (pos < size && !gone_) tail_.assign(data + pos, size - pos);
    if (session_ && !gone_) session_->on_read_idle();
  }

  void handle_frame(const ws::FrameHeader& h, char* payload, std::size_t length) {
    switch (h.opcode) {
      case ws::Opcode::kText:
      case ws::Opcode::kBinary:
        if (in_message_) return protocol_error(ws::kCloseProtocolError, "expected a continuation");
        if (h.fin) return deliver(h.opcode == ws::Opcode::kText, std::string_view(payload, length));
        in_message_ = true;
        message_text_ = h.opcode == ws::Opcode::kText;
        message_.assign(payload, length);
        return;
      case ws::Opcode::kContinuation:
        if (!in_message_) return protocol_error(ws::kCloseProtocolError, "unexpected continuation");
        message_.append(payload, length);
        if (h.fin) {
          in_message_ = false;
          std::string whole;
          whole.swap(message_);
          deliver(message_text_, whole);
        }
        return;
      case ws::Opcode::kPing: {
        if (close_queued_) return;
        ws::append_frame(out_, ws::Opcode::kPong, std::string_view(payload, length));
        schedule_flush();
        return;
      }
      case ws::Opcode::kPong:
        return;
      case ws::Opcode::kClose: {
        peer_closed_ = true;
        const auto code = ws::close_code_of(std::string_view(payload, length));
        if (!close_queued_) {
          peer_code_ = code;
          // Echo the code (RFC 6455 5.5.1); a close without one is answered with 1000.
          const auto reply = code == ws::kCloseNoStatus ? ws::kCloseNormal : code;
          close_queued_ = true;
          ws::append_close_frame(out_, reply, "");
          schedule_flush();
        } else if (close_done_) {
          lost();  // the answer to our close: done
        }
        return;
      }
    }
  }

  void deliver(bool text, std::string_view message) {
    if (!session_) return;
    if (!text) return session_->on_binary(message.size());
    if (!core::is_valid_utf8(message)) {
      return protocol_error(ws::kCloseInvalidData, "text frame is not valid UTF-8");
    }
    session_->on_text(std::string(message));
  }

  void protocol_error(std::uint16_t code, std::string_view reason) {
    if (close_queued_) return lost();
    start_close(code, reason);
    // Nothing after a malformed frame can be trusted to be framed: drop the rest.
    skip_ = std::numeric_limits<std::uint64_t>::max();
  }

  asio::awaitable<void> watch_idle() {
    auto self = shared_from_this();
    const auto half = limits_.idle_timeout / 2;
    while (!gone_) {
      const auto now = Clock::now();
      if (close_done_) {
        if (now >= drain_deadline_) {
          lost();
          break;
        }
        idle_timer_.expires_at(drain_deadline_);
      } else if (now - last_read_ >= limits_.idle_timeout) {
        core::log::debug("websocket from " + ip_ + " idle: closed");
        lost();
        break;
      } else {
        if (now - last_read_ >= half && !close_queued_) {
          // Keep-alive: a browser answers with a pong, which counts as activity.
          ws::append_frame(out_, ws::Opcode::kPing, "");
          schedule_flush();
        }
        idle_timer_.expires_after(half);
      }
      co_await idle_timer_.async_wait(kNoThrow);
    }
  }

  void finish() {
    lost();
    std::uint16_t code = ws::kCloseAbnormal;
    if (peer_closed_ && peer_code_ != 0) {
      code = peer_code_;
    } else if (close_queued_ && close_code_ != 0) {
      code = close_code_;
    }
    if (session_) session_->on_close(code);
    session_.reset();  // breaks the session <-> connection cycle
    registry_.remove(shared_from_this());
  }

  tcp::socket socket_;
  std::string ip_;
  const WsLimits& limits_;
  WsRegistry& registry_;
  std::shared_ptr<WsSession> session_;
  asio::steady_timer resume_timer_;
  asio::steady_timer idle_timer_;

  std::string out_;  // frames waiting to be written
  std::size_t out_frames_ = 0;
  std::string inflight_;  // the part of a write the socket did not take at once
  bool writing_ = false;
  bool flush_scheduled_ = false;

  std::string tail_;     // an unfinished frame
  std::string message_;  // a fragmented message being assembled
  std::uint64_t skip_ = 0;
  bool in_message_ = false;
  bool message_text_ = false;

  bool paused_ = false;
  bool close_queued_ = false;  // our close frame is queued: nothing else is sent
  bool close_done_ = false;    // our close frame has been written
  bool peer_closed_ = false;
  bool gone_ = false;
  std::uint16_t close_code_ = 0;
  std::uint16_t peer_code_ = 0;
  Clock::time_point last_read_{};
  Clock::time_point drain_deadline_{};
  std::size_t drained_ = 0;
};

}  // namespace

void start_websocket(tcp::socket socket, std::string early_bytes, const std::string& accept_key,
                     const HttpRequest& request, const WsLimits& limits, const Handlers& handlers,
                     WsRegistry& registry) {
  auto conn =
      std::make_shared<WsConnectionImpl>(std::move(socket), request.remote_ip, limits, registry);
  conn->start(std::move(early_bytes), accept_key, request, handlers);
}

}  // namespace bklit::net
