#pragma once
// CRC-32C (Castagnoli), the checksum of every queue record and of the ack file.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bklit::queue::local_log {

// Continues `crc` (the value returned for the bytes before) over `n` more bytes.
// crc32c_extend(0, ...) starts a new checksum. Uses SSE4.2 when the CPU has it.
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t n);

inline std::uint32_t crc32c(std::string_view bytes) {
  return crc32c_extend(0, bytes.data(), bytes.size());
}

// The two implementations behind crc32c_extend, exposed so tests can compare them.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t n);
bool crc32c_hardware_available();
std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data, std::size_t n);

}  // namespace bklit::queue::local_log
