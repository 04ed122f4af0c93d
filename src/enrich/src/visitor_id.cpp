#include "bklit/enrich/visitor_id.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace bklit::enrich {

namespace {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialize");
}

void append_field(std::string& out, std::string_view field) {
  // Length prefix, so ("ab","c") and ("a","bc") hash differently.
  auto n = static_cast<std::uint64_t>(field.size());
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  out.append(reinterpret_cast<const char*>(len), sizeof(len));
  out.append(field);
}

}  // namespace

std::uint64_t compute_visitor_id(std::string_view salt, std::string_view project_id,
                                 std::string_view client_ip, std::string_view user_agent) {
  ensure_sodium();
  // The salt changes once a day, so the derived key is remembered per thread.
  thread_local std::string cached_salt;
  thread_local unsigned char key[crypto_shorthash_KEYBYTES];
  thread_local bool have_key = false;
  if (!have_key || cached_salt != salt) {
    static_assert(crypto_shorthash_KEYBYTES >= crypto_generichash_BYTES_MIN);
    crypto_generichash(key, crypto_shorthash_KEYBYTES,
                       reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                       reinterpret_cast<const unsigned char*>("bklit-visitor-id"), 16);
    cached_salt.assign(salt);
    have_key = true;
  }

  thread_local std::string message;
  message.clear();
  append_field(message, project_id);
  append_field(message, client_ip);
  append_field(message, user_agent);

  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                   key);
  if (message.capacity() > 65536) std::string().swap(message);  // do not pin a huge input
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id |= static_cast<std::uint64_t>(out[i]) << (8 * i);
  return id;
}

}  // namespace bklit::enrich
