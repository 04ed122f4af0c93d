#pragma once
// A fixed pool for blocking work (embedded engine queries, SQLite, fsync) so that I/O
// threads never block. Bounded: submit() refuses work past max_queued.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "bklit/core/thread_name.hpp"

namespace bklit::core {

class ThreadPool {
 public:
  ThreadPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
    for (std::size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this] {
        name_this_thread("bklit-blocking");
        run();
      });
    }
  }
  ~ThreadPool() { shutdown(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // False when the pool is full or shut down; the caller answers "busy".
  bool submit(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || tasks_.size() >= max_queued_) return false;
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  // Runs what is queued, then joins.
  void shutdown() {
    {
      std::lock_guard lock(mu_);
      if (stopping_ && workers_.empty()) return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
    workers_.clear();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace bklit::core
