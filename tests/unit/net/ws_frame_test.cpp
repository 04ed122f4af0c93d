// WebSocket framing: client frame headers, masking, server frames, close codes, handshake key.
#include "../../../src/net/src/ws_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace bklit::net::ws {
namespace {

// A masked client frame as a browser would send it.
std::string client_frame(std::uint8_t first_byte, std::string_view payload,
                         int length_form = 0 /* 0 shortest, 2 or 8 bytes forced */) {
  std::string out;
  out += static_cast<char>(first_byte);
  const std::size_t n = payload.size();
  if (length_form == 0 && n <= 125) {
    out += static_cast<char>(0x80 | n);
  } else if (length_form != 8 && n <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((std::uint64_t{n} >> s) & 0xFF);
  }
  const std::array<std::uint8_t, 4> mask{0x37, 0xfa, 0x21, 0x3d};
  out.append(reinterpret_cast<const char*>(mask.data()), 4);
  std::string body(payload);
  unmask(body.data(), body.size(), mask);  // masking and unmasking are the same XOR
  return out + body;
}

TEST(WsFrame, ParsesAMaskedTextFrameAndUnmasksIt) {
  // RFC 6455 5.7: a single-frame masked text message "Hello".
  const std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  FrameHeader h;
  std::string_view error;
  ASSERT_EQ(parse_header(wire, h, error), HeaderStatus::kComplete);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, Opcode::kText);
  EXPECT_EQ(h.payload_length, 5U);
  EXPECT_EQ(h.header_length, 6U);
  std::string payload = wire.substr(6);
  unmask(payload.data(), payload.size(), h.mask);
  EXPECT_EQ(payload, "Hello");
}

TEST(WsFrame, NeedsMoreUntilTheWholeHeaderIsThere) {
  const std::string wire = client_frame(0x81, std::string(300, 'a'));
  for (std::size_t cut = 0; cut < 8; ++cut) {
    FrameHeader h;
    std::string_view error;
    EXPECT_EQ(parse_header(std::string_view(wire).substr(0, cut), h, error),
              HeaderStatus::kNeedMore)
        << cut;
  }
  FrameHeader h;
  std::string_view error;
  ASSERT_EQ(parse_header(wire, h, error), HeaderStatus::kComplete);
  EXPECT_EQ(h.payload_length, 300U);
  EXPECT_EQ(h.header_length, 8U);
}

TEST(WsFrame, AcceptsEveryLengthEncodingAClientMayUse) {
  for (int form : {0, 2, 8}) {
    const std::string wire = client_frame(0x82, "abc", form);
    FrameHeader h;
    std::string_view error;
    ASSERT_EQ(parse_header(wire, h, error), HeaderStatus::kComplete) << form;
    EXPECT_EQ(h.payload_length, 3U);
    EXPECT_EQ(h.opcode, Opcode::kBinary);
  }
}

TEST(WsFrame, RefusesWhatAClientMayNotSend) {
  struct Case {
    std::string wire;
    const char* why;
  };
  std::string unmasked("\x81\x05hello", 7);
  std::string long_length = client_frame(0x81, "x", 8);
  long_length[2] = static_cast<char>(0x80);  // top bit of the 64-bit length
  const Case cases[] = {
      {unmasked, "masked"},
      {client_frame(0xC1, "x"), "reserved"},           // RSV1 without permessage-deflate
      {client_frame(0x83, "x"), "opcode"},             // 0x3 is reserved
      {client_frame(0x89 & 0x7F, "x"), "fragmented"},  // ping without FIN
      {client_frame(0x89, std::string(126, 'p')), "125"},
      {long_length, "range"},
  };
  for (const auto& c : cases) {
    FrameHeader h;
    std::string_view error;
    EXPECT_EQ(parse_header(c.wire, h, error), HeaderStatus::kProtocolError) << c.why;
    EXPECT_NE(error.find(c.why), std::string_view::npos) << error;
  }
}

TEST(WsFrame, UnmaskingInPiecesEqualsUnmaskingAtOnce) {
  const std::array<std::uint8_t, 4> mask{1, 2, 3, 250};
  std::string whole = "the quick brown fox jumps over the lazy dog";
  std::string pieces = whole;
  unmask(whole.data(), whole.size(), mask);
  unmask(pieces.data(), 5, mask, 0);
  unmask(pieces.data() + 5, 11, mask, 5);
  unmask(pieces.data() + 16, pieces.size() - 16, mask, 16);
  EXPECT_EQ(whole, pieces);
}

TEST(WsFrame, ServerFramesAreUnmaskedWithTheShortestLength) {
  std::string out;
  append_frame(out, Opcode::kText, R"({"type":"ack"})");
  EXPECT_EQ(out.substr(0, 2), std::string("\x81\x0e", 2));
  EXPECT_EQ(out.substr(2), R"({"type":"ack"})");

  out.clear();
  append_frame(out, Opcode::kText, std::string(200, 'z'));
  EXPECT_EQ(out.substr(0, 4), std::string("\x81\x7e\x00\xc8", 4));
  EXPECT_EQ(out.size(), 204U);

  out.clear();
  append_frame(out, Opcode::kText, std::string(70000, 'z'));
  EXPECT_EQ(out.substr(0, 10), std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
}

TEST(WsFrame, CloseFramesCarryCodeAndAReasonCutAtACharacter) {
  std::string out;
  append_close_frame(out, 1009, "message larger than 32768 bytes");
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x88);
  EXPECT_EQ(static_cast<unsigned char>(out[2]), 1009 >> 8);
  EXPECT_EQ(static_cast<unsigned char>(out[3]), 1009 & 0xFF);
  EXPECT_EQ(out.substr(4), "message larger than 32768 bytes");

  // 61 two-byte characters = 122 bytes, then one more: the cut must not split it.
  std::string reason;
  for (int i = 0; i < 70; ++i) reason += "\xc3\xa9";
  out.clear();
  append_close_frame(out, 1000, reason);
  const std::size_t payload = static_cast<unsigned char>(out[1]);
  EXPECT_LE(payload, 125U);
  EXPECT_EQ((payload - 2) % 2, 0U) << "a two-byte character was split";
}

TEST(WsFrame, CloseCodesFromClients) {
  EXPECT_EQ(close_code_of(""), kCloseNoStatus);
  EXPECT_EQ(close_code_of("\x03"), kCloseProtocolError);
  EXPECT_EQ(close_code_of(std::string("\x03\xe8", 2)), 1000);
  EXPECT_EQ(close_code_of(std::string("\x03\xe9"
                                      "bye",
                                      5)),
            1001);
  EXPECT_EQ(close_code_of(std::string("\x0f\xa0", 2)), 4000);
  // 1005 and 1006 are never on the wire; 999 and 5000 are not codes.
  EXPECT_EQ(close_code_of(std::string("\x03\xed", 2)), kCloseProtocolError);
  EXPECT_EQ(close_code_of(std::string("\x03\xee", 2)), kCloseProtocolError);
  EXPECT_EQ(close_code_of(std::string("\x03\xe7", 2)), kCloseProtocolError);
  EXPECT_EQ(close_code_of(std::string("\x13\x88", 2)), kCloseProtocolError);
}

TEST(WsFrame, HandshakeAcceptKey) {
  // The example of RFC 6455 section 1.3.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(valid_client_key(""));
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25jZQ=!"));
  EXPECT_FALSE(valid_client_key("dGhlIHNhbXBsZSBub25j*Q=="));
}

}  // namespace
}  // namespace bklit::net::ws
