#pragma once
// Registers an event definition the first time a trackingId is seen in a project, so
// custom events are never dropped for lack of a definition (they are stored first; the
// definition follows). Runs on the worker thread: the AppStore call may block.

#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "bklit/appdb/app_store.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::pipeline {

class DefinitionRegistrar {
 public:
  explicit DefinitionRegistrar(appdb::AppStore& app, std::size_t max_known = 100000)
      : app_(app), max_known_(max_known) {}

  // Returns how many definitions were created by this call.
  std::size_t observe(const std::vector<store::StoredEvent>& events);

 private:
  appdb::AppStore& app_;
  std::size_t max_known_;
  std::mutex mu_;
  std::unordered_set<std::string> known_;  // "<project>\n<tracking id>"
};

}  // namespace bklit::pipeline
