#pragma once
// WebSocket framing (RFC 6455, section 5) for the server side: parsing the masked frames a
// client sends and encoding the unmasked frames a server sends. No I/O and no Asio here, so
// the parser is unit-tested and fuzzed on its own (tests/unit/net, tests/fuzz/net).
//
// Why our own framing instead of Beast's websocket stream: the SDK socket is the ingest hot
// path, and Beast reads and writes one message per asynchronous operation. Here one read
// hands every frame that has arrived to the application at once, and every queued frame
// leaves in one write (docs/architecture.md, "Ingest hot path").

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bklit::net::ws {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes used by the server (RFC 6455, 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseNoStatus = 1005;     // never sent: "no code in the frame"
inline constexpr std::uint16_t kCloseAbnormal = 1006;     // never sent: "no close frame at all"
inline constexpr std::uint16_t kCloseInvalidData = 1007;  // text that is not UTF-8
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;

// One complete frame header as read from a client.
struct FrameHeader {
  bool fin = false;
  Opcode opcode = Opcode::kContinuation;
  std::uint64_t payload_length = 0;
  std::array<std::uint8_t, 4> mask{};
  std::size_t header_length = 0;  // bytes before the payload
};

enum class HeaderStatus {
  kComplete,  // `out` holds the header
  kNeedMore,  // not enough bytes yet
  kProtocolError,
};

// Parses the frame header at the start of `data`. Checks what RFC 6455 requires of a
// client frame: reserved bits clear (no extension is negotiated), a known opcode, the mask
// bit set, the shortest length encoding is not required (clients may use longer ones),
// the 64-bit length's top bit clear, control frames final and at most 125 bytes.
// On kProtocolError, `error` says what was wrong (for the close reason).
HeaderStatus parse_header(std::string_view data, FrameHeader& out, std::string_view& error);

// XORs `payload` in place with the mask, starting at mask offset `offset` (a payload may be
// unmasked in pieces).
void unmask(char* payload, std::size_t size, const std::array<std::uint8_t, 4>& mask,
            std::size_t offset = 0);

// Appends one unmasked server frame (FIN set) to `out`.
void append_frame(std::string& out, Opcode opcode, std::string_view payload);

// Appends a close frame with `code` and `reason` (cut to fit the 125-byte control payload
// at a UTF-8 boundary).
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

// The close code in a client's close payload: kCloseNoStatus when empty, kCloseProtocolError
// when the payload is one byte or the code is not one a peer may send.
std::uint16_t close_code_of(std::string_view payload);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of SHA-1 of key + the RFC's GUID).
std::string accept_key(std::string_view client_key);

// True when `key` is the base64 form of 16 bytes, as RFC 6455 4.1 requires of the client.
bool valid_client_key(std::string_view key);

}  // namespace bklit::net::ws
