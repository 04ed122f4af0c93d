#include "bklit/auth/token_cache.hpp"

#include <algorithm>
#include <utility>

#include "bklit/auth/api_tokens.hpp"
#include "bklit/core/ids.hpp"

namespace bklit::auth {

TokenVerifier::TokenVerifier(appdb::AppStore& store, std::chrono::milliseconds ttl,
                             std::size_t capacity)
    : store_(store), ttl_ms_(ttl.count()), capacity_(std::max<std::size_t>(capacity, 1)) {}

core::Error TokenVerifier::error_for(Denial denial, appdb::Scope needed) {
  switch (denial) {
    case Denial::kMissing:
      return core::make_error("token_missing", "This project requires an API token.", 401);
    case Denial::kUnknown:
      return core::make_error("token_invalid",
                              "The API token is not valid; check that it was copied in full.", 401);
    case Denial::kExpired:
      return core::make_error("token_expired",
                              "The API token has expired; create a new one for this project.", 401);
    case Denial::kRevoked:
      return core::make_error("token_revoked",
                              "The API token has been revoked; create a new one for this project.",
                              401);
    case Denial::kWrongProject:
      return core::make_error("token_wrong_project",
                              "The API token is not assigned to this project.", 403);
    case Denial::kMissingScope:
      return core::make_error("token_missing_scope",
                              needed == appdb::Scope::kIngest
                                  ? "The API token does not allow sending events; use an "
                                    "ingest token."
                                  : "The API token does not allow reading statistics; use a "
                                    "read token.",
                              403);
  }
  return core::make_error("token_invalid", "The API token is not valid.", 401);
}

core::Result<std::shared_ptr<const appdb::ApiToken>> TokenVerifier::verify(
    std::string_view secret, const std::string& project_id, appdb::Scope needed,
    std::int64_t now_ms) {
  if (secret.empty()) {
    return error_for(Denial::kMissing, needed);
  }
  if (!looks_like_token(secret)) {
    return error_for(Denial::kUnknown, needed);
  }
  std::string hash = core::sha256_hex(secret);

  std::shared_ptr<const appdb::ApiToken> token;
  bool cached = false;
  {
    std::lock_guard lock(mutex_);
    for (Map* map : {&found_, &unknown_}) {
      const auto it = map->find(hash);
      if (it == map->end()) {
        continue;
      }
      if (now_ms - it->second.fetched_ms < ttl_ms_) {
        token = it->second.token;
        cached = true;
      } else {
        map->erase(it);
      }
      break;
    }
  }
  if (!cached) {
    // Concurrent misses on one token may each query the store; that is rare and harmless,
    // while holding the lock across a database call would stall every other check.
    std::optional<appdb::ApiToken> fetched = store_.find_token_by_hash(hash);
    if (fetched) {
      token = std::make_shared<const appdb::ApiToken>(std::move(*fetched));
    }
    std::lock_guard lock(mutex_);
    (token ? unknown_ : found_).erase(hash);
    remember(token ? found_ : unknown_, std::move(hash), Entry{token, now_ms}, now_ms);
  }

  if (!token) {
    return error_for(Denial::kUnknown, needed);
  }
  if (token->revoked) {
    return error_for(Denial::kRevoked, needed);
  }
  if (token->expires_ms != 0 && now_ms >= token->expires_ms) {
    return error_for(Denial::kExpired, needed);
  }
  if (std::find(token->project_ids.begin(), token->project_ids.end(), project_id) ==
      token->project_ids.end()) {
    return error_for(Denial::kWrongProject, needed);
  }
  if (!token->has_scope(needed)) {
    return error_for(Denial::kMissingScope, needed);
  }
  return token;
}

void TokenVerifier::remember(Map& map, std::string hash, Entry entry, std::int64_t now_ms) {
  if (map.size() >= capacity_ && !map.contains(hash)) {
    std::erase_if(map,
                  [&](const auto& item) { return now_ms - item.second.fetched_ms >= ttl_ms_; });
    // Still full of fresh entries: start over rather than scan again on every insert.
    if (map.size() >= capacity_) {
      map.clear();
    }
  }
  map.insert_or_assign(std::move(hash), std::move(entry));
}

void TokenVerifier::invalidate(const std::string& hash) {
  std::lock_guard lock(mutex_);
  found_.erase(hash);
  unknown_.erase(hash);
}

}  // namespace bklit::auth
