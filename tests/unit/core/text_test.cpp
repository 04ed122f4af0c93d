#include "bklit/core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bklit::core {
namespace {

TEST(PercentDecode, EscapesAndPlus) {
  EXPECT_EQ(percent_decode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(percent_decode("caf%c3%A9", false), "caf\xC3\xA9");  // either hex case
  EXPECT_EQ(percent_decode("a+b%2B", true), "a b+");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("%00", false), std::string(1, '\0'));
}

TEST(PercentDecode, BrokenEscapesStayLiteral) {
  EXPECT_EQ(percent_decode("100%", false), "100%");
  EXPECT_EQ(percent_decode("%4", false), "%4");
  EXPECT_EQ(percent_decode("%zz%4g", false), "%zz%4g");
  EXPECT_EQ(percent_decode("%%41", false), "%A");
  EXPECT_EQ(percent_decode("%41%", false), "A%");
}

TEST(Trim, ControlsAndSpacesAtBothEnds) {
  EXPECT_EQ(trim(" \t\r\n a b \x01\x7f "), "a b \x01\x7f");  // DEL is not trimmed
  EXPECT_EQ(trim("\t\n "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Ascii, CaseHelpers) {
  EXPECT_EQ(ascii_lowered("HeLLo-\xC3\x89"), "hello-\xC3\x89");  // non-ASCII untouched
  EXPECT_TRUE(iequals("HTTPS", "https"));
  EXPECT_FALSE(iequals("https", "http"));
  EXPECT_TRUE(istarts_with("UTM_source", "utm_"));
  EXPECT_FALSE(istarts_with("ut", "utm_"));
}

TEST(Utf8, WellFormedSequences) {
  for (const char* valid : {"", "ascii", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                            "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBD"}) {
    EXPECT_TRUE(is_valid_utf8(valid)) << valid;
  }
  for (const char* invalid : {
           "\x80",              // lone continuation byte
           "\xC0\xAF",          // overlong '/'
           "\xC1\xBF",          // overlong
           "\xE0\x80\xAF",      // overlong, 3 bytes
           "\xF0\x80\x80\xAF",  // overlong, 4 bytes
           "\xED\xA0\x80",      // UTF-16 surrogate
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xF5\x80\x80\x80",  // never a lead byte
           "\xFF",              //
           "\xE2\x82",          // cut short
           "a\xC3",             // cut short at the end
           "\xC3\x28",          // continuation missing
       }) {
    EXPECT_FALSE(is_valid_utf8(invalid)) << testing::PrintToString(std::string(invalid));
  }
}

TEST(Utf8, LengthAndTruncation) {
  EXPECT_EQ(utf8_length("caf\xC3\xA9"), 4u);
  EXPECT_EQ(utf8_length("a\xFF"
                        "b"),
            3u);  // an invalid byte counts as one
  const std::string s = "ab\xC3\xA9";
  EXPECT_EQ(utf8_truncate(s, 3), "ab");  // never half a character
  EXPECT_EQ(utf8_truncate(s, 4), s);
  EXPECT_EQ(utf8_truncate(s, 0), "");
  EXPECT_EQ(utf8_truncate("\xF0\x9F\x98\x80", 3), "");
}

TEST(CleanText, StorableText) {
  EXPECT_EQ(clean_text(std::string("\0evil\n\xFF", 7), 100), "evil");
  EXPECT_EQ(clean_text("a\tb", 100), "a b");
  EXPECT_EQ(clean_text("  spaced  ", 100), "spaced");
  EXPECT_EQ(clean_text("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");  // cut between characters
  EXPECT_EQ(clean_text("\xED\xA0\x80ok", 100), "ok");        // a surrogate is dropped
  EXPECT_TRUE(is_valid_utf8(clean_text("\xC3\x28\xE2\x82", 100)));
}

}  // namespace
}  // namespace bklit::core
