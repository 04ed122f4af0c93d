// libFuzzer: client WebSocket frames (tests/fuzz/CMakeLists.txt has the command line).
// Walks the input as a stream of frames the way ws_connection.cpp does and checks the
// invariants the connection relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "../../../src/net/src/ws_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bklit::net::ws;
  std::string buffer(reinterpret_cast<const char*>(data), size);
  std::size_t pos = 0;
  while (pos < buffer.size()) {
    FrameHeader h;
    std::string_view error;
    auto status = parse_header(std::string_view(buffer).substr(pos), h, error);
    if (status != HeaderStatus::kComplete) {
      if (status == HeaderStatus::kProtocolError && error.empty()) std::abort();
      break;
    }
    if (h.header_length < 6 || h.header_length > 14) std::abort();
    if (static_cast<std::uint8_t>(h.opcode) >= 0x8 && (h.payload_length > 125 || !h.fin)) {
      std::abort();
    }
    if (h.payload_length > buffer.size() - pos - h.header_length) break;
    auto length = static_cast<std::size_t>(h.payload_length);
    unmask(buffer.data() + pos + h.header_length, length, h.mask);
    if (h.opcode == Opcode::kClose) {
      auto code = close_code_of(std::string_view(buffer).substr(pos + h.header_length, length));
      if (code < 1000 || code >= 5000) std::abort();
    }
    pos += h.header_length + length;
  }
  std::string out;
  append_frame(out, Opcode::kText, std::string_view(reinterpret_cast<const char*>(data), size));
  append_close_frame(out, 1000, std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
