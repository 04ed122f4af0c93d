#include "local_log/ack_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string_view>

#include "local_log/crc32c.hpp"
#include "local_log/file_util.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr const char* kAckName = "ack";
constexpr const char* kAckTempName = "ack.tmp";
constexpr std::uint32_t kAckMagic = 0x4B434142U;  // "BACK" little-endian
constexpr std::size_t kAckBytes = 16;

using AckBytes = std::array<char, kAckBytes>;

}  // namespace

core::Result<std::uint64_t> read_ack_file(int dir_fd) {
  UniqueFd fd(::openat(dir_fd, kAckName, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::uint64_t{0};
    return io_error("open", kAckName, errno);
  }
  AckBytes bytes{};
  auto n = pread_full(fd.get(), bytes.data(), bytes.size(), 0, kAckName);
  if (!n) return n.error();
  const std::uint64_t seq = get_le(bytes.data(), 8);
  if (*n != kAckBytes || get_le(bytes.data() + 12, 4) != kAckMagic ||
      get_le(bytes.data() + 8, 4) != crc32c_extend(0, bytes.data(), 8)) {
    return core::make_error("queue_corrupt",
                            "the queue's ack file is damaged (bad size or checksum); restore it "
                            "from a backup or rewrite it with the last processed seq",
                            500);
  }
  return seq;
}

core::Status write_ack_file(int dir_fd, std::uint64_t acked_seq) {
  AckBytes bytes{};
  put_le(bytes.data(), acked_seq, 8);
  put_le(bytes.data() + 8, crc32c_extend(0, bytes.data(), 8), 4);
  put_le(bytes.data() + 12, kAckMagic, 4);
  {
    UniqueFd fd(::openat(dir_fd, kAckTempName, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return io_error("open", kAckTempName, errno);
    auto st = pwrite_all(fd.get(), std::string_view(bytes.data(), bytes.size()), 0, kAckTempName);
    if (!st) return st;
    st = sync_data(fd.get(), kAckTempName);
    if (!st) return st;
  }
  if (::renameat(dir_fd, kAckTempName, dir_fd, kAckName) != 0) {
    return io_error("rename", kAckTempName, errno);
  }
  if (::fsync(dir_fd) != 0) return io_error("fsync", "queue directory", errno);
  return core::Ok{};
}

}  // namespace bklit::queue::local_log
