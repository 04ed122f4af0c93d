#include "utc_month.hpp"

#include "bklit/core/clock.hpp"

namespace bklit::pipeline {

UtcMonth utc_month_of(std::int64_t unix_ms) {
  constexpr std::int64_t kDayMs = 86'400'000;
  std::int64_t days = unix_ms / kDayMs;
  if (unix_ms % kDayMs < 0) --days;  // floor for times before 1970
  int year = 0;
  unsigned month = 0, day = 0;
  core::civil_from_days(days, year, month, day);
  int next_year = month == 12 ? year + 1 : year;
  unsigned next_month = month == 12 ? 1 : month + 1;
  return UtcMonth{core::days_from_civil(year, month, 1) * kDayMs,
                  core::days_from_civil(next_year, next_month, 1) * kDayMs};
}

}  // namespace bklit::pipeline
