#include "bklit/core/json.hpp"

#include <gtest/gtest.h>

#include "bklit/core/text.hpp"

namespace bklit::core {
namespace {

TEST(Json, EscapesControlQuotesAndBackslashes) {
  EXPECT_EQ(json_quote("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
}

TEST(Json, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_quote("\xc3\xa9"), "\"\xc3\xa9\"");
  EXPECT_EQ(json_quote("a\xff"
                       "b"),
            "\"a\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
  EXPECT_TRUE(is_valid_utf8(json_quote("x\xc0\xaf")));  // overlong slash
}

TEST(Json, TruncatesOnCharacterBoundaries) {
  std::string s = "ab\xc3\xa9";  // 4 bytes, last char 2 bytes
  EXPECT_EQ(utf8_truncate(s, 3), "ab");
  EXPECT_EQ(utf8_truncate(s, 4), s);
  EXPECT_EQ(utf8_truncate(s, 1), "a");
}

}  // namespace
}  // namespace bklit::core
