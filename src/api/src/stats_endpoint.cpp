#include "bklit/api/stats_endpoint.hpp"

#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
#include "bklit/store/stats_query.hpp"

namespace bklit::api {

std::string bearer_token(const net::HttpRequest& request) {
  auto h = request.header("authorization");
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) {
    return std::string(h.substr(7));
  }
  return {};
}

void handle_stats_query(const StatsDeps& deps, net::HttpRequest&& request, net::Responder respond) {
  auto token = bearer_token(request);
  if (token.empty()) {
    respond(net::HttpResponse::error(401, "unauthorized",
                                     "send a read token as 'Authorization: Bearer <token>'"));
    return;
  }
  // Parsing, token checks and the query itself may block (SQLite, the engine).
  bool queued = deps.blocking->submit(
      [deps, token = std::move(token), body = std::move(request.body), respond]() {
        try {
          auto query = store::parse_stats_query(body);
          if (!query) {
            const auto& e = query.error();
            respond(net::HttpResponse::error(e.http_status, e.code, e.message));
            return;
          }
          auto now = core::now_ms();
          auto verified = deps.tokens->verify(token, query->site_id, appdb::Scope::kRead, now);
          if (!verified) {
            const auto& e = verified.error();
            respond(net::HttpResponse::error(e.http_status, e.code, e.message));
            return;
          }
          auto project = deps.app->find_project(query->site_id);
          if (!project) {
            respond(net::HttpResponse::error(404, "unknown_site", "no project with this site_id"));
            return;
          }
          auto result = store::run_stats_query(*deps.analytics, *query, project->timezone, now);
          if (!result) {
            const auto& e = result.error();
            respond(net::HttpResponse::error(e.http_status, e.code, e.message));
            return;
          }
          respond(net::HttpResponse::json(200, std::move(*result)));
        } catch (const std::exception& e) {
          core::log::error(std::string("stats query failed: ") + e.what());
          respond(net::HttpResponse::error(503, "store_unavailable",
                                           "the analytics store is not available; retry later"));
        }
      });
  if (!queued) {
    auto res = net::HttpResponse::error(503, "busy", "too many queries in progress; retry later");
    res.headers.emplace_back("Retry-After", "1");
    respond(std::move(res));
  }
}

}  // namespace bklit::api
