#pragma once
// Validates one segment file at open: reads every frame in order and stops at the first
// one that is partial, fails its CRC or carries an unexpected seq.

#include <cstdint>
#include <string>

#include "bklit/core/result.hpp"

namespace bklit::queue::local_log {

struct SegmentScan {
  std::uint64_t first_seq = 0;
  std::uint64_t records = 0;      // valid frames before the break (or the end)
  std::uint64_t valid_bytes = 0;  // where the break is; == file_bytes when intact
  std::uint64_t file_bytes = 0;
  std::uint64_t unacked_bytes = 0;  // frame bytes of the valid records with seq > acked
  std::string break_reason;         // empty when the file is intact
  // Valid frames with a later seq found after the break: a torn write leaves none unless
  // the kernel wrote its pages out of order, so a nonzero count hints at damage instead.
  std::uint64_t intact_frames_after_break = 0;

  bool intact() const { return valid_bytes == file_bytes; }
  std::uint64_t next_seq() const { return first_seq + records; }
};

// `look_past_break` counts intact_frames_after_break (costs a byte-by-byte search of at
// most 16 MiB after the break).
core::Result<SegmentScan> scan_segment(int dir_fd, std::uint64_t first_seq, std::uint64_t acked_seq,
                                       bool look_past_break);

}  // namespace bklit::queue::local_log
