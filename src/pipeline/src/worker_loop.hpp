#pragma once
// The body of Worker: batching, month slicing, replay guards, retries and acks.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/pipeline/sessionizer.hpp"
#include "bklit/pipeline/worker.hpp"

namespace bklit::pipeline {

// The queue range of one shard within a batch or a part of one: acked once it is stored.
struct ShardRange {
  std::uint32_t shard;
  std::uint64_t first_seq, last_seq;
};

// Widens the range of `shard` to take in `seq`, or adds one; shards stay in order of appearance.
void add_to_ranges(std::vector<ShardRange>& ranges, std::uint32_t shard, std::uint64_t seq);

// "<shard>:<first>-<last>,...": a batch's dedup token, and the tail of a part's token.
std::string format_ranges(std::span<const ShardRange> ranges);

// A rejected event's contribution to its session, to take back (Sessionizer::discount).
struct Discount {
  std::string project_id;
  std::string session_id;  // the stored id
  core::EventType type;
};

// Two stages on two threads: this loop's thread polls, decodes and sessionizes batch N+1 while
// the writer thread inserts batch N and acks it. Batches are written and acked strictly in
// order, each only after both of its inserts; at most one batch waits for the writer.
class Worker::Loop {
 public:
  Loop(queue::EventQueue& queue, BatchSink& sink, WorkerOptions options);

  void run();  // returns once stop was requested and the last batch is handled
  void request_stop();
  Stats stats() const;
  bool healthy() const { return healthy_.load(); }

  BatchWrittenFn on_written;

 private:
  struct Item {
    core::Event event;
    std::string payload;  // the queue record, for a dead letter should the store reject it
    std::uint32_t shard = 0;
    std::uint64_t seq = 0;
    bool decoded = false;
    bool counted = false;  // the sessionizer counted it (a pageview or custom event it applied)
  };
  enum class Outcome {
    kDone,      // the call succeeded
    kRejected,  // the store rejected the rows' data, as often as allowed
    kStopped,   // it failed while stop was requested
  };
  // One insert of each table: the events of one UTC month of a batch (pointing into the
  // batch's items) and the session rows they changed, with the queue ranges to ack after.
  struct Slice {
    std::vector<store::StoredEvent> events;
    std::vector<store::SessionRow> sessions;
    std::vector<ShardRange> ranges;
    std::string token;
    std::uint64_t round = 0;  // the sessionizer round that took `sessions`
  };
  // A polled batch, decoded and sessionized: what the writer thread stores and acks.
  struct Batch {
    std::vector<Item> items;
    std::vector<Slice> slices;  // reused; the first slice_count are this batch's
    std::size_t slice_count = 0;
  };

  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  // This loop's thread. Each bool function returns false when it gave up because stop was
  // requested during an outage (or the writer gave up).
  void collect(std::vector<queue::QueueRecord>& records);
  bool apply_shard_changes();
  bool prepare(std::vector<queue::QueueRecord>& records, Batch& batch);
  // False when it gave up because stop was requested while dead letters could not be stored.
  bool decode(std::vector<queue::QueueRecord>& records, std::vector<Item>& items);
  // Stores the records that did not decode as dead letters (their payloads move out).
  bool dead_letter_undecodable(std::vector<Item>& items);
  bool prepare_slice(Batch& batch, std::size_t begin, std::size_t end);
  bool guard_shards(const std::vector<Item>& items, std::size_t begin, std::size_t end);
  bool load_sessions(const std::vector<Item>& items, std::size_t begin, std::size_t end);
  void apply(std::vector<Item>& items, std::size_t begin, std::size_t end, Slice& slice);
  bool hand_over(Batch& batch);
  // Waits until the writer holds no batch; then takes its discounts (take_discounts).
  bool wait_writer_idle();
  void take_discounts();  // discounts_ -> settling_, under pipe_mu_
  // Takes back what the writer's rejected events added to the sessions: in memory and in the
  // rows of `next` (the batch about to be handed over, sessionized before they were known).
  void settle_discounts(Batch* next);
  void evict_stored();

