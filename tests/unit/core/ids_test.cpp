#include "bklit/core/ids.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bklit::core {
namespace {

TEST(AppendHex16, MostSignificantFirstAfterWhatIsThere) {
  std::string out = "p-";
  append_hex16(out, 0x0123456789abcdefULL);
  EXPECT_EQ(out, "p-0123456789abcdef");
  std::string zero;
  append_hex16(zero, 0);
  EXPECT_EQ(zero, "0000000000000000");
}

}  // namespace
}  // namespace bklit::core
