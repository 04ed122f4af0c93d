#include "ws_client.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstring>
#include <random>

namespace bklit::loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = std::size_t{16} * 1024;
constexpr std::size_t kMaxMessage = std::size_t{1024} * 1024;  // far above any server reply
constexpr std::size_t kMaxResponseHeader = std::size_t{16} * 1024;

constexpr std::uint8_t kText = 0x1, kBinary = 0x2, kContinuation = 0x0, kClose = 0x8, kPing = 0x9,
                       kPong = 0xA;

std::uint64_t next_random(std::uint64_t& s) {  // xorshift64*: masks need not be strong here
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

std::string base64_16(const std::array<std::uint8_t, 16>& b) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int i = 0; i < 15; i += 3) {
    std::uint32_t v = (std::uint32_t{b[i]} << 16) | (std::uint32_t{b[i + 1]} << 8) | b[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::uint32_t v = std::uint32_t{b[15]} << 16;
  out += kAlphabet[(v >> 18) & 63];
  out += kAlphabet[(v >> 12) & 63];
  out += "==";
  return out;
}

}  // namespace

WsClient::WsClient(const asio::any_io_executor& ex)
    : socket_(ex), timer_(ex), in_(kReadChunk), mask_state_(std::random_device{}() | 1ULL) {
  mask_state_ = (mask_state_ << 32) ^ std::random_device{}() ^ 0x9E3779B97F4A7C15ULL;
}

asio::awaitable<std::string> WsClient::open(const tcp::resolver::results_type& endpoints,
                                            std::string_view host_header, std::string_view target,
                                            const std::vector<Header>& headers) {
  auto self = shared_from_this();
  // One deadline for connect, one for the upgrade: on expiry the socket is closed, which
  // ends the pending operation with an error.
  auto arm = [this, self](std::chrono::seconds limit) {
    timer_.expires_after(limit);
    timer_.async_wait([this, self](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket_.close(ignored);
      }
    });
  };
  arm(std::chrono::seconds(5));
  auto [cec, endpoint] = co_await asio::async_connect(socket_, endpoints, kNoThrow);
  timer_.cancel();
  if (cec) co_return "connect_failed";
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);

  std::array<std::uint8_t, 16> key{};
  for (std::size_t i = 0; i < key.size(); i += 8) {
    std::uint64_t r = next_random(mask_state_);
    std::memcpy(key.data() + i, &r, 8);
  }
  std::string request;
  request.reserve(512);
  request.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_header);
  request.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  request.append(base64_16(key)).append("\r\nSec-WebSocket-Version: 13\r\n");
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  request.append("\r\n");

  arm(std::chrono::seconds(10));
  auto [wec, wn] = co_await asio::async_write(socket_, asio::buffer(request), kNoThrow);
  std::size_t header_end = std::string_view::npos;
  while (!wec) {
    std::string_view got(in_.data(), in_end_);
    header_end = got.find("\r\n\r\n");
    if (header_end != std::string_view::npos || in_end_ >= kMaxResponseHeader) break;
    if (in_end_ == in_.size()) in_.resize(in_.size() * 2);
    auto [rec, rn] = co_await socket_.async_read_some(
        asio::buffer(in_.data() + in_end_, in_.size() - in_end_), kNoThrow);
    if (rec) {
      wec = rec;
      break;
    }
    in_end_ += rn;
  }
  timer_.cancel();
  // The status line must say 101; anything after the header is already WebSocket frames.
  std::string_view got(in_.data(), in_end_);
  if (wec || header_end == std::string_view::npos || !got.starts_with("HTTP/1.1 101")) {
    socket_.close(ignored);
    co_return "handshake_failed";
  }
  in_begin_ = header_end + 4;
  socket_.non_blocking(true, ignored);
  open_ = true;
  co_return "";
}

bool WsClient::send_text(std::string_view payload) {
  write_frame(kText, payload);
  return open_;
}

