// net::Server's HTTP side when a route handler throws: the client gets a 500 in the one
// error shape (core/error_json.hpp) with a fresh request id, the log line of the exception
// carries the same id, and the connection keeps serving.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <regex>
#include <stdexcept>
#include <string>

#include "bklit/core/error_json.hpp"
#include "bklit/net/server.hpp"
#include "loopback_socket.hpp"

namespace bklit::net {
namespace {

// One keep-alive HTTP/1.1 connection on loopback.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : fd_(test::connect_loopback(port)) {}
  ~HttpClient() { ::close(fd_); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  struct Response {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;
  };

  // Sends a GET and reads one answer (the server always sends Content-Length).
  Response get(const std::string& path) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    EXPECT_EQ(::send(fd_, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    Response res;
    std::size_t head_end = std::string::npos;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos && read_more()) {
    }
    if (head_end == std::string::npos) return res;
    res.head = in_.substr(0, head_end + 2);
    in_.erase(0, head_end + 4);
    res.status = std::stoi(res.head.substr(9, 3));
    std::smatch m;
    std::size_t length = 0;
    if (std::regex_search(res.head, m, std::regex("Content-Length: (\\d+)", std::regex::icase))) {
      length = std::stoul(m[1].str());
    }
    while (in_.size() < length && read_more()) {
    }
    res.body = in_.substr(0, length);
    in_.erase(0, length);
    return res;
  }

 private:
  bool read_more() {
    char chunk[4096];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    in_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string in_;
};

std::string header(const std::string& head, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(head, m,
                         std::regex("\r\n" + name + ": ([^\r]*)\r\n", std::regex::icase))) {
    return "<absent>";
  }
  return m[1].str();
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    Handlers handlers;
    handlers.http = [](HttpRequest&& req, const Responder& respond) {
      if (req.path == "/boom") throw std::runtime_error("kaboom in the handler");
      if (req.path == "/odd") throw 42;  // NOLINT(hicpp-exception-baseclass): on purpose
      if (req.path == "/answered") {
        respond(HttpResponse::json(200, R"({"ok":true})"));
        throw std::runtime_error("failed after answering");
      }
      respond(HttpResponse::json(200, "{}"));
    };
    server_ = std::make_unique<Server>(options, std::move(handlers));
    server_->start();
  }
  void TearDown() override { server_->stop(); }

  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, AThrowingHandlerAnswers500WithARequestIdThatIsInTheLog) {
  HttpClient client(server_->port());
  // spdlog's default logger writes to stdout; the line is written before the answer is sent.
  ::testing::internal::CaptureStdout();
  auto res = client.get("/boom");
  const std::string log = ::testing::internal::GetCapturedStdout();

  ASSERT_EQ(res.status, 500) << res.head;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(res.body, m, std::regex(R"re("request_id":"([0-9a-f]{16})")re")))
      << res.body;
  const std::string id = m[1].str();
  EXPECT_EQ(res.body, core::error_json("internal_error",
                                       "the server failed while handling this request", id));
  EXPECT_EQ(header(res.head, "X-Request-Id"), id);
  EXPECT_EQ(header(res.head, "Content-Type"), "application/json");
  // The exception's log line names the request and carries the same id.
  EXPECT_NE(log.find("request_id=" + id), std::string::npos) << log;
  EXPECT_NE(log.find("GET /boom"), std::string::npos) << log;
  EXPECT_NE(log.find("kaboom in the handler"), std::string::npos) << log;
  EXPECT_EQ(res.body.find("kaboom"), std::string::npos) << "exception text stays in the log";

  // The connection keeps serving, and every failure gets its own id.
  EXPECT_EQ(client.get("/fine").status, 200);
  auto again = client.get("/boom");
  ASSERT_EQ(again.status, 500);
  EXPECT_NE(header(again.head, "X-Request-Id"), id);
}

TEST_F(HttpServerTest, AnExceptionOfAnyTypeIsAnswered) {
  HttpClient client(server_->port());
  auto res = client.get("/odd");
  ASSERT_EQ(res.status, 500) << res.head;
  EXPECT_NE(res.body.find(R"("code":"internal_error")"), std::string::npos) << res.body;
  EXPECT_NE(header(res.head, "X-Request-Id"), "<absent>");
  EXPECT_EQ(client.get("/fine").status, 200);
}

TEST_F(HttpServerTest, AnAnswerGivenBeforeTheThrowStands) {
  HttpClient client(server_->port());
  auto res = client.get("/answered");
  EXPECT_EQ(res.status, 200) << res.head;
  EXPECT_EQ(res.body, R"({"ok":true})");
}

}  // namespace
}  // namespace bklit::net
