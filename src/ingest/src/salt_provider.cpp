#include "bklit/ingest/salt_provider.hpp"

namespace bklit::ingest {

namespace {
constexpr std::int64_t kDayMs = 86400000;
std::int64_t day_of(std::int64_t ms) { return ms >= 0 ? ms / kDayMs : (ms - kDayMs + 1) / kDayMs; }
}  // namespace

std::string SaltProvider::salt_for_time(std::int64_t day_of_ms) {
  auto day = day_of(day_of_ms);
  bool newer = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = salts_.find(day); it != salts_.end()) return it->second;
    if (day > newest_day_) {
      newest_day_ = day;
      newer = true;
    }
  }
  // Rotation runs on the first request of a new day (and the first after a start), so it
  // needs no timer and costs nothing on the cached path. Callers ask only for today or, for
  // a session that began before midnight, yesterday, so nothing still in use is deleted.
  if (newer) delete_before(day - 1);
  // The store creates the day's salt atomically, so every process agrees on it.
  std::string salt = app_.salt_for_day(day);
  std::lock_guard lock(mu_);
  return salts_.emplace(day, std::move(salt)).first->second;
}

void SaltProvider::delete_before(std::int64_t day) {
  {
    std::lock_guard lock(mu_);
    salts_.erase(salts_.begin(), salts_.lower_bound(day));
  }
  app_.delete_salts_before(day);
}

}  // namespace bklit::ingest
