#pragma once
// A small blocking HTTP POST client over libcurl with a bounded pool of easy handles. Each
// handle keeps its connection alive between requests, so a steady caller reuses one TCP
// (or TLS) connection; a connection the server closed meanwhile is reopened by curl.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

struct curl_slist;

namespace bklit::store::clickhouse_http {

struct HttpClientConfig {
  std::string base_url;  // scheme://host:port[/prefix], no trailing slash, no query
  std::string user, password;
  std::chrono::milliseconds connect_timeout{2000};
  std::string ca_file;
  bool verify = true;
  bool accept_gzip = false;
  std::size_t max_connections = 8;
};

struct HttpResult {
  // Transport outcome: false when no complete HTTP response arrived.
  bool transport_ok = false;
  // Whether the failure happened before a connection existed or while a connection broke
  // (then a read-only request may safely be sent again), as opposed to a request timeout
  // after the server took the request (then it is merely slow).
  bool retryable = false;
  std::string transport_error;
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientConfig config);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to base_url + "/?" + query_string within `timeout`.
  HttpResult post(std::string_view query_string, std::string_view body, bool body_gzipped,
                  std::chrono::milliseconds timeout);

  const std::string& base_url() const { return config_.base_url; }

 private:
  void* acquire();
  void release(void* handle);

  HttpClientConfig config_;
  curl_slist* headers_ = nullptr;       // auth + "Expect:"
  curl_slist* gzip_headers_ = nullptr;  // the same + Content-Encoding: gzip
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<void*> idle_;  // CURL* handles with their live connections
  std::size_t created_ = 0;
};

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

}  // namespace bklit::store::clickhouse_http
