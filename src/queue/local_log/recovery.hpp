#pragma once
// Opening a log directory: lock it, read the ack position, validate every segment, truncate
// a torn tail, and hand the resulting state to LocalLog.

#include <cstdint>
#include <deque>

#include "bklit/core/result.hpp"
#include "bklit/queue/local_log.hpp"
#include "local_log/file_util.hpp"
#include "local_log/segment_info.hpp"

namespace bklit::queue::local_log {

// Unacked bytes of a run of consecutive records, released as acks pass them.
struct BacklogSpan {
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t bytes = 0;
};

struct RecoveredLog {
  UniqueFd dir_fd;
  UniqueFd lock_fd;
  UniqueFd active_fd;  // the last segment, open for writing at active_bytes
  std::uint64_t active_bytes = 0;
  std::uint64_t next_seq = 1;
  std::uint64_t acked_seq = 0;
  std::deque<SegmentInfo> segments;  // sorted; the last one is active
  std::deque<BacklogSpan> backlog_spans;
  std::uint64_t backlog_bytes = 0;
};

core::Result<RecoveredLog> recover_log(const LocalLogOptions& options);

// Creates segment `first_seq` (empty) and makes its directory entry durable.
core::Result<UniqueFd> create_segment(int dir_fd, std::uint64_t first_seq);

}  // namespace bklit::queue::local_log
