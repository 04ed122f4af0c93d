#include "local_log/segment_scan.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "local_log/file_util.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kReadChunkBytes = 4U << 20U;
constexpr std::size_t kMaxSearchBytes = 16U << 20U;

std::uint64_t count_frames_after(std::string_view rest, std::uint64_t min_seq) {
  std::uint64_t found = 0;
  std::size_t pos = 1;  // the break itself is known bad
  while (pos + kFrameHeaderBytes <= rest.size()) {
    FrameView frame;
    if (decode_frame(rest.substr(pos), frame) == FrameStatus::kOk && frame.seq >= min_seq) {
      ++found;
      min_seq = frame.seq + 1;
      pos += frame.size;
    } else {
      ++pos;
    }
  }
  return found;
}

}  // namespace

core::Result<SegmentScan> scan_segment(int dir_fd, std::uint64_t first_seq, std::uint64_t acked_seq,
                                       bool look_past_break) {
  const std::string name = segment_file_name(first_seq);
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", name, errno);
  auto size = file_size(fd.get(), name);
  if (!size) return size.error();

  SegmentScan scan;
  scan.first_seq = first_seq;
  scan.file_bytes = static_cast<std::uint64_t>(*size);

  std::string buf;
  std::size_t pos = 0;         // next frame, relative to buf
  std::uint64_t buf_file = 0;  // file offset of buf[0]
  std::uint64_t expected = first_seq;
  while (buf_file + pos < scan.file_bytes) {
    FrameView frame;
    const FrameStatus status = decode_frame(std::string_view(buf).substr(pos), frame);
    if (status == FrameStatus::kIncomplete && buf_file + buf.size() < scan.file_bytes) {
      buf.erase(0, pos);
      buf_file += pos;
      pos = 0;
      const std::size_t have = buf.size();
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(kReadChunkBytes, scan.file_bytes - buf_file - have));
      buf.resize(have + want);
      auto n =
          pread_full(fd.get(), buf.data() + have, want, static_cast<off_t>(buf_file + have), name);
      if (!n) return n.error();
      buf.resize(have + *n);
      if (*n == 0) break;  // the file shrank under us; treat the rest as missing
      continue;
    }
    if (status == FrameStatus::kIncomplete) {
      scan.break_reason = "partial frame";
      break;
    }
    if (status == FrameStatus::kInvalid) {
      scan.break_reason = "bad CRC or length";
      break;
    }
    if (frame.seq != expected) {
      scan.break_reason = fmt::format("seq {} where {} was expected", frame.seq, expected);
      break;
    }
    if (frame.seq > acked_seq) scan.unacked_bytes += frame.size;
    ++expected;
    ++scan.records;
    pos += frame.size;
  }
  scan.valid_bytes = buf_file + pos;
  if (scan.valid_bytes < scan.file_bytes && scan.break_reason.empty()) {
    scan.break_reason = "file ended early";
  }

  if (look_past_break && !scan.intact()) {
    std::string rest(static_cast<std::size_t>(std::min<std::uint64_t>(
                         kMaxSearchBytes, scan.file_bytes - scan.valid_bytes)),
                     '\0');
    auto n =
        pread_full(fd.get(), rest.data(), rest.size(), static_cast<off_t>(scan.valid_bytes), name);
    if (!n) return n.error();
    rest.resize(*n);
    scan.intact_frames_after_break = count_frames_after(rest, expected);
  }
  return scan;
}

}  // namespace bklit::queue::local_log
