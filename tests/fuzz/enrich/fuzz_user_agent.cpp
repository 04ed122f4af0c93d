// libFuzzer target: user agent strings against the real uap-core rules.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bklit/enrich/user_agent.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::unique_ptr<bklit::enrich::UserAgentParser> parser = [] {
    auto loaded =
        bklit::enrich::UserAgentParser::load(std::string(bklit::enrich::kDefaultRegexesPath), 1024);
    if (!loaded) __builtin_trap();
    return std::move(loaded).value();
  }();
  std::string_view ua(reinterpret_cast<const char*>(data), size);
  auto info = parser->parse(ua);
  auto again = parser->parse(ua);
  if (info.browser != again.browser || info.device_type.empty() || info.browser.empty()) {
    __builtin_trap();
  }
  return 0;
}
