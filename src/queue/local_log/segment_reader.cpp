#include "local_log/segment_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kReadChunkBytes = 1U << 20U;

core::Error corrupt(std::string message) {
  return core::make_error("queue_corrupt", std::move(message), 500);
}

}  // namespace

core::Status SegmentReader::open_segment(std::uint64_t first_seq) {
  name_ = segment_file_name(first_seq);
  fd_.reset(::openat(dir_fd_, name_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_.valid()) return io_error("open", name_, errno);
  segment_first_ = first_seq;
  next_seq_ = first_seq;
  buf_.clear();
  pos_ = 0;
  buf_offset_ = 0;
  return core::Ok{};
}

core::Status SegmentReader::refill(const SegmentInfo& segment) {
  buf_.erase(0, pos_);
  buf_offset_ += pos_;
  pos_ = 0;
  const std::size_t have = buf_.size();
  const std::uint64_t end = buf_offset_ + have;
  if (end >= segment.bytes) {
    return corrupt(
        fmt::format("segment {} ends at byte {} before record {}", name_, end, next_seq_));
  }
  // Never read past the synced size: bytes beyond it may be a write in progress.
  const auto want =
      static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunkBytes, segment.bytes - end));
  buf_.resize(have + want);
  auto n = pread_full(fd_.get(), buf_.data() + have, want, static_cast<off_t>(end), name_);
  if (!n) return n.error();
  buf_.resize(have + *n);
  if (*n == 0) return corrupt(fmt::format("segment {} is shorter than expected", name_));
  return core::Ok{};
}

core::Status SegmentReader::read(std::uint64_t from, std::uint64_t to,
                                 const std::vector<SegmentInfo>& segments,
                                 std::vector<QueueRecord>& out) {
  std::uint64_t seq = from;
  while (seq <= to) {
    auto it = std::upper_bound(
        segments.begin(), segments.end(), seq,
        [](std::uint64_t s, const SegmentInfo& info) { return s < info.first_seq; });
    if (it == segments.begin() || std::prev(it)->last_seq < seq) {
      return corrupt(fmt::format("record {} is missing from the queue's segments", seq));
    }
    const SegmentInfo& segment = *std::prev(it);
    if (!fd_.valid() || segment_first_ != segment.first_seq || next_seq_ > seq) {
      auto st = open_segment(segment.first_seq);
      if (!st) return st;
    }
    const std::uint64_t stop = std::min(to, segment.last_seq);
    while (next_seq_ <= stop) {
      FrameView frame;
      const FrameStatus status = decode_frame(std::string_view(buf_).substr(pos_), frame);
      if (status == FrameStatus::kIncomplete) {
        auto st = refill(segment);
        if (!st) return st;
        continue;
      }
      if (status == FrameStatus::kInvalid || frame.seq != next_seq_) {
        return corrupt(fmt::format("segment {} has a damaged record at byte {} (expected seq {})",
                                   name_, buf_offset_ + pos_, next_seq_));
      }
      if (frame.seq >= seq) out.push_back(QueueRecord{0, frame.seq, std::string(frame.payload)});
      pos_ += frame.size;
      ++next_seq_;
    }
    seq = next_seq_;
  }
  return core::Ok{};
}

}  // namespace bklit::queue::local_log
