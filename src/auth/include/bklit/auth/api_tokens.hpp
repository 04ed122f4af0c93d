#pragma once
// Minting API tokens. The secret is shown to the user once; only its SHA-256 is stored, so
// a stolen database does not yield working tokens.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/appdb/app_store.hpp"

namespace bklit::auth {

// "bk_" followed by 40 base62 characters (about 238 bits of randomness).
inline constexpr std::string_view kTokenSecretPrefix = "bk_";
inline constexpr std::size_t kTokenSecretRandomChars = 40;
inline constexpr std::size_t kTokenSecretSize = kTokenSecretPrefix.size() + kTokenSecretRandomChars;
// Characters of the secret kept in clear, so a user can tell tokens apart in listings.
inline constexpr std::size_t kTokenPrefixSize = 8;

struct MintedToken {
  std::string secret;      // give to the user now; it cannot be recovered later
  appdb::ApiToken record;  // what AppStore::create_token stores
};

// Creates a fresh secret and its record (not yet stored). `scopes` is a bit set of
// appdb::Scope; `expires_ms` 0 means never.
MintedToken mint_token(std::string name, std::uint32_t scopes, std::vector<std::string> project_ids,
                       std::vector<std::string> allowed_domains = {}, std::int64_t expires_ms = 0);

// True when `secret` has the shape mint_token produces; anything else cannot be a token, so
// it is refused without a database lookup.
bool looks_like_token(std::string_view secret);

}  // namespace bklit::auth
