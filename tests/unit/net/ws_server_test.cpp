// net::Server's WebSocket side against a raw client on loopback: handshake, batched
// delivery, reply order across threads, fragmentation, ping/pong, close handshakes,
// oversized and malformed frames.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../../../src/net/src/ws_frame.hpp"
#include "bklit/net/server.hpp"
#include "loopback_socket.hpp"

namespace bklit::net {
namespace {

using namespace std::chrono_literals;

// What the application saw, shared with the test thread.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> texts;
  std::size_t binaries = 0;
  std::size_t idle_calls = 0;
  std::optional<std::uint16_t> closed;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return pred(); });
  }
};

class EchoSession : public WsSession {
 public:
  EchoSession(std::shared_ptr<WsConnection> conn, Seen& seen)
      : conn_(std::move(conn)), seen_(seen) {}
  void on_open() override { conn_->send_text(R"({"type":"connected"})"); }
  void on_text(std::string message) override {
    if (message == "two-threads") {
      // A reply sent from the I/O thread, then one sent from another thread while this
      // handler still runs (as the SDK session answers `auth` here and acks from the
      // queue's writer thread): the client reads them in that order.
      conn_->send_text("from-io-thread");
      std::thread other([conn = conn_] { conn->send_text("from-other-thread"); });
      other.join();
      return;
    }
    if (message == "close-me") {
      // What was queued before the close is sent before it; nothing after it is.
      conn_->send_texts(std::move(batch_));
      batch_.clear();
      conn_->close(1008, "asked to");
    }
    {
      std::lock_guard lock(seen_.mu);
      seen_.texts.push_back(message);
    }
    seen_.cv.notify_all();
    batch_.push_back("echo:" + message);
  }
  void on_binary(std::size_t) override {
    std::lock_guard lock(seen_.mu);
    ++seen_.binaries;
  }
  void on_read_idle() override {
    {
      std::lock_guard lock(seen_.mu);
      ++seen_.idle_calls;
    }
    if (!batch_.empty()) conn_->send_texts(std::move(batch_));
    batch_.clear();
  }
  void on_close(std::uint16_t code) override {
    {
      std::lock_guard lock(seen_.mu);
      seen_.closed = code;
    }
    seen_.cv.notify_all();
  }

 private:
  std::shared_ptr<WsConnection> conn_;
  Seen& seen_;
  std::vector<std::string> batch_;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(test::connect_loopback(port)) {
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawClient() { ::close(fd_); }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads until `pred(buffer)` holds or the peer closes / times out.
  template <class Pred>
  bool read_until(Pred pred) {
    char chunk[65536];
    while (!pred(in_)) {
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return pred(in_);
      in_.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
  }

  std::string handshake(std::string_view path = "/", std::string_view version = "13") {
    std::string req = "GET " + std::string(path) +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: "
                      "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " +
                      std::string(version) + "\r\n\r\n";
    send_all(req);
    read_until([](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
    auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return in_;
    std::string head = in_.substr(0, end + 4);
    in_.erase(0, end + 4);
    return head;
  }

  struct Frame {
    std::uint8_t opcode;
    std::string payload;
  };
  // The next server frame (unmasked), or nullopt when the connection ended first.
  std::optional<Frame> next_frame() {
    std::optional<Frame> out;
    read_until([&](const std::string& b) {
      if (b.size() < 2) return false;
      std::size_t len = static_cast<unsigned char>(b[1]) & 0x7F;
      std::size_t pos = 2;
      if (len == 126) {
        if (b.size() < 4) return false;
        len = (static_cast<unsigned char>(b[2]) << 8) | static_cast<unsigned char>(b[3]);
        pos = 4;
      }
      if (b.size() < pos + len) return false;
      out = Frame{static_cast<std::uint8_t>(b[0] & 0x0F), b.substr(pos, len)};
      in_.erase(0, pos + len);
      return true;
    });
    return out;
  }

  // True when the server closed the TCP connection (EOF) within the timeout.
  bool sees_eof() {
    char c;
    for (;;) {
      auto n = ::recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

 private:
  int fd_ = -1;
  std::string in_;
};

std::string masked(std::uint8_t first, std::string_view payload) {
  std::string out;
  out += static_cast<char>(first);
  if (payload.size() <= 125) {
    out += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((payload.size() >> s) & 0xFF);
  }
  const std::array<std::uint8_t, 4> mask{9, 8, 7, 6};
  out.append(reinterpret_cast<const char*>(mask.data()), 4);
  std::string body(payload);
  ws::unmask(body.data(), body.size(), mask);
  return out + body;
}

std::uint16_t code_of(const std::string& close_payload) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(close_payload[0]) << 8) |
                                    static_cast<unsigned char>(close_payload[1]));
}

class WsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_ws_message_bytes = 32 * 1024;
    Handlers handlers;
    handlers.http = [](HttpRequest&&, Responder respond) {
      respond(HttpResponse::json(200, "{}"));
    };
    handlers.websocket = [this](const HttpRequest& req,
                                std::shared_ptr<WsConnection> conn) -> std::shared_ptr<WsSession> {
      if (req.path != "/") return nullptr;
      return std::make_shared<EchoSession>(std::move(conn), seen_);
    };
    server_ = std::make_unique<Server>(options, std::move(handlers));
    server_->start();
  }
  void TearDown() override { server_->stop(); }

  Seen seen_;
  std::unique_ptr<Server> server_;
};

TEST_F(WsServerTest, HandshakeThenEveryFrameOfOneWriteArrivesInOneBatch) {
  RawClient c(server_->port());
  auto head = c.handshake();
  EXPECT_NE(head.find("HTTP/1.1 101"), std::string::npos) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos);
  auto hello = c.next_frame();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->payload, R"({"type":"connected"})");

  std::string burst;
  for (int i = 0; i < 20; ++i) burst += masked(0x81, "m" + std::to_string(i));
  ASSERT_TRUE(c.send_all(burst));
  for (int i = 0; i < 20; ++i) {
    auto f = c.next_frame();
    ASSERT_TRUE(f) << i;
    EXPECT_EQ(f->opcode, 0x1);
    EXPECT_EQ(f->payload, "echo:m" + std::to_string(i));
  }
  std::lock_guard lock(seen_.mu);
  EXPECT_EQ(seen_.texts.size(), 20U);
  // 20 frames in one write reach the application in far fewer than 20 reads (usually 1).
  EXPECT_LT(seen_.idle_calls, 20U);
}

