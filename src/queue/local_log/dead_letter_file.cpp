#include "local_log/dead_letter_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <set>
#include <string_view>

#include "bklit/core/log.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {
namespace {

constexpr std::size_t kEntryHeaderBytes = 8 + 4 + 4 + 2;
constexpr std::size_t kMaxReasonBytes = 1000;
constexpr std::size_t kMaxStoredRecordBytes =
    kMaxPayloadBytes - kEntryHeaderBytes - kMaxReasonBytes;
constexpr std::size_t kReadChunk = std::size_t{1} << 20U;

void append_entry(std::string& out, const DeadLetter& letter) {
  const std::string_view reason =
      std::string_view(letter.reason).substr(0, std::min(letter.reason.size(), kMaxReasonBytes));
  const std::string_view record =
      std::string_view(letter.payload)
          .substr(0, std::min(letter.payload.size(), kMaxStoredRecordBytes));
  std::string entry(kEntryHeaderBytes, '\0');
  put_le(entry.data(), static_cast<std::uint64_t>(letter.time_ms), 8);
  put_le(entry.data() + 8, letter.shard, 4);
  put_le(entry.data() + 12, std::min<std::uint64_t>(letter.size, UINT32_MAX), 4);
  put_le(entry.data() + 16, reason.size(), 2);
  entry.append(reason);
  entry.append(record);
  append_frame(out, letter.seq, entry);
}

bool parse_entry(const FrameView& frame, DeadLetter& out) {
  const std::string_view entry = frame.payload;
  if (entry.size() < kEntryHeaderBytes) return false;
  const auto reason_bytes = static_cast<std::size_t>(get_le(entry.data() + 16, 2));
  if (entry.size() < kEntryHeaderBytes + reason_bytes) return false;
  out.seq = frame.seq;
  out.time_ms = static_cast<std::int64_t>(get_le(entry.data(), 8));
  out.shard = static_cast<std::uint32_t>(get_le(entry.data() + 8, 4));
  out.size = get_le(entry.data() + 12, 4);
  out.reason.assign(entry.substr(kEntryHeaderBytes, reason_bytes));
  out.payload.assign(entry.substr(kEntryHeaderBytes + reason_bytes));
  return true;
}

// Calls on_entry for every intact frame from the start; returns the offset after the last.
template <typename OnEntry>
core::Result<off_t> scan(int fd, OnEntry&& on_entry) {
  std::string buf;
  off_t file_offset = 0;  // where buf starts in the file
  std::size_t used = 0;   // bytes of buf already decoded
  bool eof = false;
  while (true) {
    FrameView frame;
    const FrameStatus status = decode_frame(std::string_view(buf).substr(used), frame);
    if (status == FrameStatus::kOk) {
      DeadLetter letter;
      if (!parse_entry(frame, letter)) break;
      on_entry(std::move(letter));
      used += frame.size;
      continue;
    }
    if (status == FrameStatus::kInvalid || eof) break;
    // Incomplete: read more.
    buf.erase(0, used);
    file_offset += static_cast<off_t>(used);
    used = 0;
    const std::size_t have = buf.size();
    buf.resize(have + kReadChunk);
    auto n = pread_full(fd, buf.data() + have, kReadChunk, file_offset + static_cast<off_t>(have),
                        kDeadLetterFileName);
    if (!n) return n.error();
    buf.resize(have + *n);
    eof = *n < kReadChunk;
  }
  return file_offset + static_cast<off_t>(used);
}

}  // namespace

core::Status DeadLetterFile::open_for_append() {
  bool created = false;
  int fd = ::openat(dir_fd_, kDeadLetterFileName, O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::openat(dir_fd_, kDeadLetterFileName, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    created = true;
  }
  if (fd < 0) return io_error("open", kDeadLetterFileName, errno);
  UniqueFd owned(fd);
  if (created && ::fsync(dir_fd_) != 0) return io_error("fsync", "queue directory", errno);
  auto end = scan(owned.get(), [](DeadLetter&&) {});
  if (!end) return end.error();
  auto size = file_size(owned.get(), kDeadLetterFileName);
  if (!size) return size.error();
  if (*size > *end) {
    core::log::warn(fmt::format("queue: {}: dropping {} bytes of a write a crash interrupted",
                                kDeadLetterFileName, *size - *end));
    if (::ftruncate(owned.get(), *end) != 0) {
      return io_error("ftruncate", kDeadLetterFileName, errno);
    }
  }
  end_ = *end;
  fd_ = std::move(owned);
  return core::Ok{};
}

core::Status DeadLetterFile::append(const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return core::Ok{};
  if (!fd_.valid()) {
    auto opened = open_for_append();
    if (!opened) return opened;
  }
  std::string buf;
  for (const DeadLetter& letter : letters) append_entry(buf, letter);
  auto st = pwrite_all(fd_.get(), buf, end_, kDeadLetterFileName);
  if (st) st = sync_data(fd_.get(), kDeadLetterFileName);
  if (!st) {
    // Reopened (and its tail checked) on the next attempt.
    fd_.reset();
    return st;
  }
  end_ += static_cast<off_t>(buf.size());
  return core::Ok{};
}

core::Result<std::vector<DeadLetter>> read_dead_letter_file(int dir_fd, std::size_t limit) {
  std::vector<DeadLetter> out;
  UniqueFd fd(::openat(dir_fd, kDeadLetterFileName, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return out;
    return io_error("open", kDeadLetterFileName, errno);
  }
  std::set<std::pair<std::uint32_t, std::uint64_t>> seen;
  std::deque<DeadLetter> newest;
  auto end = scan(fd.get(), [&](DeadLetter&& letter) {
    if (!seen.emplace(letter.shard, letter.seq).second) return;
    newest.push_back(std::move(letter));
    if (newest.size() > limit) newest.pop_front();
  });
  if (!end) return end.error();
  out.assign(std::make_move_iterator(newest.begin()), std::make_move_iterator(newest.end()));
  return out;
}

}  // namespace bklit::queue::local_log
