#pragma once
// What both WebSocket ceiling servers (ws_ceiling_server.cpp, net_ceiling_server.cpp) need
// of the SDK protocol (docs/protocol.md): the reply bklit sends to each message.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace bklit::bench {

// The value of the first "type" field, read without parsing the JSON.
inline std::string_view message_type(std::string_view frame) {
  constexpr std::string_view kKey = R"("type":")";
  auto at = frame.find(kKey);
  if (at == std::string_view::npos) return {};
  auto begin = at + kKey.size();
  auto end = frame.find('"', begin);
  if (end == std::string_view::npos) return {};
  return frame.substr(begin, end - begin);
}

// Appends 32 random hex digits, like bklit's event ids.
inline void append_event_id(std::string& out) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  constexpr std::string_view kHex = "0123456789abcdef";
  for (int word = 0; word < 2; ++word) {
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i, v >>= 4) out += kHex[v & 0xf];
  }
}

// What bklit answers to an SDK message of `frame`: auth_success, an ack, or an error frame.
inline std::string reply_to(std::string_view frame) {
  const auto type = message_type(frame);
  if (type == "auth") return R"({"type":"auth_success"})";
  if (type == "pageview" || type == "event") {
    std::string reply = R"({"type":"ack","messageType":")";
    reply += type;
    reply += R"(","eventId":")";
    append_event_id(reply);
    reply += R"("})";
    return reply;
  }
  return R"({"type":"error","code":"unknown_type","message":"unknown message type"})";
}

}  // namespace bklit::bench
