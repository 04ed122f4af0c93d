#include "bklit/core/ids.hpp"

#include <openssl/sha.h>
#include <sodium.h>

#include <array>
#include <stdexcept>

namespace bklit::core {
namespace {

void ensure_sodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) throw std::runtime_error("libsodium failed to initialize");
}

std::string random_from_alphabet(std::size_t chars, std::string_view alphabet) {
  ensure_sodium();
  std::string out(chars, '\0');
  for (auto& c : out) {
    c = alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return out;
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return to_hex(raw);
}

std::string random_base62(std::size_t chars) {
  return random_from_alphabet(chars,
                              "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}

std::string random_lower_alnum(std::size_t chars) {
  return random_from_alphabet(chars, "0123456789abcdefghijklmnopqrstuvwxyz");
}

std::string sha256_hex(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace bklit::core
