// The maintenance thread: shard leases, backlog and health refresh, trimming.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "bklit/core/log.hpp"
#include "redis_streams/redis_streams_queue.hpp"

namespace bklit::queue::redis_streams {

namespace {

// Record size assumed for the backlog estimate until this process has seen records.
constexpr std::uint64_t kDefaultRecordBytes = 512;

std::chrono::milliseconds maintenance_tick(std::chrono::milliseconds lease_ttl) {
  return std::clamp(lease_ttl / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
}

}  // namespace

void RedisStreamsQueue::maintenance_loop() {
  const auto tick = maintenance_tick(options_.lease_ttl);
  for (;;) {
    bool consuming = false;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      consuming = consuming_;
    }
    if (consuming) lease_tick();
    const auto now = Clock::now();
    if (now >= next_stats_) {
      refresh_stats();
      next_stats_ = now + options_.stats_interval;
    }
    if (consuming && now >= next_trim_) {
      trim_owned();
      next_trim_ = now + options_.trim_interval;
    }
    std::unique_lock lock(mu_);
    maint_cv_.wait_for(lock, tick, [&] { return closed_ || consuming_ != consuming; });
  }
}

void RedisStreamsQueue::lease_tick() {
  try {
    renew_leases();
    auto live =
        maint_conn_.command({"EVAL", kHeartbeatScript, "1", keys_.consumers(), options_.consumer,
                             std::to_string(options_.lease_ttl.count())});
    if (live.type != net::RedisReply::Type::kInteger) {
      throw std::runtime_error("consumer heartbeat failed: " + live.str);
    }
    rebalance(std::max(1LL, live.integer));
    release_idle_extras();
    note_redis(true, "", "");
  } catch (const std::exception& e) {
    note_redis(false, "shard lease upkeep", e.what());
    // Without Redis no lease can be renewed: stop delivering each shard when its lease may
    // have expired on the server, since another consumer may own it from then on.
    std::vector<std::uint32_t> expired;
    {
      std::lock_guard lock(mu_);
      const auto now = Clock::now();
      for (std::uint32_t s = 0; s < slots_.size(); ++s) {
        if (slots_[s].lease != Lease::kNone && slots_[s].valid_until <= now) {
          lose_lease(s, slots_[s]);
          expired.push_back(s);
        }
      }
    }
    if (!expired.empty()) {
      core::log::warn(
          fmt::format("queue: leases on shard(s) {} expired unrenewed", fmt::join(expired, ",")));
    }
  }
}

void RedisStreamsQueue::renew_leases() {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> owned;  // shard, epoch
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].lease != Lease::kNone) owned.emplace_back(s, slots_[s].epoch);
    }
  }
  if (owned.empty()) return;
  const std::string ttl = std::to_string(options_.lease_ttl.count());
  std::vector<std::vector<std::string>> commands;
  commands.reserve(owned.size());
  for (auto [s, epoch] : owned) {
    commands.push_back(
        {"EVAL", std::string(kRenewScript), "1", keys_.owner(s), options_.consumer, ttl});
  }
  // The server's lease ends ttl after it got the command, so ttl after sending is a safe
  // local bound; the 10% margin covers clock rate differences and the trip back.
  const auto sent = Clock::now();
  auto replies = maint_conn_.pipeline(commands);
  std::vector<std::uint32_t> lost;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < owned.size(); ++i) {
      auto [s, epoch] = owned[i];
      Slot& slot = slots_[s];
      if (slot.epoch != epoch || slot.lease == Lease::kNone) continue;
      if (replies[i].is_error()) {
        throw std::runtime_error("lease renewal failed: " + replies[i].str);
      }
      if (replies[i].integer == 1) {
        slot.valid_until = sent + options_.lease_ttl * 9 / 10;
      } else {
        lose_lease(s, slot);
        lost.push_back(s);
      }
    }
  }
  if (!lost.empty()) {
    core::log::warn(fmt::format("queue: leases on shard(s) {} were lost (expired or taken)",
                                fmt::join(lost, ",")));
  }
}

