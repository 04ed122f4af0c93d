#pragma once
// POST /api/v2/query: the Stats API in the request/response shape of Plausible's v2,
// authorized by a read token of the project named by site_id.

#include "bklit/appdb/app_store.hpp"
#include "bklit/auth/token_cache.hpp"
#include "bklit/core/thread_pool.hpp"
#include "bklit/net/http.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::api {

struct StatsDeps {
  appdb::AppStore* app = nullptr;
  auth::TokenVerifier* tokens = nullptr;
  store::AnalyticsStore* analytics = nullptr;
  core::ThreadPool* blocking = nullptr;  // queries never run on an I/O thread
};

void handle_stats_query(const StatsDeps& deps, net::HttpRequest&& request, net::Responder respond);

// "Bearer <token>" -> token, else empty.
std::string bearer_token(const net::HttpRequest& request);

}  // namespace bklit::api
