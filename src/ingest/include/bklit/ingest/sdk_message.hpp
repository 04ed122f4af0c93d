#pragma once
// The messages of the published @bklit/sdk (docs/protocol.md), parsed and bounded.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::ingest {

struct MessageLimits {
  std::size_t max_string_bytes = 2048;
  std::size_t max_metadata_keys = 30;
  std::size_t max_metadata_value_bytes = 500;
  std::size_t max_batch_messages = 500;
};

struct PageviewData {
  std::string url;
  std::string timestamp;  // client ISO time, may be empty
  std::string referrer;
  std::string user_agent;
  std::string language;
  std::string timezone;
  std::string landing_page;
  std::string session_id;
  std::string project_id;
  int viewport_width = 0, viewport_height = 0;
  int screen_width = 0, screen_height = 0;
  bool is_new_visitor = false;
};

struct CustomEventData {
  std::string tracking_id;
  std::string event_type;
  std::string timestamp;
  std::string session_id;
  std::string project_id;
  std::string url;         // not sent by the SDK; HTTP clients may name the page
  std::string user_agent;  // likewise
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct SdkMessage {
  enum class Kind { kAuth, kPageview, kEvent };
  Kind kind = Kind::kPageview;
  std::string api_key;  // "apiKey" of the message, empty when absent
  PageviewData pageview;
  CustomEventData event;
};

// One WebSocket text frame.
core::Result<SdkMessage> parse_sdk_message(std::string_view json, const MessageLimits& limits);

// POST /api/track body: a JSON array of messages (a single object is taken as an array of
// one). The outer Result fails for a body that is not JSON or not an array of at most
// max_batch_messages; each element has its own Result.
core::Result<std::vector<core::Result<SdkMessage>>> parse_sdk_batch(std::string_view json,
                                                                    const MessageLimits& limits);

}  // namespace bklit::ingest
