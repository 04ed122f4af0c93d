#pragma once
// Thin POSIX helpers for the local log: an owning fd and I/O calls that report errno in a
// core::Status.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "bklit/core/result.hpp"

namespace bklit::queue::local_log {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// "queue_io" error naming the failed call, the file and strerror(errno).
core::Error io_error(std::string_view what, std::string_view path, int err);

// Writes all of `data` at `offset`, retrying short writes and EINTR.
core::Status pwrite_all(int fd, std::string_view data, off_t offset, std::string_view path);

// Reads up to `n` bytes at `offset`; fewer only at end of file.
core::Result<std::size_t> pread_full(int fd, char* out, std::size_t n, off_t offset,
                                     std::string_view path);

core::Status sync_data(int fd, std::string_view path);

core::Result<off_t> file_size(int fd, std::string_view path);

// Little-endian fixed-width integers of the on-disk formats (records and the ack file).
inline void put_le(char* out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFFU);
}

inline std::uint64_t get_le(const char* in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return v;
}

}  // namespace bklit::queue::local_log
