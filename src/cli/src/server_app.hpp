#pragma once
// Every role of `bklit serve` in one process, started and stopped in order.

#include <memory>

#include "bklit/core/config.hpp"
#include "bklit/core/result.hpp"

namespace bklit::cli {

class ServerApp {
 public:
  explicit ServerApp(core::Config config);
  ~ServerApp();
  core::Status start();
  // Graceful: stop accepting, ack or refuse what is in flight, flush the worker, close
  // the stores. No acked event is lost.
  void stop();

 private:
  struct Parts;
  core::Config config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bklit::cli
