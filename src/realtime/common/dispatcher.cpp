#include "common/dispatcher.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"

namespace bklit::realtime::detail {
namespace {

// Which dispatcher, if any, the current thread runs handlers for.
thread_local const Dispatcher* current_dispatcher = nullptr;

}  // namespace

Dispatcher::Dispatcher(std::size_t queue_capacity)
    : capacity_(std::max<std::size_t>(queue_capacity, 1)), thread_([this] {
        core::name_this_thread("bklit-live");
        run();
      }) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::stop() {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Dispatcher::enqueue(std::string channel, std::string message) {
  {
    std::lock_guard lock(registry_mu_);
    if (!registry_.contains(channel)) return true;
  }
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ || queue_.size() >= capacity_) {
      dropped_.fetch_add(1);
      return false;
    }
    queue_.push_back(Message{std::move(channel), std::move(message)});
  }
  queue_cv_.notify_one();
  return true;
}

std::shared_ptr<Dispatcher::Entry> Dispatcher::add(const std::string& channel,
                                                   PubSub::Handler handler) {
  auto entry = std::make_shared<Entry>();
  entry->channel = channel;
  entry->handler = std::move(handler);
  std::lock_guard lock(registry_mu_);
  auto& entries = registry_[channel];
  if (entries.empty()) channels_version_.fetch_add(1);
  entries.push_back(entry);
  entries_.fetch_add(1, std::memory_order_release);
  return entry;
}

void Dispatcher::remove(const std::shared_ptr<Entry>& entry) {
  {
    std::lock_guard lock(registry_mu_);
    auto it = registry_.find(entry->channel);
    if (it != registry_.end()) {
      if (std::erase(it->second, entry) > 0) entries_.fetch_sub(1, std::memory_order_release);
      if (it->second.empty()) {
        registry_.erase(it);
        channels_version_.fetch_add(1);
      }
    }
  }
  std::unique_lock lock(run_mu_);
  entry->active = false;
  if (current_dispatcher == this) return;
  run_cv_.wait(lock, [&] { return running_ != entry.get(); });
}

std::vector<std::string> Dispatcher::channels() const {
  std::lock_guard lock(registry_mu_);
  std::vector<std::string> out;
  out.reserve(registry_.size());
  for (const auto& [channel, entries] : registry_) out.push_back(channel);
  return out;
}

void Dispatcher::run() {
  current_dispatcher = this;
  std::deque<Message> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        dropped_.fetch_add(queue_.size());
        queue_.clear();
        return;
      }
      batch.swap(queue_);
    }
    for (const Message& message : batch) {
      deliver(message);
      // Checked between messages so stop() does not wait for a long backlog.
      std::lock_guard lock(queue_mu_);
      if (stopping_) break;
    }
    batch.clear();
  }
}

void Dispatcher::deliver(const Message& message) {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(registry_mu_);
    auto it = registry_.find(message.channel);
    if (it == registry_.end()) return;
    entries = it->second;
  }
  for (const auto& entry : entries) {
    {
      std::lock_guard lock(run_mu_);
      if (!entry->active) continue;
      running_ = entry.get();
    }
    delivered_.fetch_add(1);
    try {
      entry->handler(message.channel, message.payload);
    } catch (const std::exception& e) {
      // A handler's failure is its subscriber's problem; the others still get the message.
      core::log::error(std::string("pubsub handler threw: ") + e.what());
    }
    {
      std::lock_guard lock(run_mu_);
      running_ = nullptr;
    }
    run_cv_.notify_all();
  }
}

}  // namespace bklit::realtime::detail
