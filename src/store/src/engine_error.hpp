#pragma once
// What a ClickHouse failure means for whoever asked: both engines (chDB and a server over
// HTTP) report the same exception text, "Code: 60. DB::Exception: ..." (servers before 19.x
// write "Code: 60, e.displayText() = DB::Exception: ...").

#include <string_view>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store {

// The error code in an engine message; 0 when it carries none.
int clickhouse_error_code(std::string_view message);

// Whether the failure with this ClickHouse error code can go away by itself (timeouts,
// limits on concurrency or memory, replicas or Keeper unavailable); every other code is the
// engine rejecting the statement, which fails the same way again.
StoreFailure classify_clickhouse_code(int code);

// Whether an INSERT that failed with this ClickHouse error code was refused for a value in its
// rows (a parse error, a value out of range for its column type), not for the statement or
// the engine's state (StoreError::rejects_data).
bool clickhouse_code_rejects_data(int code);

}  // namespace bklit::store
