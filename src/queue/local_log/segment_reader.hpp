#pragma once
// Reads records back from segment files for poll() when they are no longer (or not yet) in
// the in-memory tail. Keeps its file and buffer between calls, so a consumer reading a long
// backlog in order costs one sequential pass.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bklit/core/result.hpp"
#include "bklit/queue/event_queue.hpp"
#include "local_log/file_util.hpp"
#include "local_log/segment_info.hpp"

namespace bklit::queue::local_log {

// A stretch of a segment where records were expected but none is intact (a frame that fails
// its CRC, a length that runs past the segment, an unexpected seq), up to the next intact
// record (frame_search.hpp) or the segment's end.
struct Damage {
  std::string segment;  // file name
  std::uint64_t offset = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_seq = 0;  // the records lost: first_seq .. last_seq
  std::uint64_t last_seq = 0;
  std::string reason;  // why the frame at `offset` is not record first_seq
  std::string sample;  // the damaged bytes, cut to at most kMaxPayloadBytes
  // Where reading goes on: the next intact frame, or the segment's end.
  std::uint64_t resume_offset = 0;
};

class SegmentReader {
 public:
  explicit SegmentReader(int dir_fd) : dir_fd_(dir_fd) {}

  // Appends the records with seqs in [from, to] to `out`. They must all be durable and lie
  // in `segments` (sorted by first_seq). Stops at the first damaged stretch that loses a
  // record >= from and returns it (the records before it are in `out`); skip() then goes on
  // after it. Damage that loses only records below `from` (delivered before) is stepped
  // over. Errors are I/O errors and records missing from `segments`.
  core::Result<std::optional<Damage>> read(std::uint64_t from, std::uint64_t to,
                                           const std::vector<SegmentInfo>& segments,
                                           std::vector<QueueRecord>& out);

  // Moves past the damage read() just returned.
  void skip(const Damage& damage);
  // Drops the position: the next read() starts from the beginning of its segment.
  void forget() { fd_.reset(); }

 private:
  core::Status open_segment(std::uint64_t first_seq);
  // Reads more of the segment; false at its (synced) end.
  core::Result<bool> refill(const SegmentInfo& segment);
  core::Result<Damage> locate_damage(const SegmentInfo& segment);
  void seek(std::uint64_t offset, std::uint64_t seq);

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
