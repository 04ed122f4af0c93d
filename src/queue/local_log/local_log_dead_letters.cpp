// Dead letters of the local log (see dead_letter_file.hpp for the file).
#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bklit/core/clock.hpp"
#include "bklit/core/log.hpp"
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
namespace {

// "2", "2, 3, 4" or, past 16 records, "2-100".
std::string seq_list(std::uint64_t first, std::uint64_t last) {
  if (last - first >= 16) return fmt::format("{}-{}", first, last);
  std::string out = std::to_string(first);
  for (std::uint64_t seq = first + 1; seq <= last; ++seq) out += ", " + std::to_string(seq);
  return out;
}

}  // namespace

std::string damage_reason(const Damage& damage) {
  const std::uint64_t lost = damage.last_seq - damage.first_seq + 1;
  return fmt::format(
      "damaged on disk: {} in segment {} at bytes {}-{}; lost record{} (seq): {}; the payload "
      "is the damaged bytes",
      damage.reason, damage.segment, damage.offset, damage.offset + damage.bytes,
      lost == 1 ? "" : "s", seq_list(damage.first_seq, damage.last_seq));
}

bool LocalLog::set_aside(const Damage& damage) {
  DeadLetter letter;
  letter.time_ms = core::now_ms();
  letter.shard = 0;
  letter.seq = damage.first_seq;
  letter.size = damage.bytes;
  letter.reason = damage_reason(damage);
  letter.payload = damage.sample;
  core::Status status = core::Ok{};
  {
    std::lock_guard lock(dead_mu_);
    status = dead_letter_file_.append({letter});
  }
  if (!status) {
    if (!read_error_logged_) {
      core::log::error(fmt::format(
          "queue: cannot set aside damaged records {}-{} as a dead letter: {}; delivery waits "
          "at record {} and retries",
          damage.first_seq, damage.last_seq, status.error().message, damage.first_seq));
      read_error_logged_ = true;
    }
    return false;
  }
  damaged_records_.fetch_add(damage.last_seq - damage.first_seq + 1);
  core::log::error(fmt::format(
      "queue: {}/{} is damaged at bytes {}-{} ({}): lost records (seq) {} set aside as one dead "
      "letter (seq {}); delivery goes on with record {}; list it with `bklit admin dead-letters`",
      options_.dir, damage.segment, damage.offset, damage.offset + damage.bytes, damage.reason,
      seq_list(damage.first_seq, damage.last_seq), damage.first_seq, damage.last_seq + 1));
  return true;
}

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
