#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bklit::core {

// Cryptographically random identifiers (libsodium's randombytes).
std::string random_hex(std::size_t bytes);          // 2*bytes lowercase hex chars
std::string random_base62(std::size_t chars);       // [0-9A-Za-z]
std::string random_lower_alnum(std::size_t chars);  // [0-9a-z], for project ids

std::string to_hex(std::string_view bytes);

// Appends `value` as 16 lowercase hex digits, most significant first (inline: ingest names
// every event this way).
inline void append_hex16(std::string& out, std::uint64_t value) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  const std::size_t at = out.size();
  out.resize(at + 16);
  for (std::size_t i = 16; i-- > 0;) {
    out[at + i] = kDigits[value & 15U];
    value >>= 4U;
  }
}
// SHA-256 of text, lowercase hex; used to store API tokens only as hashes.
std::string sha256_hex(std::string_view text);

}  // namespace bklit::core
