#pragma once
// Calendar months in UTC: the analytics tables are partitioned by toYYYYMM(ts), and one
// insert must stay inside one partition to be atomic.

#include <cstdint>

namespace bklit::pipeline {

struct UtcMonth {
  std::int64_t begin_ms = 0;  // first ms of the month
  std::int64_t end_ms = 0;    // first ms of the next month
  bool contains(std::int64_t ms) const { return ms >= begin_ms && ms < end_ms; }
};

UtcMonth utc_month_of(std::int64_t unix_ms);

}  // namespace bklit::pipeline
