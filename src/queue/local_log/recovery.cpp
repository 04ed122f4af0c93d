#include "local_log/recovery.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "bklit/core/log.hpp"
#include "local_log/ack_file.hpp"
#include "local_log/record_format.hpp"
#include "local_log/segment_scan.hpp"

namespace bklit::queue::local_log {
namespace {

namespace fs = std::filesystem;

core::Error corrupt(std::string message) {
  core::log::error(fmt::format("queue: {}", message));
  return core::make_error("queue_corrupt", std::move(message), 500);
}

core::Status open_and_lock(const std::string& dir, RecoveredLog& log) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return core::make_error(
        "queue_dir",
        fmt::format("cannot create the queue directory {}: {}", dir,
                    ec ? ec.message() : std::string("a file with that name exists")),
        500);
  }
  log.dir_fd.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!log.dir_fd.valid()) {
    return core::make_error("queue_dir",
                            fmt::format("cannot open the queue directory {}: {}", dir,
                                        std::error_code(errno, std::generic_category()).message()),
                            500);
  }
  log.lock_fd.reset(::openat(log.dir_fd.get(), "LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!log.lock_fd.valid()) return io_error("open", dir + "/LOCK", errno);
  if (::flock(log.lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return core::make_error(
          "queue_locked",
          fmt::format("the queue directory {} is already in use by another bklit process", dir),
          500);
    }
    return io_error("flock", dir + "/LOCK", errno);
  }
  return core::Ok{};
}

core::Result<std::vector<std::uint64_t>> list_segments(const std::string& dir) {
  std::vector<std::uint64_t> firsts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::uint64_t first = 0;
    if (parse_segment_file_name(entry.path().filename().string(), first)) firsts.push_back(first);
  }
  if (ec) return io_error("list", dir, ec.value());
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

void remove_segment(int dir_fd, std::uint64_t first_seq) {
  const std::string name = segment_file_name(first_seq);
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    // A leftover acked segment only costs disk space; the next ack retries.
    core::log::warn(fmt::format("queue: cannot delete acked segment {}: {}", name,
                                std::error_code(errno, std::generic_category()).message()));
  }
}

core::Status truncate_torn_tail(int dir_fd, const std::string& dir, const SegmentScan& scan) {
  const std::string name = segment_file_name(scan.first_seq);
  core::log::warn(fmt::format(
      "queue: segment {}/{} ends in a torn write ({} at byte {}); truncating {} bytes", dir, name,
      scan.tail_reason, scan.valid_bytes, scan.file_bytes - scan.valid_bytes));
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("open", name, errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(scan.valid_bytes)) != 0) {
    return io_error("truncate", name, errno);
  }
  return sync_data(fd.get(), name);
}

// One line per damaged stretch: the records in it are set aside as a dead letter when the
// consumer reaches them (LocalLog::read_from_disk), those already acked are gone anyway.
void log_damage(const std::string& dir, const SegmentScan& scan, std::uint64_t acked_seq) {
  const std::string name = segment_file_name(scan.first_seq);
  for (const DamagedStretch& d : scan.damaged) {
    const std::string seqs = d.first_seq == d.last_seq
                                 ? fmt::format("record {}", d.first_seq)
                                 : fmt::format("records {}-{}", d.first_seq, d.last_seq);
    std::string records;
    if (d.last_seq < d.first_seq) {
      records = "no record is lost";
    } else if (d.last_seq <= acked_seq) {
      records = seqs + " had been processed already";
    } else {
      records = seqs + " (lost) become a dead letter when the consumer reaches them";
    }
    core::log::error(fmt::format(
        "queue: segment {}/{} is damaged at bytes {}-{} ({}): the disk damaged synced data; {}; "
        "the records after it are delivered",
        dir, name, d.offset, d.offset + d.bytes, d.reason, records));
  }
}

}  // namespace

core::Result<UniqueFd> create_segment(int dir_fd, std::uint64_t first_seq) {
  const std::string name = segment_file_name(first_seq);
  // O_TRUNC: a file with this name can only be left over from a rotation that failed before
  // any record in it was synced.
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return io_error("create", name, errno);
  if (::fsync(dir_fd) != 0) return io_error("fsync", "queue directory", errno);
  return fd;
}