TEST_F(WsServerTest, RepliesLeaveInTheOrderTheyWereSentFromAnyThread) {
  RawClient c(server_->port());
  c.handshake();
  ASSERT_TRUE(c.next_frame());
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(c.send_all(masked(0x81, "two-threads")));
    auto first = c.next_frame();
    auto second = c.next_frame();
    ASSERT_TRUE(first && second) << round;
    EXPECT_EQ(first->payload, "from-io-thread") << round;
    EXPECT_EQ(second->payload, "from-other-thread") << round;
  }
}

TEST_F(WsServerTest, FragmentedMessageWithAPingInTheMiddle) {
  RawClient c(server_->port());
  c.handshake();
  ASSERT_TRUE(c.next_frame());
  std::string data = masked(0x01, "frag-") + masked(0x89, "are you there") + masked(0x00, "ment") +
                     masked(0x80, "ed");
  ASSERT_TRUE(c.send_all(data));
  auto pong = c.next_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "are you there");
  auto echo = c.next_frame();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->payload, "echo:frag-mented");
}

TEST_F(WsServerTest, ClientCloseIsEchoedAndTheConnectionEnds) {
  RawClient c(server_->port());
  c.handshake();
  ASSERT_TRUE(c.next_frame());
  ASSERT_TRUE(c.send_all(masked(0x88, std::string("\x03\xe9"
                                                  "bye",
                                                  5))));
  auto close = c.next_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(code_of(close->payload), 1001);
  EXPECT_TRUE(c.sees_eof());
  ASSERT_TRUE(seen_.wait([&] { return seen_.closed.has_value(); }));
  EXPECT_EQ(*seen_.closed, 1001);
}

TEST_F(WsServerTest, OversizedFrameGetsClose1009WhileTheClientIsStillWriting) {
  RawClient c(server_->port());
  c.handshake();
  ASSERT_TRUE(c.next_frame());
  // 900 KB in one frame, written in pieces: the server must answer with 1009 and keep
  // reading, so every write succeeds and the close frame is read, not a reset.
  std::string big = masked(0x81, std::string(900 * 1024, 'x'));
  for (std::size_t off = 0; off < big.size(); off += 16384) {
    ASSERT_TRUE(c.send_all(std::string_view(big).substr(off, 16384))) << "reset at " << off;
  }
  auto close = c.next_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 0x8);
  EXPECT_EQ(code_of(close->payload), 1009);
  EXPECT_NE(close->payload.find("32768"), std::string::npos) << close->payload;
  // The client answers the close; the server then drops the connection.
  ASSERT_TRUE(c.send_all(masked(0x88, std::string("\x03\xf1", 2))));
  EXPECT_TRUE(c.sees_eof());
  ASSERT_TRUE(seen_.wait([&] { return seen_.closed.has_value(); }));
  EXPECT_EQ(*seen_.closed, 1009);
  std::lock_guard lock(seen_.mu);
  EXPECT_TRUE(seen_.texts.empty());
}

TEST_F(WsServerTest, MalformedFramesCloseWithTheRightCode) {
  struct Case {
    std::string frame;
    std::uint16_t code;
  };
  const Case cases[] = {
      {std::string("\x81\x02hi", 4), 1002},        // not masked
      {masked(0x81, "\xff\xfe not utf-8"), 1007},  // invalid UTF-8 text
      {masked(0x80, "continuation of nothing"), 1002},
  };
  for (const auto& k : cases) {
    RawClient c(server_->port());
    c.handshake();
    ASSERT_TRUE(c.next_frame());
    ASSERT_TRUE(c.send_all(k.frame));
    auto close = c.next_frame();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->opcode, 0x8);
    EXPECT_EQ(code_of(close->payload), k.code);
  }
  std::lock_guard lock(seen_.mu);
  EXPECT_TRUE(seen_.texts.empty());
}

TEST_F(WsServerTest, ServerCloseComesAfterQueuedFrames) {
  RawClient c(server_->port());
  c.handshake();
  ASSERT_TRUE(c.next_frame());
  ASSERT_TRUE(c.send_all(masked(0x81, "first") + masked(0x81, "close-me")));
  auto a = c.next_frame();
  auto b = c.next_frame();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->payload, "echo:first");
  EXPECT_EQ(b->opcode, 0x8);
  EXPECT_EQ(code_of(b->payload), 1008);
  EXPECT_EQ(b->payload.substr(2), "asked to");
}

TEST_F(WsServerTest, RefusedUpgrades) {
  {
    RawClient c(server_->port());
    auto head = c.handshake("/elsewhere");
    EXPECT_NE(head.find("404"), std::string::npos) << head;
  }
  {
    RawClient c(server_->port());
    auto head = c.handshake("/", "8");
    EXPECT_NE(head.find("426"), std::string::npos) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Version: 13"), std::string::npos) << head;
  }
}

}  // namespace
}  // namespace bklit::net
