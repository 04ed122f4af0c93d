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
  ASSERT_TRUE(decoded);
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
    auto decoded = decode_event(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(decoded) << n;
    EXPECT_EQ(decoded.error().code, "record_undecodable");
  }
}

// The reason lands in the dead-letter listing, so it must say what is wrong.
std::string reason(std::string_view bytes) {
  auto decoded = decode_event(bytes);
  return decoded ? "decoded" : decoded.error().message;
}

TEST(EventCodec, RejectsTrailingBytesAndUnknownVersionsWithAReason) {
  std::string bytes = encode_event(sample());
  EXPECT_EQ(reason(bytes + "xy"), "2 unexpected bytes after field 'metadata' (42 of 42)");
  std::string other = bytes;
  other[0] = 9;
  EXPECT_EQ(reason(other),
            "unknown record format version 9 (this build reads versions 1 and 2; a newer bklit "
            "may have written it)");
  other = bytes;
  other[1] = 7;
  EXPECT_EQ(reason(other), "unknown event type 7");
  EXPECT_EQ(reason(""), "empty record");
  EXPECT_EQ(reason("garbage"),
            "unknown record format version 103 (this build reads versions 1 "
            "and 2; a newer bklit may have written it)");
}

TEST(EventCodec, NamesTheFieldWhereARecordIsCut) {
  Event e = sample();
  std::string bytes = encode_event(e);
  const std::size_t url_at = bytes.find(e.url);
  ASSERT_NE(url_at, std::string::npos);
  EXPECT_EQ(reason(std::string_view(bytes).substr(0, url_at + 5)),
            "field 'url' (7 of 42) is truncated or malformed");
}

TEST(EventCodec, WritesVersion2WithItsFieldCount) {
  std::string bytes = encode_event(sample());
  EXPECT_EQ(bytes[0], 2);
  EXPECT_EQ(bytes[1], static_cast<char>(EventType::kCustom));
  EXPECT_EQ(bytes[2], 42);
}

// A later bklit appends a field: its records carry one more field than this build knows.
// This build reads them and ignores the field, so a rolling upgrade can run both.
TEST(EventCodec, ReadsARecordWithAFieldAppendedByANewerWriter) {
  Event e = sample();
  std::string bytes = encode_event(e);
  bytes[2] = 43;
  bytes += std::string("\x05later", 6);  // a string field this build does not know
  auto decoded = decode_event(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(*decoded == e);
  auto key = peek_session_key(bytes);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->session_id, e.session_id);
}

// The other direction, as the next version's decoder meets today's records: a record with
// fewer fields than the decoder knows gets the defaults for the rest. Simulated here with a
// record that lacks the last field this build knows (metadata).
TEST(EventCodec, GivesFieldsMissingFromAnOlderRecordTheirDefaults) {
  Event e = sample();
  e.metadata.clear();
  std::string bytes = encode_event(e);
  ASSERT_EQ(bytes.back(), '\x00') << "no metadata: the last field is one byte";
  bytes.pop_back();
  bytes[2] = 41;
  auto decoded = decode_event(bytes);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_TRUE(*decoded == e);
  // Fewer fields than announced is still a truncation.
  bytes[2] = 42;
  EXPECT_EQ(reason(bytes), "field 'metadata' (42 of 42) is truncated or malformed");
}

// The worker decodes each batch into the Events of an earlier one: what the new record does
// not hold must not survive from the old event.
TEST(EventCodec, DecodingIntoAUsedEventLeavesNothingOfIt) {
  Event used = sample();
  used.hostname = "old.example";
  used.is_new_visitor = true;
  used.metadata = {{"old", "pair"}};

  Event other;
  other.type = EventType::kPageview;
  other.event_id = "ffeeddccbbaa99887766554433221100";
  other.project_id = "proj2";
  other.session_id = "s";
  other.timestamp_ms = 7;
  ASSERT_TRUE(decode_event_into(encode_event(other), used));
  EXPECT_TRUE(used == other);

  // An older record (without its last field) into the used event: the default for it.
  used = sample();
  Event older = sample();
  older.metadata.clear();
  std::string bytes = encode_event(older);
  bytes.pop_back();
  bytes[2] = 41;
  ASSERT_TRUE(decode_event_into(bytes, used));
  EXPECT_TRUE(used == older);

  EXPECT_FALSE(decode_event_into(bytes.substr(0, 10), used));
}

TEST(EventCodec, PeeksTheSessionKeyWithoutDecoding) {
  Event e = sample();
  std::string bytes = encode_event(e);
  auto key = peek_session_key(bytes);
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->project_id, e.project_id);
  EXPECT_EQ(key->session_id, e.session_id);
  EXPECT_FALSE(peek_session_key(std::string_view(bytes).substr(0, 4)).has_value());
  std::string other = bytes;
  other[0] = 9;
  EXPECT_FALSE(peek_session_key(other).has_value());
  other = bytes;
  other[2] = 2;  // fewer fields than the session key needs
  EXPECT_FALSE(peek_session_key(other).has_value());
}

}  // namespace
}  // namespace bklit::core
