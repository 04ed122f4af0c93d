#include "bklit/core/log.hpp"

#include <spdlog/spdlog.h>

namespace bklit::core::log {

void init(std::string_view level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}
void info(std::string_view msg) { spdlog::info("{}", msg); }
void warn(std::string_view msg) { spdlog::warn("{}", msg); }
void error(std::string_view msg) { spdlog::error("{}", msg); }
void debug(std::string_view msg) { spdlog::debug("{}", msg); }

}  // namespace bklit::core::log
