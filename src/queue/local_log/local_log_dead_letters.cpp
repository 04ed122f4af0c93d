// Dead letters of the local log (see dead_letter_file.hpp for the file).
#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bklit/core/clock.hpp"
#include "local_log/dead_letter_file.hpp"
#include "local_log/local_log.hpp"

namespace bklit::queue {

core::Result<std::vector<DeadLetter>> read_local_log_dead_letters(const std::string& dir,
                                                                  std::size_t limit) {
  local_log::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) {
    return core::make_error(
        "queue_dir",
        fmt::format("cannot open the queue directory {}: {}", dir, std::strerror(errno)), 500);
  }
  return local_log::read_dead_letter_file(dir_fd.get(), limit);
}

}  // namespace bklit::queue

namespace bklit::queue::local_log {

void LocalLog::dead_letter(std::vector<DeadLetter> letters) {
  const std::int64_t now = core::now_ms();
  for (DeadLetter& letter : letters) {
    letter.time_ms = now;
    letter.size = letter.payload.size();
  }
  std::lock_guard lock(dead_mu_);
  auto status = dead_letter_file_.append(letters);
  if (!status)
    throw std::runtime_error("queue: cannot store dead letters: " + status.error().message);
}

std::vector<DeadLetter> LocalLog::dead_letters(std::size_t limit) const {
  auto letters = read_dead_letter_file(dir_fd_.get(), limit);
  if (!letters)
    throw std::runtime_error("queue: cannot read dead letters: " + letters.error().message);
  return std::move(*letters);
}

}  // namespace bklit::queue::local_log
