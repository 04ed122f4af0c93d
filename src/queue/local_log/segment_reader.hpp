#pragma once
// Reads records back from segment files for poll() when they are no longer (or not yet) in
// the in-memory tail. Keeps its file and buffer between calls, so a consumer reading a long
// backlog in order costs one sequential pass.

#include <cstdint>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/queue/event_queue.hpp"
#include "local_log/file_util.hpp"
#include "local_log/segment_info.hpp"

namespace bklit::queue::local_log {

class SegmentReader {
 public:
  explicit SegmentReader(int dir_fd) : dir_fd_(dir_fd) {}

  // Appends the records with seqs in [from, to] to `out`. They must all be durable and lie
  // in `segments` (sorted by first_seq). A damaged frame is a "queue_corrupt" error.
  core::Status read(std::uint64_t from, std::uint64_t to, const std::vector<SegmentInfo>& segments,
                    std::vector<QueueRecord>& out);

 private:
  core::Status open_segment(std::uint64_t first_seq);
  core::Status refill(const SegmentInfo& segment);

  int dir_fd_;
  UniqueFd fd_;
  std::string name_;
  std::uint64_t segment_first_ = 0;
  std::uint64_t next_seq_ = 0;  // seq of the frame at buf_[pos_]
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t buf_offset_ = 0;  // file offset of buf_[0]
};

}  // namespace bklit::queue::local_log
