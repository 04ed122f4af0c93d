#pragma once
// The body of Worker: batching, month slicing, replay guards, retries and acks.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bklit/core/event.hpp"
#include "bklit/pipeline/sessionizer.hpp"
#include "bklit/pipeline/worker.hpp"

namespace bklit::pipeline {

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

  bool stopping() const { return stop_.load(std::memory_order_relaxed); }
  void collect(std::vector<queue::QueueRecord>& records);
  // Each returns false when it gave up because stop was requested during an outage.
  bool process(std::vector<queue::QueueRecord>& records);
  // Stores the records that did not decode as dead letters (their payloads move out).
  bool dead_letter_undecodable(std::vector<queue::QueueRecord>& records);
  bool process_slice(std::size_t begin, std::size_t end);
  bool guard_shards(std::size_t begin, std::size_t end);
  bool load_sessions(std::size_t begin, std::size_t end);
  void apply(std::size_t begin, std::size_t end);
  bool write_and_ack(std::size_t begin, std::size_t end);
  template <typename Fn>
  bool with_retry(const char* what, Fn&& fn);
  void sleep_for(std::chrono::milliseconds delay);

  queue::EventQueue& queue_;
  BatchSink& sink_;
  WorkerOptions options_;
  Sessionizer sessionizer_;

  // Shards this worker gained or lost since the last batch (queue callback, on this thread).
  void shard_changed(std::uint32_t shard, bool acquired);

  // Per shard: every event with seq <= this is in the events table.
  std::unordered_map<std::uint32_t, std::uint64_t> written_upto_;

  // Reused across batches to keep the loop allocation-light.
  std::vector<queue::QueueRecord> records_;
  std::vector<Item> items_;
  std::vector<store::StoredEvent> events_out_;
  std::vector<store::SessionRow> sessions_out_;
  std::vector<ShardRange> ranges_;
  std::unordered_map<std::string_view, std::vector<std::string>> to_load_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> healthy_{true};
  std::mutex sleep_mu_;
  std::condition_variable sleep_cv_;

  mutable std::mutex stats_mu_;
  Stats stats_;
};

}  // namespace bklit::pipeline
