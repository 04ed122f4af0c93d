#include "local_log/frame_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "local_log/crc32c.hpp"
#include "local_log/file_util.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kWindowBytes = 1U << 20U;

// The seq of the intact frame at `offset` when it lies in [min_seq, max_seq] and ends by
// `end`; nullopt otherwise.
core::Result<std::optional<std::uint64_t>> intact_frame_at(int fd, std::string_view name,
                                                           std::uint64_t offset, std::uint64_t end,
                                                           std::uint64_t min_seq,
                                                           std::uint64_t max_seq) {
  if (end < offset || end - offset < kFrameHeaderBytes) return std::optional<std::uint64_t>();
  char header[kFrameHeaderBytes];
  auto n = pread_full(fd, header, sizeof header, static_cast<off_t>(offset), name);
  if (!n) return n.error();
  if (*n < sizeof header) return std::optional<std::uint64_t>();
  const auto length = static_cast<std::size_t>(get_le(header + 4, 4));
  const std::uint64_t seq = get_le(header + 8, 8);
  if (length > kMaxPayloadBytes || seq < min_seq || seq > max_seq ||
      offset + kFrameHeaderBytes + length > end) {
    return std::optional<std::uint64_t>();
  }
  std::string frame(kFrameHeaderBytes + length, '\0');
  n = pread_full(fd, frame.data(), frame.size(), static_cast<off_t>(offset), name);
  if (!n) return n.error();
  frame.resize(*n);
  FrameView view;
  if (decode_frame(frame, view) != FrameStatus::kOk) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(seq);
}

}  // namespace

core::Result<NextFrame> find_next_frame(int fd, std::string_view name, std::uint64_t from,
                                        std::uint64_t end, std::uint64_t expected,
                                        std::uint64_t max_seq) {
  if (expected >= max_seq || end <= from) return NextFrame{};

  // The damaged frame's own length, when it leads exactly to the record after it.
  if (end - from >= kFrameHeaderBytes) {
    char header[kFrameHeaderBytes];
    auto n = pread_full(fd, header, sizeof header, static_cast<off_t>(from), name);
    if (!n) return n.error();
    const auto length = static_cast<std::uint64_t>(get_le(header + 4, 4));
    if (*n == sizeof header && length <= kMaxPayloadBytes &&
        from + kFrameHeaderBytes + length < end) {
      const std::uint64_t next = from + kFrameHeaderBytes + length;
      auto hit = intact_frame_at(fd, name, next, end, expected + 1, expected + 1);
      if (!hit) return hit.error();
      if (*hit) return NextFrame{true, next, expected + 1};
    }
  }

  // Byte by byte. The seq test comes first: it is cheap and rejects almost every offset,
  // so the CRC is computed only where a plausible header is.
  std::string window;
  for (std::uint64_t base = from + 1; base + kFrameHeaderBytes <= end; base += kWindowBytes) {
    const auto want = static_cast<std::size_t>(
        std::min<std::uint64_t>(kWindowBytes + kFrameHeaderBytes - 1, end - base));
    window.resize(want);
    auto n = pread_full(fd, window.data(), want, static_cast<off_t>(base), name);
    if (!n) return n.error();
    window.resize(*n);
    for (std::size_t i = 0; i < kWindowBytes && i + kFrameHeaderBytes <= window.size(); ++i) {
      const char* header = window.data() + i;
      const std::uint64_t seq = get_le(header + 8, 8);
      if (seq <= expected || seq > max_seq) continue;
      const std::uint64_t at = base + i;
      // Records expected .. seq - 1 lie between `from` and here, a header each at least.
      if (seq - expected > (at - from) / kFrameHeaderBytes) continue;
      const auto length = static_cast<std::size_t>(get_le(header + 4, 4));
      if (length > kMaxPayloadBytes || at + kFrameHeaderBytes + length > end) continue;
      bool intact = false;
      if (i + kFrameHeaderBytes + length <= window.size()) {
        FrameView view;
        intact = decode_frame(std::string_view(window).substr(i, kFrameHeaderBytes + length),
                              view) == FrameStatus::kOk;
      } else {
        auto hit = intact_frame_at(fd, name, at, end, seq, seq);
        if (!hit) return hit.error();
        intact = hit->has_value();
      }
      if (intact) return NextFrame{true, at, seq};
    }
    if (*n < want) break;  // the file is shorter than `end`
  }
  return NextFrame{};
}

std::string describe_bad_frame(std::string_view bytes, bool reaches_end, std::uint64_t expected) {
  if (bytes.size() < kFrameHeaderBytes) {
    return reaches_end ? "partial frame header at the end of the segment" : "partial frame header";
  }
  const auto length = static_cast<std::size_t>(get_le(bytes.data() + 4, 4));
  if (length > kMaxPayloadBytes) {
    return fmt::format("length field {} over the {}-byte limit", length, kMaxPayloadBytes);
  }
  if (bytes.size() < kFrameHeaderBytes + length) {
    return fmt::format("frame of {} bytes runs past the end of the segment",
                       kFrameHeaderBytes + length);
  }
  const auto stored_crc = static_cast<std::uint32_t>(get_le(bytes.data(), 4));
  if (crc32c_extend(0, bytes.data() + 4, kFrameHeaderBytes - 4 + length) != stored_crc) {
    return "CRC mismatch";
  }
  return fmt::format("seq {} where {} was expected", get_le(bytes.data() + 8, 8), expected);
}

}  // namespace bklit::queue::local_log
