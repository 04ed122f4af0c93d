#pragma once
// Validates one segment file at open: reads every frame in order, steps over damaged frames
// to the next intact record (frame_search.hpp) and finds a torn tail.

#include <cstdint>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::queue::local_log {

// Bytes of a segment where records were expected but none is intact.
struct DamagedStretch {
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_seq = 0;  // the records lost with it: first_seq .. last_seq
  std::uint64_t last_seq = 0;   // first_seq - 1 when none was (bytes after the last record)
  std::string reason;           // why the frame at `offset` is not record first_seq
};

struct SegmentScan {
  std::uint64_t first_seq = 0;
  std::uint64_t next_seq = 0;     // after the segment's last record, intact or lost
  std::uint64_t records = 0;      // intact frames
  std::uint64_t valid_bytes = 0;  // where a torn tail starts; == file_bytes when there is none
  std::uint64_t file_bytes = 0;
  std::uint64_t unacked_bytes = 0;  // frame bytes of the intact records with seq > acked
  std::string tail_reason;          // why the tail is torn; empty when it is not
  std::vector<DamagedStretch> damaged;

  bool torn() const { return valid_bytes < file_bytes; }
};

// `next_first`: the first seq of the following segment, which this one's records end
// before; 0 for the last segment. In an older segment (fully synced before the next one was
// created) damage reaching the end of the file is a stretch whose records run up to
// next_first - 1. In the last segment it is a torn tail: a write a crash interrupted.
core::Result<SegmentScan> scan_segment(int dir_fd, std::uint64_t first_seq, std::uint64_t acked_seq,
                                       std::uint64_t next_first);

}  // namespace bklit::queue::local_log
