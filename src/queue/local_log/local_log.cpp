#include "local_log/local_log.hpp"

#include <fmt/format.h>

#include <utility>

#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"
#include "local_log/record_format.hpp"

namespace bklit::queue {

core::Result<std::unique_ptr<EventQueue>> open_local_log(const LocalLogOptions& options) {
  auto recovered = local_log::recover_log(options);
  if (!recovered) return recovered.error();
  return std::unique_ptr<EventQueue>(
      std::make_unique<local_log::LocalLog>(options, std::move(*recovered)));
}

}  // namespace bklit::queue

namespace bklit::queue::local_log {

LocalLog::LocalLog(LocalLogOptions options, RecoveredLog recovered)
    : options_(std::move(options)),
      dir_fd_(std::move(recovered.dir_fd)),
      lock_fd_(std::move(recovered.lock_fd)),
      active_fd_(std::move(recovered.active_fd)),
      active_name_(segment_file_name(recovered.segments.back().first_seq)),
      active_bytes_(recovered.active_bytes),
      next_seq_(recovered.next_seq),
      segments_(std::move(recovered.segments)),
      backlog_spans_(std::move(recovered.backlog_spans)),
      reader_(dir_fd_.get()),
      tail_first_(recovered.next_seq),
      durable_last_(recovered.next_seq - 1),
      consumer_next_(recovered.acked_seq + 1),
      acked_seq_(recovered.acked_seq),
      dead_letter_file_(dir_fd_.get()) {
  backlog_bytes_.store(recovered.backlog_bytes);
  writer_ = std::thread([this] {
    core::name_this_thread("bklit-log-wr");
    writer_loop();
  });
}

LocalLog::~LocalLog() { close(); }

void LocalLog::append(std::vector<std::string> payloads, AppendCallback done) {
  std::uint64_t bytes = 0;
  bool too_large = false;
  for (const std::string& payload : payloads) {
    bytes += frame_bytes(payload.size());
    too_large = too_large || payload.size() > kMaxPayloadBytes;
  }
  if (too_large) {
    core::log::warn(fmt::format("queue: refusing a record over {} bytes", kMaxPayloadBytes));
  }

  std::unique_lock lock(mu_);
  if (writer_exited_) {
    // Every earlier callback has run, so answering here keeps the per-thread order.
    lock.unlock();
    done(AppendStatus::kFailed);
    return;
  }
  AppendStatus verdict = AppendStatus::kDurable;
  if (stopping_ || failed_.load() || too_large) {
    verdict = AppendStatus::kFailed;
  } else if (pending_bytes_ + bytes > options_.max_pending_bytes ||
             backlog_bytes_.load() + bytes > options_.max_backlog_bytes) {
    verdict = AppendStatus::kOverloaded;
  }
  const bool writer_idle = pending_.empty();
  bool batch_full = false;
  // Rejections go through the writer too, so they reach the caller after the callbacks of
  // its earlier appends.
  if (verdict == AppendStatus::kDurable) {
    backlog_bytes_.fetch_add(bytes);
    if (pending_records_ == 0) pending_since_ = std::chrono::steady_clock::now();
    pending_records_ += payloads.size();
    const bool was_below = pending_bytes_ < kBatchBytes;
    pending_bytes_ += bytes;
    batch_full = was_below && pending_bytes_ >= kBatchBytes;
    pending_.push_back(PendingAppend{std::move(payloads), std::move(done), bytes, verdict});
  } else {
    pending_.push_back(PendingAppend{{}, std::move(done), 0, verdict});
  }
  lock.unlock();
  if (writer_idle || batch_full) writer_cv_.notify_one();
}

std::uint64_t LocalLog::backlog_bytes() const { return backlog_bytes_.load(); }

bool LocalLog::healthy() const {
  return accepting_.load() && !failed_.load() && backlog_bytes_.load() < options_.max_backlog_bytes;
}

void LocalLog::close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    accepting_.store(false);
  }
  writer_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(tail_mu_);
    closed_ = true;
  }
  tail_cv_.notify_all();
}

}  // namespace bklit::queue::local_log
