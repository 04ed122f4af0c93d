#pragma once
// Insert pacing: the store's inserts run at a lower CPU priority while the store keeps pace
// with ingest, and at normal priority once it falls behind, so acks win the cores when there
// is room and the store still catches up under a load that fills them (docs/architecture.md,
// "Insert pacing").

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
    if (yielding_ && lag_ms > options_.behind_ms) yielding_ = false;
    if (!yielding_ && lag_ms < options_.caught_up_ms) yielding_ = true;
    return yielding_ ? options_.yield_nice : 0;
  }

  bool yielding() const { return yielding_; }

 private:
  InsertPacerOptions options_;
  bool yielding_ = true;
};

}  // namespace bklit::pipeline
