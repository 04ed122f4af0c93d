// The consumer side: poll from the in-memory tail or the segment files, durable acks.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "bklit/core/log.hpp"
#include "local_log/ack_file.hpp"
#include "local_log/local_log.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue::local_log {

std::vector<QueueRecord> LocalLog::poll(std::size_t max_records, std::chrono::milliseconds wait) {
  std::vector<QueueRecord> out;
  if (max_records == 0) return out;
  std::lock_guard poll_lock(poll_mu_);
  std::unique_lock lock(tail_mu_);
  // The cap keeps now() + wait from overflowing for "wait forever" values.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::min<std::chrono::milliseconds>(wait, std::chrono::hours(24));
  const auto ready = [this] { return closed_ || consumer_next_ <= durable_last_; };
  for (;;) {
    if (!tail_cv_.wait_until(lock, deadline, ready) || closed_) return out;

    if (consumer_next_ >= tail_first_) {
      const std::size_t n = std::min<std::size_t>(max_records, tail_.size());
      out.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        tail_bytes_ -= frame_bytes(tail_.front().payload.size());
        out.push_back(std::move(tail_.front()));
        tail_.pop_front();
      }
      tail_first_ += n;
      consumer_next_ += n;
      return out;
    }
    // The consumer is behind the in-memory tail (after a restart or a long stall).
    const std::uint64_t from = consumer_next_;
    const std::uint64_t disk_last = tail_first_ - 1;
    const std::uint64_t to = std::min<std::uint64_t>(disk_last, from + max_records - 1);
    lock.unlock();
    const std::uint64_t next = read_from_disk(from, to, disk_last, out);
    lock.lock();
    consumer_next_ = next;
    if (!out.empty()) return out;
    if (next == from) {
      // Nothing could be read (an I/O error, logged): still honour `wait`, so a consumer
      // retrying in a loop does not spin.
      tail_cv_.wait_until(lock, deadline, [this] { return closed_; });
      return out;
    }
    // Only damaged records were there, now set aside: go on to the next ones.
  }
}

std::uint64_t LocalLog::read_from_disk(std::uint64_t from, std::uint64_t to,
                                       std::uint64_t disk_last, std::vector<QueueRecord>& out) {
  {
    std::lock_guard lock(seg_mu_);
    segments_snapshot_.assign(segments_.begin(), segments_.end());
  }
  out.reserve(static_cast<std::size_t>(to - from + 1));
  std::uint64_t seq = from;
  while (seq <= to) {
    auto damage = reader_.read(seq, to, segments_snapshot_, out);
    if (!damage) {
      // The records from here on stay unacked; the next poll tries again.
      if (!read_error_logged_) {
        core::log::error(fmt::format("queue: cannot read record {}: {}; retrying",
                                     out.empty() ? seq : out.back().seq + 1,
                                     damage.error().message));
        read_error_logged_ = true;
      }
      break;
    }
    read_error_logged_ = false;
    if (!damage->has_value()) return to + 1;
    Damage& d = **damage;
    // Records before `seq` were handled before (delivered, or set aside by an earlier poll).
    d.first_seq = std::max(d.first_seq, seq);
    // Records past disk_last may still be intact in memory: only the ones before are lost
    // here, and reading starts afresh after them.
    const bool cut = d.last_seq > disk_last;
    if (cut) d.last_seq = disk_last;
    // Delivery goes on after the damage only once its records are set aside durably; until
    // then they are neither delivered nor skipped.
    if (!set_aside(d)) break;
    if (cut) {
      reader_.forget();
    } else {
      reader_.skip(d);
    }
    seq = d.last_seq + 1;
  }
  // The first record not handled: after what was delivered and the damage set aside.
  return out.empty() ? seq : std::max(seq, out.back().seq + 1);
}

void LocalLog::ack(std::uint32_t shard, std::uint64_t up_to_seq) {
  if (shard != 0) {
    core::log::warn(
        fmt::format("queue: ack for shard {} ignored; the local log has only shard 0", shard));
    return;
  }
  std::lock_guard ack_lock(ack_mu_);
  {
    // Only records poll() handed out can be processed, so acks never pass them.
    std::lock_guard lock(tail_mu_);
    up_to_seq = std::min(up_to_seq, consumer_next_ - 1);
  }
  if (up_to_seq <= acked_seq_) return;
  auto status = write_ack_file(dir_fd_.get(), up_to_seq);
  if (!status) {
    // The records stay unacked on disk and come back after a restart (at-least-once).
    core::log::error(
        fmt::format("queue: cannot persist ack {}: {}", up_to_seq, status.error().message));
    return;
  }
  acked_seq_ = up_to_seq;
  release_backlog(up_to_seq);
  delete_acked_segments(up_to_seq);
}

void LocalLog::release_backlog(std::uint64_t up_to_seq) {
  std::uint64_t released = 0;
  {
    std::lock_guard lock(backlog_mu_);
    while (!backlog_spans_.empty() && backlog_spans_.front().first_seq <= up_to_seq) {
      BacklogSpan& span = backlog_spans_.front();
      if (span.last_seq <= up_to_seq) {
        released += span.bytes;
        backlog_spans_.pop_front();
        continue;
      }
      // Within one group commit the split is proportional to the record count: exact enough
      // for back-pressure, and it keeps no per-record state.
      const std::uint64_t acked = up_to_seq - span.first_seq + 1;
      const std::uint64_t part = span.bytes * acked / (span.last_seq - span.first_seq + 1);
      released += part;
      span.bytes -= part;
      span.first_seq = up_to_seq + 1;
      break;
    }
  }
  backlog_bytes_.fetch_sub(released);
}

void LocalLog::delete_acked_segments(std::uint64_t up_to_seq) {
  std::vector<std::uint64_t> doomed;
  {
    std::lock_guard lock(seg_mu_);
    // The active (last) segment stays: the writer owns it.
    while (segments_.size() > 1 && segments_.front().last_seq <= up_to_seq) {
      doomed.push_back(segments_.front().first_seq);
      segments_.pop_front();
    }
  }
  for (std::uint64_t first_seq : doomed) {
    const std::string name = segment_file_name(first_seq);
    if (::unlinkat(dir_fd_.get(), name.c_str(), 0) != 0) {
      // Harmless beyond disk space: recovery deletes fully acked segments it finds.
      core::log::warn(fmt::format("queue: cannot delete acked segment {}: {}", name,
                                  std::error_code(errno, std::generic_category()).message()));
    }
  }
}

}  // namespace bklit::queue::local_log
