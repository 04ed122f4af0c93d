// The writer thread: group commit of pending appends into the active segment.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "bklit/core/log.hpp"
#include "local_log/local_log.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {

void LocalLog::writer_loop() {
  std::vector<PendingAppend> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    writer_cv_.wait(lock, [this] { return !pending_.empty() || stopping_; });
    if (pending_.empty()) break;  // stopping, and everything appended so far is done
    if (pending_records_ > 0 && !stopping_) {
      writer_cv_.wait_until(lock, pending_since_ + options_.group_commit_window,
                            [this] { return stopping_ || pending_bytes_ >= kBatchBytes; });
    }
    batch.swap(pending_);
    pending_bytes_ = 0;
    pending_records_ = 0;
    lock.unlock();
    write_batch(batch);
    batch.clear();
    lock.lock();
  }
  writer_exited_ = true;
}

void LocalLog::write_batch(std::vector<PendingAppend>& batch) {
  const std::uint64_t first_seq = next_seq_;
  std::uint64_t seq = first_seq;
  std::uint64_t reserved = 0;
  batch_synced_bytes_ = 0;
  write_buf_.clear();
  core::Status status = core::Ok{};
  if (failed_.load()) status = core::make_error("queue_io", "the queue is disabled", 500);

  for (PendingAppend& entry : batch) {
    if (entry.verdict != AppendStatus::kDurable) continue;
    reserved += entry.bytes;
    if (!status) continue;
    for (const std::string& payload : entry.payloads) {
      const std::uint64_t in_file = active_bytes_ + write_buf_.size();
      if (in_file > 0 && in_file + frame_bytes(payload.size()) > options_.segment_bytes) {
        // A batch never straddles segments unsynced: the older one is complete on disk
        // before the next exists, which is what lets recovery treat older segments strictly.
        if (!write_buf_.empty()) status = sync_buffer(seq - 1);
        if (status) status = rotate(seq);
        if (!status) break;
      }
      append_frame(write_buf_, seq++, payload);
    }
    if (!status) continue;
    entry.written = true;
    entry.last_seq = seq - 1;
  }
  if (status && !write_buf_.empty()) status = sync_buffer(seq - 1);
  if (!status) {
    core::log::error(fmt::format("queue: append failed: {}", status.error().message));
    write_buf_.clear();
  }

  const std::uint64_t synced_last = next_seq_ - 1;
  backlog_bytes_.fetch_sub(reserved - batch_synced_bytes_);
  if (synced_last >= first_seq) publish(batch, first_seq, synced_last);
  for (PendingAppend& entry : batch) {
    AppendStatus result = entry.verdict;
    if (result == AppendStatus::kDurable && (!entry.written || entry.last_seq > synced_last)) {
      result = AppendStatus::kFailed;
    }
    entry.done(result);
  }
}

core::Status LocalLog::sync_buffer(std::uint64_t last_seq) {
  auto status =
      pwrite_all(active_fd_.get(), write_buf_, static_cast<off_t>(active_bytes_), active_name_);
  if (!status) {
    // Cut off the partial write so the next batch starts on a frame boundary (e.g. after
    // ENOSPC clears).
    if (::ftruncate(active_fd_.get(), static_cast<off_t>(active_bytes_)) != 0) {
      failed_.store(true);
      core::log::error(
          fmt::format("queue: cannot truncate {} after a failed write: {}; the "
                      "queue stops accepting until restarted",
                      active_name_, io_error("", "", errno).message));
    }
    return status;
  }
  if (options_.fsync) {
    status = sync_data(active_fd_.get(), active_name_);
    if (!status) {
      // After a failed fdatasync the kernel may have dropped the dirty pages, so no later
      // sync of this file could be trusted; only a restart (and recovery scan) can.
      failed_.store(true);
      core::log::error(fmt::format("queue: {}; the queue stops accepting until restarted",
                                   status.error().message));
      return status;
    }
  }
  const std::uint64_t first_seq = next_seq_;
  active_bytes_ += write_buf_.size();
  batch_synced_bytes_ += write_buf_.size();
  {
    std::lock_guard lock(backlog_mu_);
    backlog_spans_.push_back(BacklogSpan{first_seq, last_seq, write_buf_.size()});
  }
  {
    std::lock_guard lock(seg_mu_);
    segments_.back().last_seq = last_seq;
    segments_.back().bytes = active_bytes_;
  }
  next_seq_ = last_seq + 1;
  write_buf_.clear();
  return core::Ok{};
}

core::Status LocalLog::rotate(std::uint64_t first_seq) {
  auto fd = create_segment(dir_fd_.get(), first_seq);
  if (!fd) {
    // A stale empty file named first_seq would contradict the records that the current
    // segment may still receive, and recovery would then refuse the log.
    const std::string name = segment_file_name(first_seq);
    if (::unlinkat(dir_fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT) {
      failed_.store(true);
      core::log::error(
          fmt::format("queue: cannot remove half-created segment {}; the queue "
                      "stops accepting until restarted",
                      name));
    }
    return fd.error();
  }
  active_fd_ = std::move(*fd);
  active_name_ = segment_file_name(first_seq);
  active_bytes_ = 0;
  std::lock_guard lock(seg_mu_);
  segments_.push_back(SegmentInfo{first_seq, first_seq - 1, 0});
  return core::Ok{};
}

void LocalLog::publish(std::vector<PendingAppend>& batch, std::uint64_t first_seq,
                       std::uint64_t last_seq) {
  std::lock_guard lock(tail_mu_);
  std::uint64_t seq = first_seq;
  for (PendingAppend& entry : batch) {
    if (entry.verdict != AppendStatus::kDurable) continue;
    for (std::string& payload : entry.payloads) {
      if (seq > last_seq) break;
      tail_bytes_ += frame_bytes(payload.size());
      tail_.push_back(QueueRecord{0, seq++, std::move(payload)});
    }
  }
  // Dropping the oldest records is safe: they are on disk and poll reads them from there.
  while (!tail_.empty() && tail_bytes_ > options_.max_memory_tail_bytes) {
    tail_bytes_ -= frame_bytes(tail_.front().payload.size());
    tail_.pop_front();
    ++tail_first_;
  }
  durable_last_ = last_seq;
  if (tail_.empty()) tail_first_ = last_seq + 1;
  tail_cv_.notify_all();
}

}  // namespace bklit::queue::local_log
