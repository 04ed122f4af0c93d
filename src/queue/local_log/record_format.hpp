#pragma once
// On-disk frame of one record in a segment file (all integers little-endian):
//
//   offset 0  u32 crc     CRC-32C of bytes [4, 16 + length)
//   offset 4  u32 length  payload bytes
//   offset 8  u64 seq
//   offset 16 payload
//
// Frames follow each other with no padding. A segment's file name is its first seq (20
// decimal digits) + ".log", and seqs inside it are consecutive, so a frame whose seq is not
// the expected one (e.g. a zero-filled header) is as invalid as one with a bad CRC.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bklit::queue::local_log {

inline constexpr std::size_t kFrameHeaderBytes = 16;
// Bounds what a damaged length field can make the reader allocate.
inline constexpr std::size_t kMaxPayloadBytes = 16U << 20U;

inline constexpr std::size_t frame_bytes(std::size_t payload_bytes) {
  return kFrameHeaderBytes + payload_bytes;
}

void append_frame(std::string& out, std::uint64_t seq, std::string_view payload);

enum class FrameStatus {
  kOk,
  kIncomplete,  // fewer bytes than the header or its length announce
  kInvalid,     // length over kMaxPayloadBytes or CRC mismatch
};

struct FrameView {
  std::uint64_t seq = 0;
  std::string_view payload;  // points into the decoded buffer
  std::size_t size = 0;      // header + payload
};

// Decodes the frame at the start of `bytes`; does not check the seq (the caller knows which
// one it expects).
FrameStatus decode_frame(std::string_view bytes, FrameView& out);

// "00000000000000000042.log"; parse returns false for any other name.
std::string segment_file_name(std::uint64_t first_seq);
bool parse_segment_file_name(std::string_view name, std::uint64_t& first_seq);

}  // namespace bklit::queue::local_log
