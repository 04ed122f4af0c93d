#include "local_log/segment_scan.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "local_log/file_util.hpp"
#include "local_log/frame_search.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kReadChunkBytes = 4U << 20U;

}  // namespace

core::Result<SegmentScan> scan_segment(int dir_fd, std::uint64_t first_seq, std::uint64_t acked_seq,
                                       std::uint64_t next_first) {
  const std::string name = segment_file_name(first_seq);
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", name, errno);
  auto size = file_size(fd.get(), name);
  if (!size) return size.error();

  SegmentScan scan;
  scan.first_seq = first_seq;
  scan.file_bytes = static_cast<std::uint64_t>(*size);
  const bool last = next_first == 0;
  const std::uint64_t max_seq = last ? UINT64_MAX : next_first - 1;

  std::string buf;
  std::size_t pos = 0;         // next frame, relative to buf
  std::uint64_t buf_file = 0;  // file offset of buf[0]
  std::uint64_t expected = first_seq;
  while (buf_file + pos < scan.file_bytes) {
    FrameView frame;
    const std::string_view rest = std::string_view(buf).substr(pos);
    const FrameStatus status = decode_frame(rest, frame);
    const bool buffered_to_end = buf_file + buf.size() >= scan.file_bytes;
    if (status == FrameStatus::kIncomplete && !buffered_to_end) {
      buf.erase(0, pos);
      buf_file += pos;
      pos = 0;
      const std::size_t have = buf.size();
      const auto want = static_cast<std::size_t>(
          std::min<std::uint64_t>(kReadChunkBytes, scan.file_bytes - buf_file - have));
      buf.resize(have + want);
      auto n =
          pread_full(fd.get(), buf.data() + have, want, static_cast<off_t>(buf_file + have), name);
      if (!n) return n.error();
      buf.resize(have + *n);
      if (*n == 0) break;  // the file shrank under us; treat the rest as missing
      continue;
    }
    if (status == FrameStatus::kOk && frame.seq == expected) {
      if (frame.seq > acked_seq) scan.unacked_bytes += frame.size;
      ++expected;
      ++scan.records;
      pos += frame.size;
      continue;
    }

    // Damage: where does the next intact record start?
    const std::uint64_t at = buf_file + pos;
    std::string reason = describe_bad_frame(rest, buffered_to_end, expected);
    auto next = find_next_frame(fd.get(), name, at, scan.file_bytes, expected, max_seq);
    if (!next) return next.error();
    if (!next->found && last) {
      scan.tail_reason = std::move(reason);
      break;
    }
    const std::uint64_t resume_offset = next->found ? next->offset : scan.file_bytes;
    const std::uint64_t resume_seq = next->found ? next->seq : std::max(expected, next_first);
    scan.damaged.push_back(
        DamagedStretch{at, resume_offset - at, expected, resume_seq - 1, std::move(reason)});
    expected = resume_seq;
    buf.clear();
    pos = 0;
    buf_file = resume_offset;
  }
  scan.valid_bytes = std::min(buf_file + pos, scan.file_bytes);
  if (scan.torn() && scan.tail_reason.empty()) scan.tail_reason = "file ended early";
  scan.next_seq = expected;
  return scan;
}

}  // namespace bklit::queue::local_log
