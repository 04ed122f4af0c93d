#include "bklit/auth/api_tokens.hpp"

#include <algorithm>
#include <utility>

#include "bklit/core/clock.hpp"
#include "bklit/core/ids.hpp"

namespace bklit::auth {

namespace {

bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

MintedToken mint_token(std::string name, std::uint32_t scopes, std::vector<std::string> project_ids,
                       std::vector<std::string> allowed_domains, std::int64_t expires_ms) {
  MintedToken minted;
  minted.secret.reserve(kTokenSecretSize);
  minted.secret.append(kTokenSecretPrefix);
  minted.secret.append(core::random_base62(kTokenSecretRandomChars));

  appdb::ApiToken& record = minted.record;
  record.id = core::random_lower_alnum(20);
  record.prefix = minted.secret.substr(0, kTokenPrefixSize);
  record.hash = core::sha256_hex(minted.secret);
  record.name = std::move(name);
  record.scopes = scopes;
  record.project_ids = std::move(project_ids);
  record.allowed_domains = std::move(allowed_domains);
  record.expires_ms = expires_ms;
  record.created_ms = core::now_ms();
  record.revoked = false;
  return minted;
}

bool looks_like_token(std::string_view secret) {
  if (secret.size() != kTokenSecretSize || !secret.starts_with(kTokenSecretPrefix)) {
    return false;
  }
  return std::ranges::all_of(secret.substr(kTokenSecretPrefix.size()), is_base62);
}

}  // namespace bklit::auth
