#pragma once
// Finding where intact records go on after a damaged frame in a segment file
// (docs/records.md, "Damaged records in the local log"). Shared by the open-time scan
// (segment_scan) and the reader behind poll() (segment_reader), so both draw the same
// boundaries around the same damage.

#include <cstdint>
#include <string>
#include <string_view>

#include "bklit/core/result.hpp"

namespace bklit::queue::local_log {

struct NextFrame {
  bool found = false;
  std::uint64_t offset = 0;  // file offset of the next intact frame (when found)
  std::uint64_t seq = 0;     // its seq
};

// The frame at `from` in the segment `fd` (`name`, for errors) is damaged while record
// `expected` should start there. Returns the first intact frame in (from, end) whose seq is
// in (expected, max_seq], where intact means a CRC-32C that checks out and a seq that can
// follow: each record between `expected` and it needs at least a frame header of the bytes
// before it. First, when the damaged frame's own length field leads exactly to an intact
// frame with seq expected + 1, that one (so a payload that happens to contain a valid-looking
// frame does not shift the boundary); otherwise a byte-by-byte search. Not found: no intact
// record follows before `end`. Errors are I/O errors only.
core::Result<NextFrame> find_next_frame(int fd, std::string_view name, std::uint64_t from,
                                        std::uint64_t end, std::uint64_t expected,
                                        std::uint64_t max_seq);

// Why the frame at the start of `bytes` is not record `expected`: "CRC mismatch", "length
// field N over the limit", "frame of N bytes runs past the end of the segment", "seq N where
// M was expected". `bytes` holds the whole frame, or runs to the end of the segment
// (`reaches_end`).
std::string describe_bad_frame(std::string_view bytes, bool reaches_end, std::uint64_t expected);

}  // namespace bklit::queue::local_log
