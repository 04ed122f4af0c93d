#include "bklit/core/error_json.hpp"

#include <gtest/gtest.h>

namespace bklit::core {
namespace {

TEST(ErrorJson, OneShapeForBodiesAndFrames) {
  EXPECT_EQ(error_json("invalid_json", "the body is not JSON"),
            R"({"code":"invalid_json","message":"the body is not JSON"})");
  EXPECT_EQ(error_json("query_failed", "rejected", "0a1b"),
            R"({"code":"query_failed","message":"rejected","request_id":"0a1b"})");
  EXPECT_EQ(error_frame("rate_limited", "slow \"down\""),
            R"({"type":"error","code":"rate_limited","message":"slow \"down\""})");
  std::string entry = R"({"index":0,"status":"rejected",)";
  append_error_fields(entry, "invalid_field", "data.url: bad");
  EXPECT_EQ(entry,
            R"({"index":0,"status":"rejected","code":"invalid_field","message":"data.url: bad")");
}

}  // namespace
}  // namespace bklit::core
