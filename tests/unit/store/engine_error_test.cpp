// Which engine failures mean "the rows hold a value the engine refuses" (StoreError::rejects_data),
// the signal the worker uses to set rejected rows aside instead of retrying them forever.
#include <gtest/gtest.h>

#include "bklit/store/analytics_store.hpp"

namespace bklit::store {
namespace {

bool rejects(int code) { return StoreError("x", StoreFailure::kPermanent, code).rejects_data(); }

TEST(EngineError, ValuesThatDoNotParseOrDoNotFitAreDataRejections) {
  for (int code : {6, 19, 25, 26, 27, 32, 33, 38, 41, 53, 69, 72, 117, 128, 130, 131, 321, 349}) {
    EXPECT_TRUE(rejects(code)) << code;
  }
}

TEST(EngineError, StatementAndEngineFailuresAreNot) {
  // No code (transport errors, our own checks), UNKNOWN_TABLE, SYNTAX_ERROR,
  // NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_SETTING, TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED,
  // TOO_MANY_PARTS, UNKNOWN_STATUS_OF_INSERT.
  for (int code : {0, 60, 62, 16, 115, 159, 241, 252, 319}) EXPECT_FALSE(rejects(code)) << code;
  EXPECT_FALSE(StoreError("ClickHouse unreachable", StoreFailure::kTransient).rejects_data());
}

}  // namespace
}  // namespace bklit::store
