#include "bklit/store/clickhouse_http_store.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include "bklit/store/sql_text.hpp"
#include "clickhouse_http/gzip.hpp"
#include "clickhouse_http/http_client.hpp"
#include "engine_error.hpp"

namespace bklit::store {
namespace {

using clickhouse_http::HttpClient;
using clickhouse_http::HttpResult;
using clickhouse_http::url_encode;
using std::chrono::milliseconds;

constexpr std::size_t kMaxErrorBody = 1024;
constexpr std::size_t kMaxStatementEcho = 300;
constexpr milliseconds kHealthTimeout{1000};
constexpr std::chrono::steady_clock::duration kHealthCacheFor = std::chrono::seconds(1);

std::string trimmed_error_body(const std::string& body) {
  std::string out = body.substr(0, kMaxErrorBody);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  if (body.size() > kMaxErrorBody) out.append("...");
  return out;
}

std::string statement_echo(std::string_view sql) {
  std::string out(sql.substr(0, kMaxStatementEcho));
  if (sql.size() > kMaxStatementEcho) out.append("...");
  return out;
}

// A non-200 answer: by the ClickHouse error code in the body; without one (a proxy in
// front of the server), gateway and overload statuses are transient.
StoreFailure classify_answer(long status, int code) {
  if (code != 0) return classify_clickhouse_code(code);
  return status == 429 || status == 502 || status == 503 || status == 504
             ? StoreFailure::kTransient
             : StoreFailure::kPermanent;
}

// Throws StoreError for a transport failure (transient: unreachable or timed out) or a
// non-200 answer.
void check(const HttpResult& r, const std::string& base_url, std::string_view sql) {
  if (!r.transport_ok) {
    throw StoreError("ClickHouse at " + base_url + " unreachable: " + r.transport_error +
                         " [statement: " + statement_echo(sql) + "]",
                     StoreFailure::kTransient);
  }
  if (r.status != 200) {
    const int code = clickhouse_error_code(r.body);
    throw StoreError("ClickHouse HTTP " + std::to_string(r.status) + ": " +
                         trimmed_error_body(r.body) + " [statement: " + statement_echo(sql) + "]",
                     classify_answer(r.status, code), code);
  }
}

class ClickHouseHttpStore final : public AnalyticsStore {
 public:
  ClickHouseHttpStore(std::unique_ptr<HttpClient> client, ClickHouseHttpOptions options,
                      EngineVersion version)
      : client_(std::move(client)), options_(std::move(options)), version_(std::move(version)) {
    params_ = "database=" + url_encode(options_.database);
    if (options_.compress) params_ += "&enable_http_compression=1";
  }

  void execute(std::string_view sql) override {
    // Not retried (see the header): an INSERT that timed out may have landed.
    HttpResult r = send(params_, sql, options_.request_timeout);
    check(r, client_->base_url(), sql);
  }

  std::string query(std::string_view sql, std::string_view format) override {
    std::string body(sql);
    // On its own line so that a trailing `-- comment` cannot swallow it.
    body.append("\nFORMAT ").append(format);
    // wait_end_of_query: the server buffers the result, so an error in the middle of a query
    // is a non-200 status, not a 200 with an exception text appended to the rows.
    HttpResult r = with_read_retries(
        [&] { return send(params_ + "&wait_end_of_query=1", body, options_.request_timeout); });
    check(r, client_->base_url(), sql);
    return std::move(r.body);
  }

  void insert(std::string_view table, std::string_view columns, std::string_view format,
              std::string_view rows, std::string_view dedup_token) override {
    // The statement goes in the URL, the rows alone in the (possibly gzipped) body. Not
    // retried (see the header).
    std::string statement = sql::insert_statement(table, columns, format, dedup_token);
    HttpResult r =
        send(params_ + "&query=" + url_encode(statement), rows, options_.request_timeout);
    check(r, client_->base_url(), statement);
  }

  EngineVersion version() override { return version_; }

