#pragma once
// The worker: takes batches from the EventQueue, sessionizes them and writes events and
// session rows through a BatchSink, then acks the queue (docs/architecture.md, "Data
// flow", steps 3-4).
// Pipelined: the next batch is decoded and sessionized while this one is inserted; batches
// are stored and acked in queue order. A crash at any point replays the unacked records without
// double-counting: events at or below the sink's max_event_seq are not written again, and each
// session's state skips queue positions it has already applied.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "bklit/pipeline/batch_sink.hpp"
#include "bklit/queue/event_queue.hpp"
#include "bklit/store/rows.hpp"

namespace bklit::pipeline {

struct WorkerOptions {
  // The most a batch takes when the queue holds a backlog. At a low rate batch_max_wait closes
  // batches long before; when the store falls behind, batches grow to this, and larger inserts
  // cost the engine less per event, so the store catches up (docs/architecture.md, step 3).
  std::size_t batch_max_events = 50000;
  // A batch is written this long after its first record arrived, full or not. 1 s batches
  // cost less CPU per event but lengthened the ack-latency tail (docs/architecture.md, data
  // flow, step 3).
  std::chrono::milliseconds batch_max_wait{200};
  std::chrono::milliseconds session_timeout{30 * 60 * 1000};
  // Backoff between retries while the store is unavailable, doubling from min to max.
  std::chrono::milliseconds retry_min{100};
  std::chrono::milliseconds retry_max{5000};
  std::size_t max_sessions = 2'000'000;
  // An insert the store rejects for its data (StoreError::rejects_data) is tried this often
  // before it is split to find the rows that are rejected (docs/architecture.md, "Rejected rows").
  int rejected_insert_attempts = 3;
  // After this many events (or session rows) in a row were rejected one by one with nothing
  // stored in between, the rows are no longer set aside: that looks like a table that does not
  // match this binary rather than bad data, so the next one is retried until it is stored.
  std::uint64_t max_rejected_in_a_row = 100;
  // Called on the store-writer thread before each batch is stored, with the batch's lag: now
  // minus the arrival (received_ms) of its oldest event. serve uses it for insert pacing
  // (InsertPacer); unset = nothing is called.
  std::function<void(std::int64_t lag_ms)> before_store;
  // Called on the worker loop thread before each polled batch is decoded and sessionized.
  // serve uses it to run that thread at the priority insert pacing chose; unset = nothing.
  std::function<void()> before_prepare;
};

class Worker {
 public:
  struct Stats {
    std::uint64_t events_written = 0;    // rows written to the events table
    std::uint64_t sessions_written = 0;  // session rows written
    std::uint64_t batches = 0;           // batches stored and acked (one per month slice)
    std::uint64_t retries = 0;           // failed sink or queue calls that were retried
    std::uint64_t replays_skipped = 0;   // redelivered events already in the events table
    std::uint64_t dead_letters = 0;      // records that did not decode: dead-lettered, then acked
    // Events the store rejected for their data, one by one: dead-lettered, then acked.
    std::uint64_t rejected_events = 0;
    // Session rows the store rejected for their data: dead-lettered (their events are stored).
    std::uint64_t rejected_sessions = 0;
    std::int64_t last_batch_ms = 0;  // Unix ms when the last batch was acked, 0 if none
    std::size_t sessions_in_memory = 0;
    // The oldest store or queue call that is failing and being retried right now: when it
    // first failed (Unix ms), its failed attempts so far and its name ("write_events",
    // "queue ack", ...). 0, 0 and empty while every call succeeds.
    std::int64_t retrying_since_ms = 0;
    std::uint64_t retrying_attempts = 0;
    std::string_view retrying_call;
    // Unix ms when the batch being stored now was handed to the writer; 0 while none is.
    std::int64_t unstored_since_ms = 0;
  };

  // Called on the worker's writer thread after a batch is stored (both inserts confirmed), with
  // the written events (session ids already rewritten to the stored id) and session rows.
  // For live fan-out; it must not block for long, and what it throws is logged.
  using BatchWrittenFn = std::function<void(const std::vector<store::StoredEvent>& events,
                                            const std::vector<store::SessionRow>& sessions)>;

  Worker(queue::EventQueue& queue, BatchSink& sink, WorkerOptions options = {});
  ~Worker();  // stop()s
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Set before start().
  void on_batch_written(BatchWrittenFn fn);

  // Runs the loop on its own thread. A Worker runs once: after stop(), make a new one.
  void start();
  // Stops polling, stores and acks what was already polled, joins the thread. While the
  // store is down it gives up after one more attempt instead: the unacked records are
  // delivered again on the next start, so nothing is lost.
  void stop();

  Stats stats() const;
  // False after the loop ended on an unexpected error (logged); the queue keeps the
  // unacked records for the next start.
  bool healthy() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace bklit::pipeline