void WsClient::write_frame(std::uint8_t opcode, std::string_view payload) {
  if (!open_) return;
  const std::size_t n = payload.size();
  frame_.clear();
  frame_.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    frame_.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    frame_.push_back(static_cast<char>(0x80 | 126));
    frame_.push_back(static_cast<char>(n >> 8));
    frame_.push_back(static_cast<char>(n & 0xFF));
  } else {
    frame_.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame_.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
    }
  }
  const auto mask32 = static_cast<std::uint32_t>(next_random(mask_state_) >> 16);
  std::array<char, 4> mask{};
  std::memcpy(mask.data(), &mask32, 4);
  frame_.append(mask.data(), 4);
  const std::size_t at = frame_.size();
  frame_.append(payload);
  // XOR eight bytes at a time with the key repeated twice, then the tail byte by byte.
  std::uint64_t mask64 = (std::uint64_t{mask32} << 32) | mask32;
  char* p = frame_.data() + at;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= mask64;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(p[i] ^ mask[i & 3]);

  if (writing_) {
    pending_.append(frame_);
    return;
  }
  boost::system::error_code ec;
  std::size_t written = socket_.write_some(asio::buffer(frame_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    written = 0;
  }
  if (ec) return lost();
  if (written == frame_.size()) return;
  pending_ = frame_.substr(written);
  writing_ = true;
  asio::co_spawn(socket_.get_executor(), write_pending(), asio::detached);
}

asio::awaitable<void> WsClient::write_pending() {
  auto self = shared_from_this();
  while (!pending_.empty() && open_) {
    std::string chunk;
    chunk.swap(pending_);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(chunk), kNoThrow);
    if (ec) {
      lost();
      break;
    }
  }
  writing_ = false;
}

asio::awaitable<std::uint16_t> WsClient::read_loop(std::function<void(std::string_view)> on_text) {
  auto self = shared_from_this();
  for (;;) {
    while (open_) {
      const std::size_t avail = in_end_ - in_begin_;
      if (avail < 2) break;
      const auto* h = reinterpret_cast<const std::uint8_t*>(in_.data() + in_begin_);
      const bool fin = (h[0] & 0x80) != 0;
      const std::uint8_t opcode = h[0] & 0x0F;
      const bool masked = (h[1] & 0x80) != 0;
      std::uint64_t length = h[1] & 0x7F;
      std::size_t header = 2;
      if (length == 126) {
        if (avail < 4) break;
        length = (std::uint64_t{h[2]} << 8) | h[3];
        header = 4;
      } else if (length == 127) {
        if (avail < 10) break;
        length = 0;
        for (int i = 2; i < 10; ++i) length = (length << 8) | h[i];
        header = 10;
      }
      if (masked) header += 4;
      if (length > kMaxMessage) {  // not a server we can talk to
        lost();
        co_return 0;
      }
      if (avail < header + length) {
        if (header + length > in_.size()) in_.resize(header + length + kReadChunk);
        break;
      }
      char* payload = in_.data() + in_begin_ + header;
      const auto size = static_cast<std::size_t>(length);
      if (masked) {
        const auto* key = h + header - 4;
        for (std::size_t i = 0; i < size; ++i)
          payload[i] = static_cast<char>(payload[i] ^ key[i & 3]);
      }
      in_begin_ += header + size;
      std::string_view body(payload, size);
      switch (opcode) {
        case kText:
        case kBinary:
        case kContinuation:
          if (fin && message_.empty()) {
            on_text(body);
          } else {
            message_.append(body);
            if (fin) {
              std::string whole;
              whole.swap(message_);
              on_text(whole);
            }
          }
          break;
        case kPing:
          write_frame(kPong, body);
          break;
        case kClose: {
          std::uint16_t code = 1005;
          if (size >= 2)
            code = static_cast<std::uint16_t>((std::uint8_t(body[0]) << 8) | std::uint8_t(body[1]));
          if (!close_sent_) {
            close_sent_ = true;
            write_frame(kClose, body.substr(0, std::min<std::size_t>(size, 2)));
          }
          lost();
          co_return code;
        }
        default:
          break;
      }
    }
    if (!open_) co_return 0;
    if (in_begin_ == in_end_) {
      in_begin_ = in_end_ = 0;
    } else if (in_begin_ > 0 && in_.size() - in_end_ < kReadChunk / 2) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_end_ == in_.size()) in_.resize(in_.size() + kReadChunk);
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(in_.data() + in_end_, in_.size() - in_end_), kNoThrow);
    if (ec) {
      lost();
      co_return 0;
    }
    in_end_ += n;
  }
}

void WsClient::close() {
  if (!open_ || close_sent_) return;
  close_sent_ = true;
  const std::array<char, 2> code = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xFF)};
  write_frame(kClose, std::string_view(code.data(), code.size()));
  auto self = shared_from_this();
  timer_.expires_after(std::chrono::seconds(5));
  timer_.async_wait([this, self](boost::system::error_code ec) {
    if (!ec) lost();
  });
}

void WsClient::lost() {
  if (!open_ && !socket_.is_open()) return;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

}  // namespace bklit::loadgen