void RedisStreamsQueue::rebalance(long long live_consumers) {
  const auto n = static_cast<long long>(slots_.size());
  const auto target = static_cast<std::size_t>((n + live_consumers - 1) / live_consumers);
  std::size_t active = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& slot : slots_) active += slot.lease == Lease::kOwned ? 1 : 0;
    // Keep shards we were about to give back if we need them after all (a consumer left).
    for (auto& slot : slots_) {
      if (active >= target) break;
      if (slot.lease == Lease::kReleasing) {
        slot.lease = Lease::kOwned;
        ++active;
      }
    }
    if (active > target) {
      // Give back the highest-numbered ones; they go once nothing of them is unacked.
      for (auto s = static_cast<std::uint32_t>(slots_.size()); s-- > 0 && active > target;) {
        if (slots_[s].lease == Lease::kOwned) {
          slots_[s].lease = Lease::kReleasing;
          --active;
        }
      }
      return;
    }
  }
  if (active >= target) return;

  std::vector<std::string> mget = {"MGET"};
  for (std::uint32_t s = 0; s < slots_.size(); ++s) mget.push_back(keys_.owner(s));
  auto owners = maint_conn_.command(std::vector<std::string_view>(mget.begin(), mget.end()));
  if (owners.type != net::RedisReply::Type::kArray || owners.elements.size() != slots_.size()) {
    throw std::runtime_error("MGET of shard owners failed: " + owners.str);
  }
  // Start the search at a point that depends on the consumer, so consumers starting together
  // mostly go for different shards.
  const auto start =
      static_cast<std::uint32_t>(std::hash<std::string>{}(options_.consumer) % slots_.size());
  std::vector<std::uint32_t> candidates;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t i = 0; i < slots_.size() && active + candidates.size() < target; ++i) {
      const std::uint32_t s = (start + i) % static_cast<std::uint32_t>(slots_.size());
      const auto& owner = owners.elements[s];
      // Ours in Redis but not here: a lease left by an earlier life under the same name.
      bool free = owner.is_nil() || owner.str == options_.consumer;
      if (free && slots_[s].lease == Lease::kNone) candidates.push_back(s);
    }
  }
  if (candidates.empty()) return;
  const std::string ttl = std::to_string(options_.lease_ttl.count());
  std::vector<std::vector<std::string>> commands;
  for (auto s : candidates) {
    if (owners.elements[s].is_nil()) {
      commands.push_back({"SET", keys_.owner(s), options_.consumer, "NX", "PX", ttl});
    } else {
      commands.push_back(
          {"EVAL", std::string(kRenewScript), "1", keys_.owner(s), options_.consumer, ttl});
    }
  }
  const auto sent = Clock::now();
  auto replies = maint_conn_.pipeline(commands);
  std::vector<std::uint32_t> taken;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const auto& r = replies[i];
      bool got = (r.type == net::RedisReply::Type::kStatus && r.str == "OK") ||
                 (r.type == net::RedisReply::Type::kInteger && r.integer == 1);
      if (!got) continue;
      Slot& slot = slots_[candidates[i]];
      slot.lease = Lease::kOwned;
      ++slot.epoch;
      slot.announced = false;
      slot.valid_until = sent + options_.lease_ttl * 9 / 10;
      slot.phase = Phase::kClaimOthers;
      slot.own_cursor = "0";
      slot.buffered.clear();
      slot.delivered.clear();
      transitions_.push_back(Transition{candidates[i], true, slot.epoch});
      taken.push_back(candidates[i]);
    }
  }
  if (!taken.empty()) {
    cv_.notify_all();
    core::log::info(fmt::format("queue: consumer {} took shard(s) {}", options_.consumer,
                                fmt::join(taken, ",")));
  }
}

void RedisStreamsQueue::release_idle_extras() {
  std::vector<std::uint32_t> idle;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      const Slot& slot = slots_[s];
      if (slot.lease == Lease::kReleasing && slot.buffered.empty() && slot.delivered.empty() &&
          !slot.inflight) {
        idle.push_back(s);
      }
    }
  }
  if (idle.empty()) return;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(idle.size());
  for (auto s : idle) {
    commands.push_back(
        {"EVAL", std::string(kReleaseScript), "1", keys_.owner(s), options_.consumer});
  }
  auto replies = maint_conn_.pipeline(commands);
  for (const auto& reply : replies) {
    if (reply.is_error()) throw std::runtime_error("lease release failed: " + reply.str);
  }
  std::lock_guard lock(mu_);
  for (auto s : idle) {
    // Only a lease loss can have changed the slot meanwhile (rebalance runs on this
    // thread), and the lease is gone either way.
    if (slots_[s].lease == Lease::kReleasing) lose_lease(s, slots_[s]);
  }
  core::log::info(fmt::format("queue: consumer {} gave back shard(s) {}", options_.consumer,
                              fmt::join(idle, ",")));
}

void RedisStreamsQueue::lose_lease(std::uint32_t shard, Slot& slot) {
  slot.lease = Lease::kNone;
  slot.announced = false;
  slot.buffered.clear();
  slot.delivered.clear();
  transitions_.push_back(Transition{shard, false, slot.epoch});
  cv_.notify_all();
}

