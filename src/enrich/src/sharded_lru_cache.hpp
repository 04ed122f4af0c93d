#pragma once
// A bounded string-keyed LRU cache split into shards, each with its own mutex, so that
// I/O threads rarely wait on each other. Lookups by string_view do not allocate.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace bklit::enrich {

template <typename Value>
class ShardedLruCache {
 public:
  static constexpr std::size_t kShards = 16;

  explicit ShardedLruCache(std::size_t capacity)
      : shard_capacity_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards),
        shards_(std::make_unique<Shard[]>(kShards)) {}

  bool enabled() const { return shard_capacity_ > 0; }

  std::optional<Value> get(std::string_view key) const {
    if (!enabled()) return std::nullopt;
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) {
      ++shard.misses;
      return std::nullopt;
    }
    ++shard.hits;
    shard.order.splice(shard.order.begin(), shard.order, it->second);
    return it->second->second;
  }

  void put(std::string_view key, const Value& value) const {
    if (!enabled()) return;
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mutex);
    if (shard.index.contains(key)) return;  // another thread got there first
    if (shard.index.size() >= shard_capacity_) {
      // Reuse the evicted node's string buffer instead of freeing it.
      auto last = std::prev(shard.order.end());
      shard.index.erase(std::string_view(last->first));
      last->first.assign(key);
      last->second = value;
      shard.order.splice(shard.order.begin(), shard.order, last);
    } else {
      shard.order.emplace_front(std::string(key), value);
    }
    shard.index.emplace(std::string_view(shard.order.front().first), shard.order.begin());
  }

  struct Stats {
    std::uint64_t hits = 0, misses = 0;
    std::size_t entries = 0;
  };

  Stats stats() const {
    Stats total;
    for (std::size_t i = 0; i < kShards; ++i) {
      std::lock_guard lock(shards_[i].mutex);
      total.hits += shards_[i].hits;
      total.misses += shards_[i].misses;
      total.entries += shards_[i].index.size();
    }
    return total;
  }

 private:
  using Entry = std::pair<std::string, Value>;
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> order;  // most recently used first; keys in index point into it
    std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index;
    std::uint64_t hits = 0, misses = 0;
  };

  Shard& shard_for(std::string_view key) const {
    // The top bits pick the shard so that the map inside, which uses the low bits of the
    // same hash, still sees them spread out.
    std::size_t h = std::hash<std::string_view>{}(key);
    return shards_[(h >> 56) % kShards];
  }

  std::size_t shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace bklit::enrich
