#include <fmt/format.h>

#include <mutex>

#include "bklit/core/clock.hpp"
#include "bklit/core/error_json.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/text.hpp"
#include "bklit/ingest/sdk_socket.hpp"

namespace bklit::ingest {
namespace {

struct Outcome {
  bool accepted = false;
  std::string event_id;
  core::Error error;
};

std::string results_json(const std::vector<Outcome>& outcomes, std::string_view failed_code,
                         std::string_view failed_message) {
  std::string out = R"({"results":[)";
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (i > 0) out += ',';
    const auto& o = outcomes[i];
    out += fmt::format(R"({{"index":{},)", i);
    if (o.accepted && failed_code.empty()) {
      ++accepted;
      out += R"("status":"accepted","eventId":")" + o.event_id + "\"}";
    } else {
      const auto& code = o.accepted ? failed_code : std::string_view(o.error.code);
      const auto& msg = o.accepted ? failed_message : std::string_view(o.error.message);
      out += R"("status":"rejected",)";
      core::append_error_fields(out, code, msg);
      out += '}';
    }
  }
  out += fmt::format(R"(],"accepted":{},"rejected":{}}})", accepted, outcomes.size() - accepted);
  return out;
}

}  // namespace

void handle_track(IngestService& service, net::HttpRequest&& request, net::Responder respond) {
  auto now = core::now_ms();
  auto batch = parse_sdk_batch(request.body, service.limits());
  if (!batch) {
    const auto& e = batch.error();
    respond(net::HttpResponse::error(e.http_status, e.code, e.message));
    return;
  }
  ClientContext ctx;
  ctx.origin = std::string(request.header("origin"));
  ctx.user_agent = std::string(core::utf8_truncate(request.header("user-agent"), 1024));
  ctx.client_ip = service.proxies().client_ip(request.remote_ip, request.header("x-forwarded-for"));
  auto authz = request.header("authorization");
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    ctx.api_key = std::string(authz.substr(7));
  }

  std::vector<Outcome> outcomes(batch->size());
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < batch->size(); ++i) {
    auto& parsed = (*batch)[i];
    if (!parsed) {
      outcomes[i].error = parsed.error();
      continue;
    }
    if (parsed->kind == SdkMessage::Kind::kAuth) {
      outcomes[i].error = core::make_error(
          "unknown_type", "auth messages belong to the WebSocket; use Authorization: Bearer");
      continue;
    }
    ctx.last_url.clear();
    auto event = service.build_event(*parsed, ctx, now);
    if (!event) {
      outcomes[i].error = event.error();
      continue;
    }
    outcomes[i].accepted = true;
    outcomes[i].event_id = event->event_id;
    payloads.push_back(core::encode_event(*event));
  }
  if (payloads.empty()) {
    // Nothing to store: answer with the status of the first rejection.
    int status = outcomes.empty() ? 400 : outcomes.front().error.http_status;
    for (const auto& o : outcomes) {
      if (o.error.http_status != status) {
        status = 400;
        break;
      }
    }
    respond(net::HttpResponse::json(status, results_json(outcomes, {}, {})));
    return;
  }
  bool appended = service.append(
      std::move(payloads), [outcomes = std::move(outcomes), respond](queue::AppendStatus status) {
        if (status == queue::AppendStatus::kDurable) {
          respond(net::HttpResponse::json(202, results_json(outcomes, {}, {})));
        } else {
          auto res = net::HttpResponse::json(
              503,
              results_json(outcomes, "unavailable", "the events could not be stored; retry later"));
          res.headers.emplace_back("Retry-After", "1");
          respond(std::move(res));
        }
      });
  if (!appended) {
    auto res = net::HttpResponse::error(503, "shutting_down",
                                        "the server is restarting; nothing was stored, retry");
    res.headers.emplace_back("Retry-After", "1");
    respond(std::move(res));
  }
}

}  // namespace bklit::ingest
