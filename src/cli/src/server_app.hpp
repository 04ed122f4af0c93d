#pragma once
// The roles of one process (all of them for `bklit serve`), started and stopped in order.

#include <memory>

#include "bklit/core/config.hpp"
#include "bklit/core/result.hpp"
#include "roles.hpp"

namespace bklit::cli {

class ServerApp {
 public:
  ServerApp(core::Config config, Roles roles);
  ~ServerApp();
  core::Status start();
  // Graceful: stop accepting, ack or refuse what is in flight, flush the worker, close
  // the stores. No acked event is lost.
  void stop();

 private:
  struct Parts;
  core::Config config_;
  Roles roles_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bklit::cli
