#include <gtest/gtest.h>

#include "bklit/core/event.hpp"

namespace bklit::core {
namespace {

Event sample() {
  Event e;
  e.type = EventType::kCustom;
  e.event_id = "00112233445566778899aabbccddeeff";
  e.project_id = "proj1";
  e.session_id = "1732612345678-k3j2h4g5f6d7s";
  e.visitor_id = 0xfedcba9876543210ULL;
  e.timestamp_ms = 1764151200123;
  e.received_ms = -5;  // negative values survive the zigzag encoding
  e.url = "https://shop.example/p/1?utm_source=x#h";
  e.pathname = "/p/1";
  e.country = "DE";
  e.is_bot = true;
  e.screen_width = 1920;
  e.viewport_height = 65535;
  e.tracking_id = "cta-button";
  e.metadata = {{"plan", "pro"}, {"empty", ""}, {"unicode", "\xc3\xa9t\xc3\xa9"}};
  return e;
}

TEST(EventCodec, RoundTripsEveryField) {
  Event e = sample();
  auto decoded = decode_event(encode_event(e));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->type, EventType::kCustom);
  EXPECT_EQ(decoded->event_id, e.event_id);
  EXPECT_EQ(decoded->session_id, e.session_id);
  EXPECT_EQ(decoded->visitor_id, e.visitor_id);
  EXPECT_EQ(decoded->timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(decoded->received_ms, -5);
  EXPECT_EQ(decoded->url, e.url);
  EXPECT_EQ(decoded->country, "DE");
  EXPECT_TRUE(decoded->is_bot);
  EXPECT_EQ(decoded->screen_width, 1920);
  EXPECT_EQ(decoded->viewport_height, 65535);
  EXPECT_EQ(decoded->metadata, e.metadata);
}

TEST(EventCodec, RejectsEveryTruncation) {
  std::string bytes = encode_event(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_event(std::string_view(bytes).substr(0, n)).has_value()) << n;
  }
}

TEST(EventCodec, RejectsTrailingBytesAndUnknownVersions) {
  std::string bytes = encode_event(sample());
  EXPECT_FALSE(decode_event(bytes + "x").has_value());
  std::string other = bytes;
  other[0] = 9;
  EXPECT_FALSE(decode_event(other).has_value());
  other = bytes;
  other[1] = 7;  // no such event type
  EXPECT_FALSE(decode_event(other).has_value());
}

TEST(EventCodec, PeeksTheSessionKeyWithoutDecoding) {
  Event e = sample();
  std::string bytes = encode_event(e);
  auto key = peek_session_key(bytes);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->project_id, e.project_id);
  EXPECT_EQ(key->session_id, e.session_id);
  EXPECT_FALSE(peek_session_key(std::string_view(bytes).substr(0, 3)).has_value());
  std::string other = bytes;
  other[0] = 9;
  EXPECT_FALSE(peek_session_key(other).has_value());
}

}  // namespace
}  // namespace bklit::core
