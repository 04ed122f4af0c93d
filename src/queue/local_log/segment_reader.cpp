#include "local_log/segment_reader.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "local_log/frame_search.hpp"
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
  seek(0, first_seq);
  return core::Ok{};
}

void SegmentReader::seek(std::uint64_t offset, std::uint64_t seq) {
  next_seq_ = seq;
  buf_.clear();
  pos_ = 0;
  buf_offset_ = offset;
}

core::Result<bool> SegmentReader::refill(const SegmentInfo& segment) {
  buf_.erase(0, pos_);
  buf_offset_ += pos_;
  pos_ = 0;
  const std::size_t have = buf_.size();
  const std::uint64_t end = buf_offset_ + have;
  if (end >= segment.bytes) return false;
  // Never read past the synced size: bytes beyond it may be a write in progress.
  const auto want =
      static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunkBytes, segment.bytes - end));
  buf_.resize(have + want);
  auto n = pread_full(fd_.get(), buf_.data() + have, want, static_cast<off_t>(end), name_);
  if (!n) return n.error();
  buf_.resize(have + *n);
  return *n > 0;  // 0: the file is shorter than the log knows it to be
}

core::Result<Damage> SegmentReader::locate_damage(const SegmentInfo& segment) {
  Damage d;
  d.segment = name_;
  d.offset = buf_offset_ + pos_;
  d.first_seq = next_seq_;
  const std::string_view rest = std::string_view(buf_).substr(pos_);
  d.reason = describe_bad_frame(rest, buf_offset_ + buf_.size() >= segment.bytes, next_seq_);
  auto next =
      find_next_frame(fd_.get(), name_, d.offset, segment.bytes, next_seq_, segment.last_seq);
  if (!next) return next.error();
  d.resume_offset = next->found ? next->offset : segment.bytes;
  d.last_seq = next->found ? next->seq - 1 : segment.last_seq;
  d.bytes = d.resume_offset - d.offset;
  d.sample.resize(static_cast<std::size_t>(std::min<std::uint64_t>(d.bytes, kMaxPayloadBytes)));
  auto n =
      pread_full(fd_.get(), d.sample.data(), d.sample.size(), static_cast<off_t>(d.offset), name_);
  if (!n) return n.error();
  d.sample.resize(*n);
  return d;
}

void SegmentReader::skip(const Damage& damage) { seek(damage.resume_offset, damage.last_seq + 1); }

core::Result<std::optional<Damage>> SegmentReader::read(std::uint64_t from, std::uint64_t to,
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
      if (!st) return st.error();
    }
    const std::uint64_t stop = std::min(to, segment.last_seq);
    while (next_seq_ <= stop) {
      FrameView frame;
      const FrameStatus status = decode_frame(std::string_view(buf_).substr(pos_), frame);
      if (status == FrameStatus::kIncomplete) {
        auto more = refill(segment);
        if (!more) return more.error();
        if (*more) continue;
      }
      if (status != FrameStatus::kOk || frame.seq != next_seq_) {
        auto damage = locate_damage(segment);
        if (!damage) return damage.error();
        if (damage->last_seq >= from) return std::optional<Damage>(std::move(*damage));
        skip(*damage);  // lost records that were delivered and processed before
        continue;
      }
      if (frame.seq >= seq) out.push_back(QueueRecord{0, frame.seq, std::string(frame.payload)});
      pos_ += frame.size;
      ++next_seq_;
    }
    seq = next_seq_;
  }
  return std::optional<Damage>();
}

}  // namespace bklit::queue::local_log
