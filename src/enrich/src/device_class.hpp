#pragma once
// Bklit's device classes (desktop, mobile, tablet, bot) from the uap-core answer plus a few
// keywords that uap-core does not cover (HTTP libraries, headless browsers, monitors).

#include <string_view>

#include "bklit/enrich/user_agent.hpp"

namespace bklit::enrich {

inline constexpr std::string_view kDeviceDesktop = "desktop";
inline constexpr std::string_view kDeviceMobile = "mobile";
inline constexpr std::string_view kDeviceTablet = "tablet";
inline constexpr std::string_view kDeviceBot = "bot";

// user_agent is the text that was parsed (at most UserAgentParser::kMaxUserAgentBytes).
std::string_view classify_device(std::string_view user_agent, const UserAgentDetails& details);

}  // namespace bklit::enrich
