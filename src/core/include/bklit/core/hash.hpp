#pragma once
// The one non-cryptographic hash: 64-bit FNV-1a (offset basis 14695981039346656037, prime
// 1099511628211, bytes taken unsigned). It picks a record's queue shard and names a part of a
// batch in a dedup token; both must give the same value in every binary, so the constants
// never change. Not for anything an attacker can aim at: nothing here resists collisions.

#include <array>
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

// 16 lowercase hex digits, most significant first.
constexpr std::array<char, 16> hex16(std::uint64_t value) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::array<char, 16> out{};
  for (std::size_t i = out.size(); i-- > 0;) {
    out[i] = kDigits[value & 15U];
    value >>= 4U;
  }
  return out;
}

}  // namespace bklit::core
