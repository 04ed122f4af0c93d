#include "bklit/api/stats_endpoint.hpp"

#include <fmt/format.h>

#include "bklit/core/clock.hpp"
#include "bklit/core/ids.hpp"
#include "bklit/core/log.hpp"
#include "bklit/core/time_zone.hpp"
#include "bklit/store/stats_query.hpp"

namespace bklit::api {

std::string bearer_token(const net::HttpRequest& request) {
  auto h = request.header("authorization");
  if (h.size() > 7 && (h.substr(0, 7) == "Bearer " || h.substr(0, 7) == "bearer ")) {
    return std::string(h.substr(7));
  }
  return {};
}

namespace {

// Seconds a client should wait before retrying a query the store could not run for now.
constexpr const char* kStoreRetryAfterSeconds = "5";

net::HttpResponse error_response(const core::Error& e) {
  return net::HttpResponse::error(e.http_status, e.code, e.message);
}

// A failure the client cannot fix and retrying cannot cure: logged under a fresh request id,
// which the answer carries so that a report can be matched with the log.
net::HttpResponse permanent_failure(std::string_view code, std::string_view message,
                                    std::string_view detail) {
  std::string request_id = core::random_hex(8);
  core::log::error(fmt::format("stats query failed (request_id={}): {}", request_id, detail));
  auto res = net::HttpResponse::error(500, code, message, request_id);
  res.headers.emplace_back("X-Request-Id", request_id);
  return res;
}

}  // namespace

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
            respond(error_response(query.error()));
            return;
          }
          auto now = core::now_ms();
          auto verified = deps.tokens->verify(token, query->site_id, appdb::Scope::kRead, now);
          if (!verified) {
            respond(error_response(verified.error()));
            return;
          }
          auto project = deps.app->find_project(query->site_id);
          if (!project) {
            respond(net::HttpResponse::error(404, "unknown_site", "no project with this site_id"));
            return;
          }
          // Projects created before time zones were checked may carry a name the engine
          // rejects: every query would fail the same way, so say so instead of "retry".
          if (!core::is_known_time_zone(project->timezone)) {
            respond(permanent_failure(
                "invalid_project_timezone",
                fmt::format("the project's time zone '{}' is not an IANA time zone; an operator "
                            "must set a valid one (e.g. Europe/Berlin or UTC)",
                            project->timezone),
                fmt::format("project {} has the unknown time zone '{}'", project->id,
                            project->timezone)));
            return;
          }
          auto result = store::run_stats_query(*deps.analytics, *query, project->timezone, now);
          if (!result) {
            respond(error_response(result.error()));
            return;
          }
          respond(net::HttpResponse::json(200, std::move(*result)));
        } catch (const store::StoreError& e) {
          if (e.transient()) {
            core::log::warn(std::string("stats query: analytics store unavailable: ") + e.what());
            auto res = net::HttpResponse::error(
                503, "store_unavailable", "the analytics store is not available; retry later");
            res.headers.emplace_back("Retry-After", kStoreRetryAfterSeconds);
            respond(std::move(res));
          } else {
            respond(permanent_failure("query_failed",
                                      "the analytics store rejected this query; this is a server "
                                      "error, retrying will not help",
                                      e.what()));
          }
        } catch (const std::exception& e) {
          respond(permanent_failure("internal_error", "the query failed on the server", e.what()));
        }
      });
  if (!queued) {
    auto res = net::HttpResponse::error(503, "busy", "too many queries in progress; retry later");
    res.headers.emplace_back("Retry-After", "1");
    respond(std::move(res));
  }
}

}  // namespace bklit::api
