#pragma once
// One chDB store per test executable (chDB allows one data path per process), opened in a
// fresh temporary folder with the schema applied. Tests use distinct project ids.

#include <string>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store::testing {

AnalyticsStore& shared_store();
const std::string& shared_store_path();

}  // namespace bklit::store::testing
