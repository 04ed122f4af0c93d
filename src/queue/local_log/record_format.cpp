#include "local_log/record_format.hpp"

#include <fmt/format.h>

#include <charconv>

#include "local_log/crc32c.hpp"
#include "local_log/file_util.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kSeqDigits = 20;
constexpr std::string_view kSegmentSuffix = ".log";

}  // namespace

void append_frame(std::string& out, std::uint64_t seq, std::string_view payload) {
  const std::size_t start = out.size();
  out.resize(start + kFrameHeaderBytes);
  char* header = out.data() + start;
  put_le(header + 4, payload.size(), 4);
  put_le(header + 8, seq, 8);
  out.append(payload);
  header = out.data() + start;  // append may have moved the buffer
  std::uint32_t crc = crc32c_extend(0, header + 4, kFrameHeaderBytes - 4);
  crc = crc32c_extend(crc, payload.data(), payload.size());
  put_le(header, crc, 4);
}

FrameStatus decode_frame(std::string_view bytes, FrameView& out) {
  if (bytes.size() < kFrameHeaderBytes) return FrameStatus::kIncomplete;
  const auto length = static_cast<std::size_t>(get_le(bytes.data() + 4, 4));
  if (length > kMaxPayloadBytes) return FrameStatus::kInvalid;
  if (bytes.size() < kFrameHeaderBytes + length) return FrameStatus::kIncomplete;
  const auto stored_crc = static_cast<std::uint32_t>(get_le(bytes.data(), 4));
  if (crc32c_extend(0, bytes.data() + 4, kFrameHeaderBytes - 4 + length) != stored_crc) {
    return FrameStatus::kInvalid;
  }
  out.seq = get_le(bytes.data() + 8, 8);
  out.payload = bytes.substr(kFrameHeaderBytes, length);
  out.size = kFrameHeaderBytes + length;
  return FrameStatus::kOk;
}

std::string segment_file_name(std::uint64_t first_seq) {
  return fmt::format("{:020}{}", first_seq, kSegmentSuffix);
}

bool parse_segment_file_name(std::string_view name, std::uint64_t& first_seq) {
  if (name.size() != kSeqDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return false;
  }
  const char* end = name.data() + kSeqDigits;
  auto [ptr, ec] = std::from_chars(name.data(), end, first_seq);
  return ec == std::errc() && ptr == end;
}

}  // namespace bklit::queue::local_log
