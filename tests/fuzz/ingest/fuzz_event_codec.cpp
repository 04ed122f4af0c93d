// Queue records are read back after crashes: decoding arbitrary bytes must never crash, and
// whatever decodes must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bklit/core/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto event = bklit::core::decode_event(bytes);
  if (event) {
    auto again = bklit::core::decode_event(bklit::core::encode_event(*event));
    if (!again || again->event_id != event->event_id || again->metadata != event->metadata) {
      __builtin_trap();
    }
  }
  return 0;
}
