#pragma once
// Plain request/response values handed between the network layer and the handlers, so
// that no handler includes Boost.Beast.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bklit::net {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // as received: path and query
  std::string path;                                          // target before '?'
  std::string query;                                         // target after '?', without it
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  std::string remote_ip;

  // First value of a header (name lowercase), empty when absent.
  std::string_view header(std::string_view lower_name) const;
  // Percent-decoded value of a query parameter, empty when absent.
  std::string query_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(int status, std::string body);
  // The one error shape (core/error_json.hpp): {"code":...,"message":...[,"request_id":...]}
  static HttpResponse error(int status, std::string_view code, std::string_view message,
                            std::string_view request_id = {});
};

// Called exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

}  // namespace bklit::net
