#pragma once
// LocalLog: the EventQueue over segment files (see bklit/queue/local_log.hpp for the
// durability and recovery contract).
//
// Threads and locks, never nested except poll_mu_ -> tail_mu_ and poll_mu_ -> seg_mu_:
// - mu_: the pending appends, handed to the single writer thread in batches.
// - the writer thread alone owns the active segment fd and the write buffer.
// - seg_mu_: the list of segments (writer appends, ack deletes, poll snapshots).
// - tail_mu_: recently synced records kept in memory and the consumer position.
// - poll_mu_: serializes poll() and owns the disk reader.
// - ack_mu_: the durable ack position and the ack file.
// - backlog_mu_: the spans that tell ack how many bytes it releases.
// - dead_mu_: the dead-letter file.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bklit/queue/event_queue.hpp"
#include "bklit/queue/local_log.hpp"
#include "local_log/dead_letter_file.hpp"
#include "local_log/recovery.hpp"
#include "local_log/segment_reader.hpp"

namespace bklit::queue::local_log {

// The reason stored with the dead letter of a damaged stretch: what failed, where, and the
// seqs of the records lost with it.
std::string damage_reason(const Damage& damage);

class LocalLog final : public EventQueue {
 public:
  LocalLog(LocalLogOptions options, RecoveredLog recovered);
  LocalLog(const LocalLog&) = delete;
  LocalLog& operator=(const LocalLog&) = delete;
  ~LocalLog() override;

  void append(std::vector<std::string> payloads, AppendCallback done) override;
  std::vector<QueueRecord> poll(std::size_t max_records, std::chrono::milliseconds wait) override;
  void ack(std::uint32_t shard, std::uint64_t up_to_seq) override;
  void dead_letter(std::vector<DeadLetter> letters) override;
  std::vector<DeadLetter> dead_letters(std::size_t limit) const override;
  std::uint64_t damaged_records() const override { return damaged_records_.load(); }
  std::uint64_t backlog_bytes() const override;
  bool healthy() const override;
  void close() override;

 private:
  // Pending bytes at which the writer stops waiting for the group commit window.
  static constexpr std::size_t kBatchBytes = std::size_t{1} << 20U;

  struct PendingAppend {
    std::vector<std::string> payloads;
    AppendCallback done;
    std::uint64_t bytes = 0;                        // frame bytes reserved in the backlog
    AppendStatus verdict = AppendStatus::kDurable;  // anything else: rejected by append()
    bool written = false;                           // all frames are in the write buffer
    std::uint64_t last_seq = 0;
  };

  void writer_loop();
  void write_batch(std::vector<PendingAppend>& batch);
  core::Status sync_buffer(std::uint64_t last_seq);
  core::Status rotate(std::uint64_t first_seq);
  void publish(std::vector<PendingAppend>& batch, std::uint64_t first_seq, std::uint64_t last_seq);
  void release_backlog(std::uint64_t up_to_seq);
  void delete_acked_segments(std::uint64_t up_to_seq);
  // Appends the records in [from, to] that are intact and returns the seq after the last one
  // it handled (delivered, or lost to damage and set aside as a dead letter). Records after
  // disk_last (the in-memory tail) are never declared lost.
  std::uint64_t read_from_disk(std::uint64_t from, std::uint64_t to, std::uint64_t disk_last,
                               std::vector<QueueRecord>& out);
  // Stores the damaged records as one dead letter; false (logged) when that failed.
  bool set_aside(const Damage& damage);

  const LocalLogOptions options_;
  UniqueFd dir_fd_;
  UniqueFd lock_fd_;

  std::mutex mu_;
  std::condition_variable writer_cv_;
  std::vector<PendingAppend> pending_;
  std::size_t pending_bytes_ = 0;
  std::size_t pending_records_ = 0;
  std::chrono::steady_clock::time_point pending_since_;
  bool stopping_ = false;
  bool writer_exited_ = false;
  std::atomic<bool> accepting_{true};
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> backlog_bytes_{0};

  UniqueFd active_fd_;
  std::string active_name_;
  std::uint64_t active_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t batch_synced_bytes_ = 0;
  std::string write_buf_;

  std::mutex seg_mu_;
  std::deque<SegmentInfo> segments_;

  std::mutex backlog_mu_;
  std::deque<BacklogSpan> backlog_spans_;

  std::mutex poll_mu_;
  SegmentReader reader_;
  std::vector<SegmentInfo> segments_snapshot_;
  bool read_error_logged_ = false;  // an I/O error is logged once until a read succeeds
  std::atomic<std::uint64_t> damaged_records_{0};

  std::mutex tail_mu_;
  std::condition_variable tail_cv_;
  std::deque<QueueRecord> tail_;
  std::uint64_t tail_bytes_ = 0;
  std::uint64_t tail_first_ = 1;  // seq of tail_.front(), durable_last_ + 1 when empty
  std::uint64_t durable_last_ = 0;
  std::uint64_t consumer_next_ = 1;
  bool closed_ = false;

  std::mutex ack_mu_;
  std::uint64_t acked_seq_ = 0;

  std::mutex dead_mu_;
  DeadLetterFile dead_letter_file_;

  std::mutex close_mu_;
  std::thread writer_;
};

}  // namespace bklit::queue::local_log
