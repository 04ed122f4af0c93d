#pragma once
// Insert pacing: the store's inserts run at a lower CPU priority while the store keeps pace
// with ingest, and at normal priority once it falls behind, so acks win the cores when there
// is room and the store still catches up under a load that fills them (docs/architecture.md,
// "Insert pacing").

#include <atomic>
#include <cstdint>

namespace bklit::pipeline {

struct InsertPacerOptions {
  int yield_nice = 10;              // nice value of the inserts while the store keeps pace
  std::int64_t behind_ms = 1000;    // a batch older than this: the store is behind, nice 0
  std::int64_t caught_up_ms = 500;  // back to yielding once a batch is younger than this
};

// Decides, for each batch about to be stored, the nice value of its inserts from the batch's
// lag (now minus the arrival of its oldest event), with hysteresis between the two bounds so
// that a lag near one bound does not flip the priority every batch. One writer thread calls it.
class InsertPacer {
 public:
  explicit InsertPacer(InsertPacerOptions options = {}) : options_(options) {}

  // The nice value for a batch `lag_ms` behind.
  int nice_for(std::int64_t lag_ms) {
    bool yielding = yielding_.load(std::memory_order_relaxed);
    if (yielding && lag_ms > options_.behind_ms) yielding = false;
    if (!yielding && lag_ms < options_.caught_up_ms) yielding = true;
    yielding_.store(yielding, std::memory_order_relaxed);
    return yielding ? options_.yield_nice : 0;
  }

  // The last decision; any thread may read it (the worker loop follows it, see
  // docs/architecture.md, "Insert pacing").
  bool yielding() const { return yielding_.load(std::memory_order_relaxed); }

 private:
  InsertPacerOptions options_;
  std::atomic<bool> yielding_{true};
};

}  // namespace bklit::pipeline
