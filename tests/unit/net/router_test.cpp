// The route table as a browser and an HTTP client meet it: routed answers, 404, 405 with
// Allow, CORS preflights and headers, and WebSocket upgrades by path.
#include "bklit/net/router.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace bklit::net {
namespace {

HttpRequest request(std::string method, std::string path, std::string origin = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  if (!origin.empty()) r.headers.emplace_back("origin", std::move(origin));
  return r;
}

// The routes answer synchronously in these tests.
HttpResponse answer(const Router& router, HttpRequest req) {
  std::optional<HttpResponse> out;
  int calls = 0;
  router.handle(std::move(req), [&](HttpResponse res) {
    ++calls;
    out = std::move(res);
  });
  EXPECT_EQ(calls, 1);
  return out.value_or(HttpResponse{});
}

std::string header(const HttpResponse& res, std::string_view name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

Router track_and_query() {
  Router router;
  router.add("POST", "/api/track", [](HttpRequest&& req, const Responder& respond) {
    respond(HttpResponse::json(202, R"({"got":")" + req.body + "\"}"));
  });
  router.allow_cross_origin("/api/track");
  router.add("POST", "/api/v2/query", [](HttpRequest&& /*req*/, const Responder& respond) {
    respond(HttpResponse::json(200, "{}"));
  });
  router.add("GET", "/readyz", [](HttpRequest&& /*req*/, const Responder& respond) {
    respond(HttpResponse::json(200, "{}"));
  });
  return router;
}

TEST(Router, SendsARequestToTheRouteOfItsMethodAndPath) {
  auto router = track_and_query();
  auto req = request("POST", "/api/track");
  req.body = "x";
  auto res = answer(router, std::move(req));
  EXPECT_EQ(res.status, 202);
  EXPECT_EQ(res.body, R"({"got":"x"})");
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "<absent>");  // no Origin sent
}

TEST(Router, UnknownPathIs404) {
  auto router = track_and_query();
  auto res = answer(router, request("GET", "/wp-admin"));
  EXPECT_EQ(res.status, 404);
  EXPECT_NE(res.body.find("not_found"), std::string::npos);
}

TEST(Router, KnownPathWithAnotherMethodIs405WithAllow) {
  auto router = track_and_query();
  auto res = answer(router, request("GET", "/api/v2/query"));
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(header(res, "Allow"), "POST");
  EXPECT_NE(res.body.find("method_not_allowed"), std::string::npos);
  EXPECT_NE(res.body.find("use POST"), std::string::npos);
}

TEST(Router, AnswersTheCorsPreflightOfACrossOriginRoute) {
  auto router = track_and_query();
  auto res = answer(router, request("OPTIONS", "/api/track", "https://shop.example"));
  EXPECT_EQ(res.status, 204);
  EXPECT_TRUE(res.body.empty());
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_EQ(header(res, "Access-Control-Allow-Methods"), "POST");
  EXPECT_EQ(header(res, "Access-Control-Allow-Headers"), "content-type, authorization");
  EXPECT_EQ(header(res, "Access-Control-Max-Age"), "86400");
}

TEST(Router, AllowsTheOriginOnEveryResponseOfACrossOriginRoute) {
  auto router = track_and_query();
  auto res = answer(router, request("POST", "/api/track", "https://shop.example"));
  EXPECT_EQ(res.status, 202);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_EQ(header(res, "Vary"), "Origin");
}

TEST(Router, OtherRoutesGetNoCorsHeaders) {
  auto router = track_and_query();
  auto preflight = answer(router, request("OPTIONS", "/api/v2/query", "https://evil.example"));
  EXPECT_EQ(preflight.status, 405);
  EXPECT_EQ(header(preflight, "Access-Control-Allow-Origin"), "<absent>");
  auto res = answer(router, request("POST", "/api/v2/query", "https://evil.example"));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "<absent>");
}

class NullSession : public WsSession {
 public:
  void on_open() override {}
  void on_text(std::string /*message*/) override {}
  void on_binary(std::size_t /*bytes*/) override {}
  void on_close(std::uint16_t /*code*/) override {}
};

TEST(Router, UpgradesOnlyRoutedWebSocketPaths) {
  Router router;
  int opened = 0;
  router.add_websocket(
      "/", [&](const HttpRequest& /*req*/, const std::shared_ptr<WsConnection>& /*conn*/) {
        ++opened;
        return std::make_shared<NullSession>();
      });
  EXPECT_NE(router.upgrade(request("GET", "/"), nullptr), nullptr);
  EXPECT_EQ(router.upgrade(request("GET", "/api/live"), nullptr), nullptr);
  EXPECT_EQ(opened, 1);
}

TEST(Router, IntoHandlersServesTheSameTable) {
  auto handlers = Router::into_handlers(std::make_shared<const Router>(track_and_query()));
  std::optional<HttpResponse> out;
  handlers.http(request("GET", "/readyz"), [&](HttpResponse res) { out = std::move(res); });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 200);
  EXPECT_EQ(handlers.websocket(request("GET", "/"), nullptr), nullptr);
}

}  // namespace
}  // namespace bklit::net
