#include "redis_streams/stream_appender.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "bklit/core/log.hpp"
#include "bklit/core/thread_name.hpp"

namespace bklit::queue::redis_streams {

StreamAppender::StreamAppender(net::RedisOptions redis, Keys keys, std::uint32_t shards,
                               std::uint64_t max_backlog_bytes, std::size_t max_pending_bytes,
                               Hooks hooks)
    : conn_(std::move(redis)),
      keys_(std::move(keys)),
      shards_(shards),
      max_backlog_bytes_(max_backlog_bytes),
      max_pending_bytes_(max_pending_bytes),
      hooks_(std::move(hooks)),
      thread_([this] {
        core::name_this_thread("bklit-rs-append");
        run();
      }) {}

StreamAppender::~StreamAppender() { close(); }

void StreamAppender::append(std::vector<std::string> payloads, EventQueue::AppendCallback done) {
  std::size_t bytes = 0;
  for (const auto& p : payloads) bytes += p.size();
  std::unique_lock lock(mu_);
  if (exited_) {
    // Every earlier callback has run, so answering here keeps the per-thread order.
    lock.unlock();
    done(AppendStatus::kFailed);
    return;
  }
  AppendStatus verdict = AppendStatus::kDurable;
  if (stopping_) {
    verdict = AppendStatus::kFailed;
  } else if (pending_bytes_ + bytes > max_pending_bytes_ ||
             hooks_.backlog_bytes() + pending_bytes_ + bytes > max_backlog_bytes_) {
    verdict = AppendStatus::kOverloaded;
  }
  // Rejections go through the thread too, so they reach the caller after the callbacks of
  // its earlier appends.
  if (verdict == AppendStatus::kDurable) {
    pending_bytes_ += bytes;
    pending_.push_back(Pending{std::move(payloads), std::move(done), bytes, verdict});
  } else {
    pending_.push_back(Pending{{}, std::move(done), 0, verdict});
  }
  lock.unlock();
  cv_.notify_one();
}

void StreamAppender::close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StreamAppender::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) {
        exited_ = true;
        return;
      }
      std::size_t bytes = 0;
      while (!pending_.empty() && (batch.empty() || bytes < kBatchBytes)) {
        bytes += pending_.front().bytes;
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
      pending_bytes_ -= bytes;
    }
    write(batch);
    for (auto& p : batch) {
      if (p.done) p.done(p.verdict);
    }
    batch.clear();
  }
}

void StreamAppender::write(std::vector<Pending>& batch) {
  std::vector<std::vector<std::string>> commands;
  std::size_t bytes = 0;
  for (auto& p : batch) {
    if (p.verdict != AppendStatus::kDurable) continue;
    for (auto& payload : p.payloads) {
      bytes += payload.size();
      commands.push_back(
          {"XADD", keys_.stream(shard_of(payload, shards_)), "*", "p", std::move(payload)});
    }
  }
  if (commands.empty()) return;

  auto fail_all = [&batch] {
    for (auto& p : batch) {
      if (p.verdict == AppendStatus::kDurable) p.verdict = AppendStatus::kFailed;
    }
  };
  if (!backoff_.due()) {
    fail_all();  // Redis was unreachable a moment ago: fail fast until the backoff ends.
    return;
  }

  std::vector<net::RedisReply> replies;
  try {
    replies = conn_.pipeline(commands);
  } catch (const net::RedisError& e) {
    if (!backoff_.failing()) {
      core::log::error(fmt::format("queue: append to Redis failed: {}", e.what()));
    }
    backoff_.failed();
    fail_all();
    hooks_.on_result(false, 0, 0);
    return;
  }
  if (backoff_.succeeded()) core::log::info("queue: Redis is reachable again for appends");

  std::size_t i = 0;
  bool logged = false;
  for (auto& p : batch) {
    if (p.verdict != AppendStatus::kDurable) continue;
    for (std::size_t k = 0; k < p.payloads.size(); ++k, ++i) {
      const auto& reply = replies[i];
      bool ok =
          reply.type == net::RedisReply::Type::kString && seq_of_stream_id(reply.str).has_value();
      if (!ok) {
        p.verdict = AppendStatus::kFailed;
        if (!logged) {
          logged = true;
          core::log::error(fmt::format(
              "queue: XADD answered '{}' (an error, or an id whose sequence part is over 2^20)",
              reply.str));
        }
      }
    }
  }
  hooks_.on_result(true, bytes, commands.size());
}

}  // namespace bklit::queue::redis_streams
