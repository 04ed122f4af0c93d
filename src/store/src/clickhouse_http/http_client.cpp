#include "clickhouse_http/http_client.hpp"

#include <curl/curl.h>

#include <array>
#include <mutex>
#include <stdexcept>

namespace bklit::store::clickhouse_http {
namespace {

std::once_flag g_curl_init;

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

curl_slist* append_header(curl_slist* list, const std::string& header) {
  curl_slist* next = curl_slist_append(list, header.c_str());
  if (next == nullptr) {
    curl_slist_free_all(list);
    throw std::bad_alloc();
  }
  return next;
}

// The connection is known to be unusable or never existed: sending the request again cannot
// run it twice on the server, or it is a read that may run twice.
bool is_retryable(CURLcode code, CURL* curl) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    case CURLE_OPERATION_TIMEDOUT: {
      // A timeout while connecting is retryable; one while the server works is not.
      curl_off_t connect_us = 0;
      curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us);
      return connect_us == 0;
    }
    default:
      return false;
  }
}

}  // namespace

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

HttpClient::HttpClient(HttpClientConfig config) : config_(std::move(config)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (config_.max_connections == 0) config_.max_connections = 1;
  // Headers rather than basic auth or URL parameters: the password never appears in a URL
  // (server logs, proxies). ClickHouse 18.16 already reads X-ClickHouse-User/Key.
  std::vector<std::string> headers;
  if (!config_.user.empty()) headers.push_back("X-ClickHouse-User: " + config_.user);
  if (!config_.password.empty()) headers.push_back("X-ClickHouse-Key: " + config_.password);
  // No "Expect: 100-continue" round trip before large insert bodies.
  headers.emplace_back("Expect:");
  for (const auto& h : headers) headers_ = append_header(headers_, h);
  for (const auto& h : headers) gzip_headers_ = append_header(gzip_headers_, h);
  gzip_headers_ = append_header(gzip_headers_, "Content-Encoding: gzip");
}

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
  curl_slist_free_all(headers_);
  curl_slist_free_all(gzip_headers_);
}

void* HttpClient::acquire() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
    if (created_ < config_.max_connections) {
      ++created_;
      lock.unlock();
      CURL* h = curl_easy_init();
      if (h == nullptr) {
        lock.lock();
        --created_;
        throw std::runtime_error("curl_easy_init failed");
      }
      return h;
    }
    available_.wait(lock);
  }
}

void HttpClient::release(void* handle) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(handle);
  }
  available_.notify_one();
}

HttpResult HttpClient::post(std::string_view query_string, std::string_view body, bool body_gzipped,
                            std::chrono::milliseconds timeout) {
  CURL* curl = static_cast<CURL*>(acquire());
  struct Release {
    HttpClient* self;
    CURL* curl;
    ~Release() { self->release(curl); }
  } release_guard{this, curl};

  // Reset drops the previous request's options but keeps the live connection.
  curl_easy_reset(curl);
  std::string url = config_.base_url + "/?";
  url.append(query_string);
  HttpResult result;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, body_gzipped ? gzip_headers_ : headers_);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  if (config_.accept_gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, config_.verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, config_.verify ? 2L : 0L);

  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    result.transport_error =
        error_buffer[0] != '\0' ? error_buffer.data() : curl_easy_strerror(code);
    result.retryable = is_retryable(code, curl);
    result.body.clear();
    return result;
  }
  result.transport_ok = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

}  // namespace bklit::store::clickhouse_http
