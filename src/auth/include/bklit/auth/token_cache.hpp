#pragma once
// Checks API tokens on the ingest and API paths. Lookups go by the secret's SHA-256, so no
// secret is ever compared byte by byte, and their results (found or not) are cached for a
// short time: a revoked token stops working within one ttl.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bklit/appdb/app_store.hpp"
#include "bklit/core/result.hpp"

namespace bklit::auth {

class TokenVerifier {
 public:
  // Why a token was refused. The first four answer HTTP 401 (not a valid token), the last
  // two 403 (a valid token used where it does not apply).
  enum class Denial {
    kMissing,
    kUnknown,
    kExpired,
    kRevoked,
    kWrongProject,
    kMissingScope,
  };

  static constexpr std::size_t kDefaultCapacity = 10000;

  // `store` must outlive the verifier. At most `capacity` found and `capacity` unknown
  // tokens are cached, kept apart so that a flood of made-up tokens cannot push out the
  // real ones.
  TokenVerifier(appdb::AppStore& store, std::chrono::milliseconds ttl,
                std::size_t capacity = kDefaultCapacity);

  // The token behind `secret` if it may act on `project_id` with scope `needed` at
  // `now_ms`; otherwise error_for(denial). Thread-safe; the store is queried without
  // holding the cache lock. Store failures propagate as exceptions.
  // The token is shared with the cache (no copy per check: this runs for every event).
  core::Result<std::shared_ptr<const appdb::ApiToken>> verify(std::string_view secret,
                                                              const std::string& project_id,
                                                              appdb::Scope needed,
                                                              std::int64_t now_ms);

  // The user-facing error of a denial; its code is stable ("token_expired", ...).
  static core::Error error_for(Denial denial, appdb::Scope needed = appdb::Scope::kIngest);

  // Drops what is cached for a token (by hash), e.g. right after this process revoked it.
  void invalidate(const std::string& hash);

 private:
  struct Entry {
    std::shared_ptr<const appdb::ApiToken> token;  // null: no such token
    std::int64_t fetched_ms = 0;
  };
  using Map = std::unordered_map<std::string, Entry>;

  void remember(Map& map, std::string hash, Entry entry, std::int64_t now_ms);

  appdb::AppStore& store_;
  const std::int64_t ttl_ms_;
  const std::size_t capacity_;
  std::mutex mutex_;
  Map found_;
  Map unknown_;
};

}  // namespace bklit::auth
