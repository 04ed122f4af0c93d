#pragma once
// A keep-alive HTTP/1.1 client connection for POST requests (Beast stays in the .cpp).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "run_context.hpp"

namespace bklit::loadgen {

struct HttpResult {
  boost::system::error_code ec;  // transport failure (then status is 0)
  int status = 0;
  std::string body;
};

class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, const RunPlan& plan);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Connects first when needed; after a transport error the next call reconnects.
  boost::asio::awaitable<HttpResult> post(
      std::string target, std::string body,
      const std::vector<std::pair<std::string, std::string>>& headers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bklit::loadgen
