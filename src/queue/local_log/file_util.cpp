#include "local_log/file_util.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bklit::queue::local_log {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(std::exchange(other.fd_, -1));
  return *this;
}

void UniqueFd::reset(int fd) {
  // close() errors are not actionable here: every durable write was already fdatasync'ed.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

core::Error io_error(std::string_view what, std::string_view path, int err) {
  return core::make_error("queue_io", fmt::format("{} {}: {}", what, path, std::strerror(err)),
                          500);
}

core::Status pwrite_all(int fd, std::string_view data, off_t offset, std::string_view path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    offset += n;
  }
  return core::Ok{};
}

core::Result<std::size_t> pread_full(int fd, char* out, std::size_t n, off_t offset,
                                     std::string_view path) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, offset + static_cast<off_t>(done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_error("read", path, errno);
    }
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

core::Status sync_data(int fd, std::string_view path) {
  if (::fdatasync(fd) != 0) return io_error("fdatasync", path, errno);
  return core::Ok{};
}

core::Result<off_t> file_size(int fd, std::string_view path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_error("fstat", path, errno);
  return st.st_size;
}

}  // namespace bklit::queue::local_log
