#pragma once
// Daily visitor-id salts (docs/metrics.md "Visitor"), cached from the AppStore.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "bklit/appdb/app_store.hpp"

namespace bklit::ingest {

class SaltProvider {
 public:
  explicit SaltProvider(appdb::AppStore& app) : app_(app) {}
  // Salt of the UTC day containing day_of_ms. The first call for a day later than every day
  // asked so far also rotates: salts older than the day before it are deleted, so a past
  // day's visitor ids cannot be recomputed (docs/metrics.md "Visitor").
  std::string salt_for_time(std::int64_t day_of_ms);

 private:
  // Deletes the salts of the days before `day`, in memory and in the store.
  void delete_before(std::int64_t day);

  appdb::AppStore& app_;
  std::mutex mu_;
  std::map<std::int64_t, std::string> salts_;
  std::int64_t newest_day_ = INT64_MIN;  // the latest day asked for; guarded by mu_
};

}  // namespace bklit::ingest