core::Result<RecoveredLog> recover_log(const LocalLogOptions& options) {
  if (options.dir.empty() || options.segment_bytes == 0) {
    return core::make_error("invalid_options",
                            "the local log needs a directory and a nonzero segment size", 500);
  }
  RecoveredLog log;
  auto st = open_and_lock(options.dir, log);
  if (!st) return st.error();
  const int dir_fd = log.dir_fd.get();

  auto acked = read_ack_file(dir_fd);
  if (!acked) return corrupt(fmt::format("{} ({})", acked.error().message, options.dir));
  log.acked_seq = *acked;
  ::unlinkat(dir_fd, "ack.tmp", 0);  // an interrupted ack; the rename never happened

  auto listed = list_segments(options.dir);
  if (!listed) return listed.error();
  std::vector<std::uint64_t> firsts = std::move(*listed);

  // Segments whose successor starts at or before acked + 1 hold only acked records; they
  // are left over when a deletion did not reach the disk before a crash.
  std::size_t keep_from = 0;
  while (keep_from + 1 < firsts.size() && firsts[keep_from + 1] <= log.acked_seq + 1) {
    remove_segment(dir_fd, firsts[keep_from]);
    ++keep_from;
  }
  firsts.erase(firsts.begin(), firsts.begin() + static_cast<std::ptrdiff_t>(keep_from));
  if (!firsts.empty() && firsts.front() > log.acked_seq + 1) {
    return corrupt(fmt::format("records {} to {} are missing from {} (acked up to {})",
                               log.acked_seq + 1, firsts.front() - 1, options.dir, log.acked_seq));
  }

  for (std::size_t i = 0; i < firsts.size(); ++i) {
    const bool last = i + 1 == firsts.size();
    auto scan = scan_segment(dir_fd, firsts[i], log.acked_seq, last ? 0 : firsts[i + 1]);
    if (!scan) return scan.error();
    const std::string name = segment_file_name(firsts[i]);
    log_damage(options.dir, *scan, log.acked_seq);
    if (!last && scan->torn()) {
      return corrupt(
          fmt::format("segment {}/{} shrank while it was read at open", options.dir, name));
    }
    if (!last && scan->next_seq != firsts[i + 1]) {
      return corrupt(
          fmt::format("segment {}/{} ends before record {} but the next segment starts "
                      "at {}",
                      options.dir, name, scan->next_seq, firsts[i + 1]));
    }
    if (last && scan->torn()) {
      st = truncate_torn_tail(dir_fd, options.dir, *scan);
      if (!st) return st.error();
    }
    log.segments.push_back(SegmentInfo{scan->first_seq, scan->next_seq - 1, scan->valid_bytes});
    if (scan->unacked_bytes > 0) {
      log.backlog_spans.push_back(BacklogSpan{std::max(scan->first_seq, log.acked_seq + 1),
                                              scan->next_seq - 1, scan->unacked_bytes});
      log.backlog_bytes += scan->unacked_bytes;
    }
  }

  if (!log.segments.empty() && log.segments.back().last_seq >= log.acked_seq) {
    const SegmentInfo& active = log.segments.back();
    const std::string name = segment_file_name(active.first_seq);
    log.active_fd.reset(::openat(dir_fd, name.c_str(), O_WRONLY | O_CLOEXEC));
    if (!log.active_fd.valid()) return io_error("open", name, errno);
    log.active_bytes = active.bytes;
    log.next_seq = active.last_seq + 1;
    return log;
  }

  // No segment yet, or (after disk damage) the log ends before the ack position: continue
  // right after the ack so seqs stay strictly increasing.
  if (!log.segments.empty()) {
    core::log::error(
        fmt::format("queue: the log in {} ends at record {} but records up to {} "
                    "were acked; continuing after the ack",
                    options.dir, log.segments.back().last_seq, log.acked_seq));
    for (const SegmentInfo& segment : log.segments) remove_segment(dir_fd, segment.first_seq);
    log.segments.clear();
  }
  log.next_seq = log.acked_seq + 1;
  auto fd = create_segment(dir_fd, log.next_seq);
  if (!fd) return fd.error();
  log.active_fd = std::move(*fd);
  log.segments.push_back(SegmentInfo{log.next_seq, log.next_seq - 1, 0});
  return log;
}

}  // namespace bklit::queue::local_log
