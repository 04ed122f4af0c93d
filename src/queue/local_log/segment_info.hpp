#pragma once
#include <cstdint>

namespace bklit::queue::local_log {

// What the log knows about one segment file; only durable (synced) bytes count.
struct SegmentInfo {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;  // first_seq - 1 while the segment holds no record
  std::uint64_t bytes = 0;
};

}  // namespace bklit::queue::local_log
