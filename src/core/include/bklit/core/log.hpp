#pragma once
// Logging goes through spdlog; this header keeps spdlog out of most translation units.
#include <string>
#include <string_view>

namespace bklit::core::log {

void init(std::string_view level);  // trace, debug, info, warn, error, off
void info(std::string_view msg);
void warn(std::string_view msg);
void error(std::string_view msg);
void debug(std::string_view msg);

}  // namespace bklit::core::log
