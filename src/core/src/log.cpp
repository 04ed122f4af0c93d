#include "bklit/core/log.hpp"

#include <spdlog/spdlog.h>

namespace bklit::core::log {

namespace {
// spdlog creates its registry and default logger on first use, inside its shared library.
// Creating them here, at static initialization on the main thread, means no two threads
// race to do it first (threads that log their first line at the same moment otherwise
// meet in the library's uninstrumented once-init, which ThreadSanitizer reports).
[[maybe_unused]] const spdlog::logger* const kDefaultLogger = spdlog::default_logger_raw();
}  // namespace

void init(std::string_view level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}
void info(std::string_view msg) { spdlog::info("{}", msg); }
void warn(std::string_view msg) { spdlog::warn("{}", msg); }
void error(std::string_view msg) { spdlog::error("{}", msg); }
void debug(std::string_view msg) { spdlog::debug("{}", msg); }

}  // namespace bklit::core::log
