#pragma once
// Process-wide handle on libchdb.so, loaded with dlopen on first use and never unloaded
// (the engine keeps global state and threads that must outlive every connection).

#include <string>

#include "bklit/core/result.hpp"
#include "chdb/chdb_api.hpp"

namespace bklit::store::chdb {

struct ChdbLibrary {
  std::string path;
  ChdbConnectFn connect = nullptr;
  ChdbCloseConnFn close_conn = nullptr;
  ChdbQueryNFn query_n = nullptr;
  ChdbResultErrorFn result_error = nullptr;
  ChdbResultBufferFn result_buffer = nullptr;
  ChdbResultLengthFn result_length = nullptr;
  ChdbDestroyQueryResultFn destroy_query_result = nullptr;
  ChdbSetSignalHandlersEnabledFn set_signal_handlers_enabled = nullptr;  // may be null
};

// Loads the library at `path` (once per process; a second call with another path fails).
core::Result<const ChdbLibrary*> load_chdb_library(const std::string& path);

}  // namespace bklit::store::chdb