  bool healthy() override {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(health_mutex_);
      if (health_checked_ && now - health_at_ < kHealthCacheFor) return health_ok_;
    }
    // Concurrent callers may both probe once the cache expires; harmless and short.
    HttpResult r = client_->post(params_, "SELECT 1", false,
                                 std::min(kHealthTimeout, options_.request_timeout));
    bool ok = r.transport_ok && r.status == 200 && r.body.starts_with("1");
    std::lock_guard lock(health_mutex_);
    health_checked_ = true;
    health_at_ = std::chrono::steady_clock::now();
    health_ok_ = ok;
    return ok;
  }

 private:
  HttpResult send(const std::string& params, std::string_view body, milliseconds timeout) {
    if (options_.compress && body.size() > 512) {
      std::string gz = clickhouse_http::gzip_compress(body);
      return client_->post(params, gz, true, timeout);
    }
    return client_->post(params, body, false, timeout);
  }

  template <typename Fn>
  HttpResult with_read_retries(Fn&& fn) {
    milliseconds backoff{50};
    for (int attempt = 1;; ++attempt) {
      HttpResult r = fn();
      if (r.transport_ok || !r.retryable || attempt >= options_.read_attempts) return r;
      std::this_thread::sleep_for(backoff);
      backoff *= 4;
    }
  }

  std::unique_ptr<HttpClient> client_;
  ClickHouseHttpOptions options_;
  EngineVersion version_;
  std::string params_;  // database and compression, first in every request's query string

  std::mutex health_mutex_;
  bool health_checked_ = false;
  bool health_ok_ = false;
  std::chrono::steady_clock::time_point health_at_;
};

core::Error open_error(std::string message) {
  return core::make_error("clickhouse_open", std::move(message), 500);
}

// Runs one statement at open time with read retries; empty optional-like on success.
core::Result<std::string> run_at_open(HttpClient& client, const ClickHouseHttpOptions& o,
                                      const std::string& params, const std::string& sql) {
  milliseconds backoff{50};
  for (int attempt = 1;; ++attempt) {
    HttpResult r = client.post(params, sql, false, o.request_timeout);
    if (!r.transport_ok) {
      if (r.retryable && attempt < o.read_attempts) {
        std::this_thread::sleep_for(backoff);
        backoff *= 4;
        continue;
      }
      return open_error("ClickHouse at " + client.base_url() +
                        " unreachable: " + r.transport_error);
    }
    if (r.status != 200) {
      return open_error("ClickHouse at " + client.base_url() + " refused `" + sql + "`: HTTP " +
                        std::to_string(r.status) + ": " + trimmed_error_body(r.body));
    }
    return std::move(r.body);
  }
}

}  // namespace

core::Result<std::unique_ptr<AnalyticsStore>> open_clickhouse_http_store(
    const ClickHouseHttpOptions& options) {
  std::string base = options.url;
  if (!base.starts_with("http://") && !base.starts_with("https://")) {
    return open_error("ClickHouse url must start with http:// or https://: " + options.url);
  }
  if (base.find('?') != std::string::npos) {
    return open_error("ClickHouse url must not carry a query string: " + options.url);
  }
  while (base.ends_with('/')) base.pop_back();
  if (!sql::is_identifier(options.database)) {
    return open_error("ClickHouse database name must be an identifier: " + options.database);
  }

  clickhouse_http::HttpClientConfig config;
  config.base_url = base;
  config.user = options.user;
  config.password = options.password;
  config.connect_timeout = options.connect_timeout;
  config.ca_file = options.ca_file;
  config.verify = options.verify;
  config.accept_gzip = options.compress;
  config.max_connections = options.max_connections;
  auto client = std::make_unique<HttpClient>(std::move(config));

  // The first request checks reachability and credentials before the database exists.
  std::string compress = options.compress ? "enable_http_compression=1" : "";
  auto version = run_at_open(*client, options, compress, "SELECT version()");
  if (!version) return version.error();
  auto created =
      run_at_open(*client, options, compress, "CREATE DATABASE IF NOT EXISTS " + options.database);
  if (!created) return created.error();

  return std::unique_ptr<AnalyticsStore>(std::make_unique<ClickHouseHttpStore>(
      std::move(client), options, sql::parse_engine_version(*version)));
}

}  // namespace bklit::store
