// The consumer side: poll() over the owned shards and ack().
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "bklit/core/log.hpp"
#include "redis_streams/redis_streams_queue.hpp"

namespace bklit::queue::redis_streams {

namespace {

constexpr std::size_t kAckChunk = 1000;

bool is_nogroup(const net::RedisReply& reply) {
  return reply.is_error() && reply.str.rfind("NOGROUP", 0) == 0;
}

}  // namespace

std::vector<QueueRecord> RedisStreamsQueue::poll(std::size_t max_records,
                                                 std::chrono::milliseconds wait) {
  std::vector<QueueRecord> out;
  if (max_records == 0) return out;
  std::lock_guard poll_lock(poll_mu_);
  // The cap keeps now() + wait from overflowing for "wait forever" values.
  const auto deadline =
      Clock::now() + std::min<std::chrono::milliseconds>(wait, std::chrono::hours(24));
  {
    std::lock_guard lock(mu_);
    if (closed_) return out;
    if (!consuming_) {
      consuming_ = true;
      maint_cv_.notify_all();
    }
  }
  bool attempted = false;
  for (;;) {
    run_transitions();
    out = take_buffered(max_records);
    if (!out.empty()) return out;
    auto now = Clock::now();
    if (attempted && now >= deadline) return out;
    attempted = true;

    std::vector<ReadPlan> recovering;
    std::vector<ReadPlan> live;
    {
      std::lock_guard lock(mu_);
      if (closed_) return out;
      for (std::uint32_t s = 0; s < slots_.size(); ++s) {
        Slot& slot = slots_[s];
        if (slot.lease != Lease::kOwned || !slot.announced || slot.valid_until <= now) continue;
        slot.inflight = true;
        ReadPlan plan{s, slot.epoch, slot.phase, slot.own_cursor};
        (slot.phase == Phase::kNew ? live : recovering).push_back(std::move(plan));
      }
    }
    bool progressed = false;
    if (poll_backoff_.due(now)) {
      try {
        for (const auto& plan : recovering)
          progressed = recover_step(plan, max_records) || progressed;
        if (!progressed && !live.empty()) {
          auto block = std::clamp(
              std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
              std::chrono::milliseconds(0), kPollSlice);
          read_new(live, max_records, block);
          progressed = true;
        }
        if (poll_backoff_.succeeded()) core::log::info("queue: polling Redis works again");
      } catch (const std::exception& e) {
        // Redis down or restarting: keep the worker loop alive and retry with backoff.
        if (!poll_backoff_.failing()) {
          core::log::error(fmt::format("queue: poll from Redis failed: {}", e.what()));
        }
        poll_backoff_.failed();
        progressed = false;
      }
    }
    recovering.insert(recovering.end(), live.begin(), live.end());
    finish_reads(recovering);

    if (!progressed) {
      // Nothing readable yet (no shard, a takeover waiting for claim_idle, or Redis down):
      // sleep until a shard changes hands, close(), or the next retry.
      std::unique_lock lock(mu_);
      auto until = std::min(deadline, Clock::now() + kPollSlice);
      if (!poll_backoff_.due()) until = std::min(until, poll_backoff_.retry_at());
      cv_.wait_until(lock, until, [this] { return closed_ || !transitions_.empty(); });
    }
  }
}

void RedisStreamsQueue::run_transitions() {
  for (;;) {
    Transition t{};
    {
      std::lock_guard lock(mu_);
      if (transitions_.empty()) return;
      t = transitions_.front();
    }
    // Popped only once the callback returned: if it throws (say the store is down while the
    // worker reloads state), the next poll() runs it again before delivering the shard.
    if (shard_change_) shard_change_(t.shard, t.acquired);
    std::lock_guard lock(mu_);
    transitions_.pop_front();
    Slot& slot = slots_[t.shard];
    if (t.acquired && slot.epoch == t.epoch && slot.lease != Lease::kNone) slot.announced = true;
  }
}

std::vector<QueueRecord> RedisStreamsQueue::take_buffered(std::size_t max_records) {
  std::vector<QueueRecord> out;
  std::uint64_t bytes = 0;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  const auto n = static_cast<std::uint32_t>(slots_.size());
  // Start where the last poll stopped so one busy shard cannot starve the others.
  for (std::uint32_t i = 0; i < n && out.size() < max_records; ++i) {
    const std::uint32_t s = (next_shard_to_drain_ + i) % n;
    Slot& slot = slots_[s];
    if (slot.lease == Lease::kNone || !slot.announced || slot.valid_until <= now) continue;
    while (!slot.buffered.empty() && out.size() < max_records) {
      slot.delivered.push_back(slot.buffered.front().seq);
      bytes += slot.buffered.front().payload.size();
      out.push_back(std::move(slot.buffered.front()));
      slot.buffered.pop_front();
    }
    if (out.size() >= max_records) next_shard_to_drain_ = (s + 1) % n;
  }
  seen_bytes_.fetch_add(bytes);
  seen_records_.fetch_add(out.size());
  return out;
}

// One step of taking over a shard. Returns false while it must wait (another consumer's
// pending entries are not idle for claim_idle yet).
bool RedisStreamsQueue::recover_step(const ReadPlan& plan, std::size_t max_records) {
  const std::string key = keys_.stream(plan.shard);
  if (plan.phase == Phase::kClaimOthers) {
    const std::string min_idle = std::to_string(options_.claim_idle.count());
    std::string cursor = "0-0";
    do {
      auto reply = poll_conn_.command({"XAUTOCLAIM", key, options_.group, options_.consumer,
                                       min_idle, cursor, "COUNT", "1000", "JUSTID"});
      if (is_nogroup(reply)) {
        create_groups(poll_conn_, keys_, options_.group, options_.shards);
        return true;
      }
      if (reply.is_error() || reply.elements.empty()) {
        throw std::runtime_error("XAUTOCLAIM failed: " + reply.str);
      }
      cursor = reply.elements[0].str;
    } while (cursor != "0-0");
    auto summary = poll_conn_.command({"XPENDING", key, options_.group});
    if (summary.is_error() || summary.elements.size() < 4) {
      throw std::runtime_error("XPENDING failed: " + summary.str);
    }
    for (const auto& holder : summary.elements[3].elements) {
      if (holder.elements.size() == 2 && holder.elements[0].str != options_.consumer) {
        return false;  // still held by someone else: keep the shard's order, wait
      }
    }
    std::lock_guard lock(mu_);
    Slot& slot = slots_[plan.shard];
    if (slot.epoch == plan.epoch) {
      slot.phase = Phase::kOwnPending;
      slot.own_cursor = "0";
    }
    return true;
  }
  // kOwnPending: re-read our own pending entries (ours from before, and the claimed ones).
  auto reply =
      poll_conn_.command({"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT",
                          std::to_string(max_records), "STREAMS", key, plan.cursor});
  if (is_nogroup(reply)) {
    create_groups(poll_conn_, keys_, options_.group, options_.shards);
    return true;
  }
  if (reply.is_error()) throw std::runtime_error("XREADGROUP failed: " + reply.str);
  static const net::RedisReply kNoEntries{net::RedisReply::Type::kArray, {}, 0, {}};
  const net::RedisReply* entries = &kNoEntries;
  if (!reply.elements.empty() && reply.elements[0].elements.size() == 2) {
    entries = &reply.elements[0].elements[1];
  }
  store_read(plan, *entries, true);
  return true;
}

void RedisStreamsQueue::read_new(const std::vector<ReadPlan>& plans, std::size_t max_records,
                                 std::chrono::milliseconds block) {
  // COUNT applies per stream; what poll() cannot return yet waits in the shard's buffer, so
  // split max_records over the shards to bound that buffer.
  const std::size_t per_stream = std::max((max_records + plans.size() - 1) / plans.size(),
                                          std::min<std::size_t>(max_records, 64));
  std::vector<std::string> args = {"XREADGROUP",      "GROUP", options_.group,
                                   options_.consumer, "COUNT", std::to_string(per_stream)};
  if (block.count() > 0) {
    args.emplace_back("BLOCK");
    args.push_back(std::to_string(block.count()));
  }
  args.emplace_back("STREAMS");
  for (const auto& plan : plans) args.push_back(keys_.stream(plan.shard));
  for (std::size_t i = 0; i < plans.size(); ++i) args.emplace_back(">");
  auto reply = poll_conn_.command(std::vector<std::string_view>(args.begin(), args.end()));
  if (is_nogroup(reply)) {
    // Redis lost its data (restarted without AOF?): recreate the groups and read again.
    core::log::warn("queue: a consumer group is missing in Redis; creating it again");
    create_groups(poll_conn_, keys_, options_.group, options_.shards);
    return;
  }
  if (reply.is_error()) throw std::runtime_error("XREADGROUP failed: " + reply.str);
  for (const auto& stream : reply.elements) {
    if (stream.elements.size() != 2) continue;
    for (const auto& plan : plans) {
      if (keys_.stream(plan.shard) == stream.elements[0].str) {
        store_read(plan, stream.elements[1], false);
        break;
      }
    }
  }
}

void RedisStreamsQueue::store_read(const ReadPlan& plan, const net::RedisReply& entries,
                                   bool advance_cursor) {
  std::vector<QueueRecord> records;
  records.reserve(entries.elements.size());
  for (const auto& entry : entries.elements) {
    if (entry.elements.size() != 2) continue;
    const std::string& id = entry.elements[0].str;
    auto seq = seq_of_stream_id(id);
    if (!seq) {
      throw std::runtime_error(fmt::format(
          "stream entry id '{}' of {} cannot be mapped to a seq (sequence part over 2^20)", id,
          keys_.stream(plan.shard)));
    }
    const net::RedisReply* payload = field(entry.elements[1], "p");
    if (payload == nullptr) {
      // A pending entry whose data is gone (deleted by hand): nothing to deliver.
      core::log::warn(fmt::format("queue: entry {} of {} has no payload; skipped", id,
                                  keys_.stream(plan.shard)));
      continue;
    }
    records.push_back(QueueRecord{plan.shard, *seq, payload->str});
  }
  std::lock_guard lock(mu_);
  Slot& slot = slots_[plan.shard];
  if (closed_ || slot.epoch != plan.epoch || slot.lease == Lease::kNone) return;
  for (auto& r : records) slot.buffered.push_back(std::move(r));
  if (advance_cursor) {
    if (entries.elements.empty()) {
      slot.phase = Phase::kNew;
    } else {
      slot.own_cursor = entries.elements.back().elements.empty()
                            ? slot.own_cursor
                            : entries.elements.back().elements[0].str;
    }
  }
}

void RedisStreamsQueue::finish_reads(const std::vector<ReadPlan>& plans) {
  std::lock_guard lock(mu_);
  for (const auto& plan : plans) slots_[plan.shard].inflight = false;
}

void RedisStreamsQueue::ack(std::uint32_t shard, std::uint64_t up_to_seq) {
  if (shard >= slots_.size()) {
    core::log::warn(fmt::format("queue: ack for unknown shard {} ignored", shard));
    return;
  }
  std::lock_guard ack_lock(ack_mu_);
  std::vector<std::string> ids;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mu_);
    const Slot& slot = slots_[shard];
    epoch = slot.epoch;
    // Only what poll() handed out under the current lease; after a lease loss the records
    // belong to the next owner.
    for (std::uint64_t seq : slot.delivered) {
      if (seq > up_to_seq) break;
      ids.push_back(stream_id_of_seq(seq));
    }
  }
  if (ids.empty()) return;
  const std::string key = keys_.stream(shard);
  std::vector<std::vector<std::string>> commands;
  for (std::size_t i = 0; i < ids.size(); i += kAckChunk) {
    std::vector<std::string> cmd = {"XACK", key, options_.group};
    const std::size_t end = std::min(ids.size(), i + kAckChunk);
    cmd.insert(cmd.end(), ids.begin() + static_cast<std::ptrdiff_t>(i),
               ids.begin() + static_cast<std::ptrdiff_t>(end));
    commands.push_back(std::move(cmd));
  }
  // RedisError propagates: the worker retries the ack.
  auto replies = ack_conn_.pipeline(commands);
  for (const auto& reply : replies) {
    if (reply.is_error()) throw std::runtime_error("queue: XACK failed: " + reply.str);
  }
  std::lock_guard lock(mu_);
  Slot& slot = slots_[shard];
  if (slot.epoch != epoch) return;
  for (std::size_t i = 0; i < ids.size() && !slot.delivered.empty(); ++i) {
    slot.delivered.pop_front();
  }
}

}  // namespace bklit::queue::redis_streams
