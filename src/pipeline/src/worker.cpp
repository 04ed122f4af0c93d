#include "bklit/pipeline/worker.hpp"

#include "bklit/core/thread_name.hpp"
#include "worker_loop.hpp"

namespace bklit::pipeline {

Worker::Worker(queue::EventQueue& queue, BatchSink& sink, WorkerOptions options)
    : loop_(std::make_unique<Loop>(queue, sink, options)) {}

Worker::~Worker() { stop(); }

void Worker::on_batch_written(BatchWrittenFn fn) { loop_->on_written = std::move(fn); }

void Worker::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    // Named for per-thread CPU figures (top -H, /proc/<pid>/task/*/comm).
    core::name_this_thread("bklit-worker");
    loop_->run();
  });
}

void Worker::stop() {
  loop_->request_stop();
  if (thread_.joinable()) thread_.join();
}

Worker::Stats Worker::stats() const { return loop_->stats(); }

bool Worker::healthy() const { return loop_->healthy(); }

}  // namespace bklit::pipeline
