#pragma once
// The embedded AnalyticsStore: chDB (ClickHouse in-process) on local disk, loaded at run
// time from libchdb.so so that binaries which never open it do not need the library.

#include <memory>
#include <string>

#include "bklit/core/result.hpp"
#include "bklit/store/analytics_store.hpp"

namespace bklit::store {

// Opens (creating if needed) the store in `data_path`. chDB allows one data path per
// process: opening the same path again shares the one connection, another path fails.
// `library_path` empty = find_chdb_library(). Statements are serialized on the single
// connection. chDB's own crash-signal handlers are disabled and every signal disposition the
// process had before opening is restored, so SIGINT/SIGTERM stay with the caller.
core::Result<std::unique_ptr<AnalyticsStore>> open_chdb_store(const std::string& data_path,
                                                              const std::string& library_path);

// First existing of: <exe dir>/libchdb.so, <exe dir>/../node_modules/@chdb/lib-linux-x64-gnu/
// libchdb.so, the same two and three levels up, ./node_modules/...; empty when none exists.
std::string find_chdb_library();

}  // namespace bklit::store
