#include "ws_frame.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstring>

namespace bklit::net::ws {

namespace {

bool known_opcode(std::uint8_t op) {
  return op == 0x0 || op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA;
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                      std::uint32_t{data[i + 2]};
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size - i == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (size - i == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void append_header(std::string& out, Opcode opcode, std::size_t length) {
  out += static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));
  if (length <= 125) {
    out += static_cast<char>(length);
  } else if (length <= 0xFFFF) {
    out += static_cast<char>(126);
    out += static_cast<char>((length >> 8) & 0xFF);
    out += static_cast<char>(length & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out += static_cast<char>((static_cast<std::uint64_t>(length) >> shift) & 0xFF);
    }
  }
}

}  // namespace

HeaderStatus parse_header(std::string_view data, FrameHeader& out, std::string_view& error) {
  if (data.size() < 2) return HeaderStatus::kNeedMore;
  const auto b0 = static_cast<std::uint8_t>(data[0]);
  const auto b1 = static_cast<std::uint8_t>(data[1]);
  if ((b0 & 0x70) != 0) {
    error = "reserved bits set without an extension";
    return HeaderStatus::kProtocolError;
  }
  const std::uint8_t op = b0 & 0x0F;
  if (!known_opcode(op)) {
    error = "unknown opcode";
    return HeaderStatus::kProtocolError;
  }
  if ((b1 & 0x80) == 0) {
    error = "client frames must be masked";
    return HeaderStatus::kProtocolError;
  }
  out.fin = (b0 & 0x80) != 0;
  out.opcode = static_cast<Opcode>(op);
  std::size_t pos = 2;
  std::uint64_t length = b1 & 0x7F;
  if (length == 126) {
    if (data.size() < pos + 2) return HeaderStatus::kNeedMore;
    length = (std::uint64_t{static_cast<std::uint8_t>(data[2])} << 8) |
             static_cast<std::uint8_t>(data[3]);
    pos += 2;
  } else if (length == 127) {
    if (data.size() < pos + 8) return HeaderStatus::kNeedMore;
    length = 0;
    for (std::size_t k = 0; k < 8; ++k) {
      length = (length << 8) | static_cast<std::uint8_t>(data[pos + k]);
    }
    pos += 8;
    if ((length >> 63) != 0) {
      error = "frame length out of range";
      return HeaderStatus::kProtocolError;
    }
  }
  if (op >= 0x8) {
    if (!out.fin) {
      error = "fragmented control frame";
      return HeaderStatus::kProtocolError;
    }
    if (length > 125) {
      error = "control frame longer than 125 bytes";
      return HeaderStatus::kProtocolError;
    }
  }
  if (data.size() < pos + 4) return HeaderStatus::kNeedMore;
  std::memcpy(out.mask.data(), data.data() + pos, 4);
  pos += 4;
  out.payload_length = length;
  out.header_length = pos;
  return HeaderStatus::kComplete;
}

void unmask(char* payload, std::size_t size, const std::array<std::uint8_t, 4>& mask,
            std::size_t offset) {
  // Word at a time where the offset allows; the compiler vectorizes the loop.
  std::array<std::uint8_t, 4> m{mask[offset % 4], mask[(offset + 1) % 4], mask[(offset + 2) % 4],
                                mask[(offset + 3) % 4]};
  std::uint32_t word = 0;
  std::memcpy(&word, m.data(), 4);
  std::size_t i = 0;
  for (; i + 4 <= size; i += 4) {
    std::uint32_t v = 0;
    std::memcpy(&v, payload + i, 4);
    v ^= word;
    std::memcpy(payload + i, &v, 4);
  }
  for (; i < size; ++i) payload[i] = static_cast<char>(payload[i] ^ m[i % 4]);
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
  append_header(out, opcode, payload.size());
  out.append(payload);
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
  constexpr std::size_t kMaxReason = 123;
  if (reason.size() > kMaxReason) {
    std::size_t cut = kMaxReason;
    // Do not split a UTF-8 sequence: back off continuation bytes.
    while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  append_header(out, Opcode::kClose, 2 + reason.size());
  out += static_cast<char>((code >> 8) & 0xFF);
  out += static_cast<char>(code & 0xFF);
  out.append(reason);
}

std::uint16_t close_code_of(std::string_view payload) {
  if (payload.empty()) return kCloseNoStatus;
  if (payload.size() == 1) return kCloseProtocolError;
  auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                         static_cast<std::uint8_t>(payload[1]));
  // RFC 6455 7.4: 1000-1003 and 1007-1014 are defined for peers to send; 3000-4999 are for
  // libraries and applications. 1004-1006, 1015 and everything else may not be sent.
  const bool defined = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
  const bool registered = code >= 3000 && code <= 4999;
  return defined || registered ? code : kCloseProtocolError;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input;
  input.reserve(client_key.size() + kGuid.size());
  input.append(client_key);
  input.append(kGuid);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  return base64(digest.data(), length);
}

bool valid_client_key(std::string_view key) {
  // 16 bytes encode to 22 characters and "==".
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (kAlphabet.find(key[i]) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace bklit::net::ws