void RedisStreamsQueue::refresh_stats() {
  std::vector<std::vector<std::string>> commands;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    commands.push_back({"XINFO", "GROUPS", keys_.stream(s)});
    commands.push_back({"XLEN", keys_.stream(s)});
  }
  try {
    auto replies = maint_conn_.pipeline(commands);
    std::uint64_t records = 0;
    bool groups_missing = false;
    for (std::size_t i = 0; i + 1 < replies.size(); i += 2) {
      const auto& groups = replies[i];
      const auto len = static_cast<std::uint64_t>(std::max(0LL, replies[i + 1].integer));
      if (groups.is_error()) {
        groups_missing = true;
        continue;
      }
      const net::RedisReply* ours = nullptr;
      for (const auto& g : groups.elements) {
        const auto* name = field(g, "name");
        if (name != nullptr && name->str == options_.group) ours = &g;
      }
      if (ours == nullptr) {
        groups_missing = true;
        records += len;
        continue;
      }
      const auto* lag = field(*ours, "lag");
      const auto* pending = field(*ours, "pending");
      if (lag != nullptr && lag->type == net::RedisReply::Type::kInteger && pending != nullptr) {
        records += static_cast<std::uint64_t>(std::max(0LL, lag->integer + pending->integer));
      } else {
        records += len;  // Redis cannot tell the lag: the untrimmed length bounds it
      }
    }
    if (groups_missing) {
      // The streams are gone (Redis restarted without AOF, or someone deleted them).
      core::log::warn("queue: consumer groups missing in Redis; creating them again");
      maint_conn_.command({"SET", keys_.shards(), std::to_string(options_.shards), "NX"});
      create_groups(maint_conn_, keys_, options_.group, options_.shards);
    }
    const std::uint64_t seen = seen_records_.load();
    const std::uint64_t avg =
        seen > 0 ? std::max<std::uint64_t>(1, seen_bytes_.load() / seen) : kDefaultRecordBytes;
    backlog_bytes_.store(records * avg);
    note_redis(true, "", "");
  } catch (const std::exception& e) {
    note_redis(false, "backlog refresh", e.what());
  }
}

void RedisStreamsQueue::trim_owned() {
  std::vector<std::uint32_t> owned;
  {
    std::lock_guard lock(mu_);
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].lease != Lease::kNone) owned.push_back(s);
    }
  }
  if (owned.empty()) return;
  try {
    // Last-delivered first, then the pending summary: an entry delivered in between has an
    // id above that last-delivered id, so the bound below never passes an unacked entry.
    std::vector<std::vector<std::string>> commands;
    for (auto s : owned) {
      commands.push_back({"XINFO", "GROUPS", keys_.stream(s)});
      commands.push_back({"XPENDING", keys_.stream(s), options_.group});
    }
    auto replies = maint_conn_.pipeline(commands);
    std::vector<std::vector<std::string>> trims;
    for (std::size_t i = 0; i < owned.size(); ++i) {
      const auto& groups = replies[2 * i];
      const auto& pending = replies[2 * i + 1];
      if (groups.is_error() || pending.is_error() || pending.elements.size() < 2) continue;
      const net::RedisReply* last = nullptr;
      for (const auto& g : groups.elements) {
        const auto* name = field(g, "name");
        if (name != nullptr && name->str == options_.group) last = field(g, "last-delivered-id");
      }
      if (last == nullptr || last->str == "0-0") continue;
      std::optional<std::string> min_id;
      if (pending.elements[0].integer > 0) {
        min_id = pending.elements[1].str;  // oldest unacked entry stays
      } else {
        min_id = next_stream_id(last->str);  // everything delivered is acked
      }
      if (!min_id) continue;
      trims.push_back({"XTRIM", keys_.stream(owned[i]), "MINID", *min_id});
    }
    if (!trims.empty()) maint_conn_.pipeline(trims);
  } catch (const std::exception& e) {
    note_redis(false, "trim", e.what());
  }
}

void RedisStreamsQueue::release_all_on_close() {
  std::vector<std::uint32_t> owned;
  bool consumed = false;
  {
    std::lock_guard lock(mu_);
    consumed = consuming_;
    for (std::uint32_t s = 0; s < slots_.size(); ++s) {
      if (slots_[s].lease != Lease::kNone) owned.push_back(s);
      slots_[s].lease = Lease::kNone;
      slots_[s].buffered.clear();
      slots_[s].delivered.clear();
    }
  }
  if (!consumed) return;
  // Make our unacked entries look long idle so the next owner takes them over at once
  // instead of after claim_idle; then free the leases and leave the consumer set.
  const std::string idle = std::to_string((options_.claim_idle + std::chrono::hours(24)).count());
  try {
    if (!owned.empty()) {
      maint_conn_.command({"PING"});
    }
    for (auto s : owned) {
      const std::string key = keys_.stream(s);
      auto pending = maint_conn_.command(
          {"XPENDING", key, options_.group, "-", "+", "100000", options_.consumer});
      if (!pending.is_error() && !pending.elements.empty()) {
        std::vector<std::string> claim = {"XCLAIM", key, options_.group, options_.consumer, "0"};
        for (const auto& p : pending.elements) {
          if (!p.elements.empty()) claim.push_back(p.elements[0].str);
        }
        claim.insert(claim.end(), {"IDLE", idle, "JUSTID"});
        maint_conn_.command(std::vector<std::string_view>(claim.begin(), claim.end()));
      }
    }
    std::vector<std::vector<std::string>> commands;
    commands.reserve(owned.size() + 1);
    for (auto s : owned) {
      commands.push_back(
          {"EVAL", std::string(kReleaseScript), "1", keys_.owner(s), options_.consumer});
    }
    commands.push_back({"ZREM", keys_.consumers(), options_.consumer});
    maint_conn_.pipeline(commands);
  } catch (const std::exception& e) {
    core::log::warn(
        fmt::format("queue: could not give back shard leases at close ({}); they expire in {} ms",
                    e.what(), options_.lease_ttl.count()));
  }
}

}  // namespace bklit::queue::redis_streams
