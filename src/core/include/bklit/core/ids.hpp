#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace bklit::core {

// Cryptographically random identifiers (libsodium's randombytes).
std::string random_hex(std::size_t bytes);          // 2*bytes lowercase hex chars
std::string random_base62(std::size_t chars);       // [0-9A-Za-z]
std::string random_lower_alnum(std::size_t chars);  // [0-9a-z], for project ids

std::string to_hex(std::string_view bytes);
// SHA-256 of text, lowercase hex; used to store API tokens only as hashes.
std::string sha256_hex(std::string_view text);

}  // namespace bklit::core
