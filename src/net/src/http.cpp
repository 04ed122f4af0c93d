#include "bklit/net/http.hpp"

#include <optional>

#include "bklit/core/error_json.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/text.hpp"
#include "bklit/core/url.hpp"

namespace bklit::net {

std::string_view HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

std::string HttpRequest::query_param(std::string_view name) const {
  std::optional<std::string> found;
  core::for_each_query_pair(query, [&](std::string_view key, std::string_view value) {
    if (!found && core::percent_decode(key, true) == name) {
      found = core::percent_decode(value, true);
    }
  });
  return found.value_or(std::string());
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(int status, std::string_view code, std::string_view message,
                                 std::string_view request_id) {
  return json(status, core::error_json(code, message, request_id));
}

}  // namespace bklit::net
