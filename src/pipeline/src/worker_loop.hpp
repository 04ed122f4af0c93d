#pragma once
// The body of Worker: batching, month slicing, replay guards, retries and acks.

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/pipeline/sessionizer.hpp"
#include "bklit/pipeline/worker.hpp"

namespace bklit::pipeline {

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
    std::uint32_t shard = 0;
    std::uint64_t seq = 0;
    bool decoded = false;
  };
  struct ShardRange {
    std::uint32_t shard;
    std::uint64_t first_seq, last_seq;
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
  bool dead_letter_undecodable(std::vector<queue::QueueRecord>& records,
                               const std::vector<Item>& items);
  bool prepare_slice(Batch& batch, std::size_t begin, std::size_t end);
  bool guard_shards(const std::vector<Item>& items, std::size_t begin, std::size_t end);
  bool load_sessions(const std::vector<Item>& items, std::size_t begin, std::size_t end);
  void apply(std::vector<Item>& items, std::size_t begin, std::size_t end, Slice& slice);
  bool hand_over(Batch& batch);
  bool wait_writer_idle();
  void evict_stored();

  // The writer thread.
  void writer_run();
  bool write_slice(const Slice& slice);

  template <typename Fn>
  bool with_retry(const char* what, Fn&& fn);
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
  // The highest sessionizer round whose rows are stored (written by the writer thread).
  std::atomic<std::uint64_t> stored_round_{0};

  std::atomic<bool> stop_{false};
  std::atomic<bool> healthy_{true};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;

  mutable std::mutex stats_mu_;
  Stats stats_;
};

}  // namespace bklit::pipeline
