// Every WebSocket frame and /api/track body from the internet goes through these parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bklit/ingest/sdk_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bklit::ingest::MessageLimits limits;
  auto one = bklit::ingest::parse_sdk_message(text, limits);
  if (one.ok() && one->kind == bklit::ingest::SdkMessage::Kind::kEvent &&
      one->event.metadata.size() > limits.max_metadata_keys) {
    __builtin_trap();  // a bound the parser promises
  }
  auto batch = bklit::ingest::parse_sdk_batch(text, limits);
  if (batch.ok() && batch->size() > limits.max_batch_messages) __builtin_trap();
  return 0;
}
