#pragma once
// The one non-cryptographic hash: 64-bit FNV-1a (offset basis 14695981039346656037, prime
// 1099511628211, bytes taken unsigned). It picks a record's queue shard and names a part of a
// batch in a dedup token; both must give the same value in every binary, so the constants
// never change. Not for anything an attacker can aim at: nothing here resists collisions.

#include <cstdint>
#include <string_view>

namespace bklit::core {

inline constexpr std::uint64_t kFnv1aOffset = 14695981039346656037ULL;

// Continues a hash over more bytes: fnv1a(fnv1a(kFnv1aOffset, a), b) is the hash of a + b.
constexpr std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  constexpr std::uint64_t kPrime = 1099511628211ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return hash;
}

constexpr std::uint64_t fnv1a(std::string_view bytes) { return fnv1a(kFnv1aOffset, bytes); }

}  // namespace bklit::core