  // The writer thread.
  void writer_run();
  // Now minus the arrival of the batch's oldest decoded event, in ms (0 for none).
  static std::int64_t batch_lag_ms(const Batch& batch);
  bool write_slice(const Batch& batch, const Slice& slice);
  // The events [lo, hi) of the slice were rejected with `reason`: stores them in halves,
  // recursively, until each rejected one is alone, and sets those aside (rejected[i]).
  bool isolate_events(const Batch& batch, const Slice& slice, std::size_t lo, std::size_t hi,
                      const std::string& reason, std::vector<char>& rejected);
  bool set_aside_event(const Batch& batch, const Slice& slice, std::size_t i,
                       const std::string& reason, std::vector<char>& rejected);
  // The same for the session rows [lo, hi) of a slice; `events` are its stored events.
  bool isolate_sessions(const std::string& token, const std::vector<store::StoredEvent>& events,
                        const std::vector<store::SessionRow>& rows, std::size_t lo, std::size_t hi,
                        const std::string& reason, std::vector<char>& rejected);
  bool set_aside_session(const std::string& token, const std::vector<store::StoredEvent>& events,
                         const store::SessionRow& row, const std::string& reason, char& rejected);

  // Calls fn until it succeeds, with backoff; false when it gave up because stop was requested.
  template <typename Fn>
  bool with_retry(const char* what, Fn&& fn);
  // The same, except that after `data_attempts` failures that reject the rows' data
  // (StoreError::rejects_data; 0: never) it returns kRejected with the last message in `reason`.
  template <typename Fn>
  Outcome attempt(const char* what, int data_attempts, std::string* reason, Fn&& fn);
  // Counts and logs a failed attempt; false when stop was requested (then it gives up).
  bool note_failure(const char* what, int attempt, std::chrono::milliseconds delay,
                    const std::exception& e);
  void end_retry_run();
  void sleep_for(std::chrono::milliseconds delay);

  queue::EventQueue& queue_;
  BatchSink& sink_;
  WorkerOptions options_;
  Sessionizer sessionizer_;  // this loop's thread only

  // Shards this worker gained or lost (queue callback, during poll on this loop's thread),
  // handled once the writer has stored everything handed to it.
  void shard_changed(std::uint32_t shard, bool acquired);
  std::vector<std::pair<std::uint32_t, bool>> shard_changes_;

  // Per shard: every event with seq <= this is in the events table or in a batch handed to
  // the writer (which stores it, or the worker stops).
  std::unordered_map<std::uint32_t, std::uint64_t> written_upto_;

  // Reused across batches to keep the loop allocation-light.
  std::vector<queue::QueueRecord> records_;
  std::array<Batch, 2> batches_;
  int next_batch_ = 0;
  std::unordered_map<std::string_view, std::vector<std::string>> to_load_;

  // Hand-over between the two threads.
  std::thread writer_;
  std::mutex pipe_mu_;
  std::condition_variable pipe_cv_;
  Batch* in_flight_ = nullptr;  // handed to the writer, not yet stored and acked
  bool writer_exit_ = false;
  bool writer_failed_ = false;
  // What rejected events of the batches stored so far added to their sessions (see Discount),
  // for the loop thread to take back from memory and from the batch it hands over next.
  std::vector<Discount> discounts_;
  std::vector<Discount> settling_;  // this loop's thread

  // The writer thread: the rejected events of the batch it stores, and how many events and
  // session rows were rejected one by one since the last insert that was stored.
  std::vector<Discount> batch_discounts_;
  std::uint64_t events_rejected_in_a_row_ = 0;
  std::uint64_t sessions_rejected_in_a_row_ = 0;
  // The highest sessionizer round whose rows are stored (written by the writer thread).
  std::atomic<std::uint64_t> stored_round_{0};

  std::atomic<bool> stop_{false};
  std::atomic<bool> healthy_{true};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;

  mutable std::mutex stats_mu_;
  Stats stats_;
  // Per thread (this loop's, the writer's): the call being retried, under stats_mu_.
  struct RetryRun {
    std::int64_t since_ms = 0;
    std::uint64_t attempts = 0;
    const char* what = "";
  };
  std::array<RetryRun, 2> retry_runs_;
};

}  // namespace bklit::pipeline
