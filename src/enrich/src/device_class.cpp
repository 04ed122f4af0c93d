#include "src/device_class.hpp"

#include <array>
#include <cstring>

#include "bklit/core/text.hpp"

namespace bklit::enrich {

namespace {

// Lowercase substrings that mark automated clients. "bot" alone would also hit the phone
// brand Cubot, which is handled separately.
constexpr std::array<std::string_view, 40> kBotKeywords = {"crawl",
                                                           "spider",
                                                           "slurp",
                                                           "headless",
                                                           "curl/",
                                                           "wget/",
                                                           "python-",
                                                           "python/",
                                                           "aiohttp",
                                                           "httpx",
                                                           "go-http-client",
                                                           "java/",
                                                           "okhttp",
                                                           "libwww",
                                                           "httpclient",
                                                           "http-client",
                                                           "axios/",
                                                           "node-fetch",
                                                           "undici",
                                                           "postmanruntime",
                                                           "insomnia/",
                                                           "scrapy",
                                                           "phantomjs",
                                                           "puppeteer",
                                                           "playwright",
                                                           "selenium",
                                                           "lighthouse",
                                                           "pingdom",
                                                           "uptimerobot",
                                                           "monitoring",
                                                           "facebookexternalhit",
                                                           "embedly",
                                                           "feedfetcher",
                                                           "archiver",
                                                           "validator",
                                                           "zgrab",
                                                           "masscan",
                                                           "nmap",
                                                           "preview",
                                                           "prerender"};

constexpr std::array<std::string_view, 11> kMobileKeywords = {
    "mobi", "iphone", "ipod",    "opera mini", "windows phone", "blackberry",
    "bb10", "kaios",  "symbian", "j2me",       "midp"};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool has_bot_word(std::string_view lower) {
  for (std::size_t pos = lower.find("bot"); pos != std::string_view::npos;
       pos = lower.find("bot", pos + 1)) {
    if (!(pos >= 2 && lower.substr(pos - 2, 2) == "cu")) return true;
  }
  return false;
}

bool is_bot(std::string_view lower, const UserAgentDetails& details) {
  if (core::trim(lower).empty()) return true;  // real browsers always send a user agent
  if (details.device == "Spider" || details.brand == "Spider") return true;
  if (has_bot_word(lower)) return true;
  for (auto keyword : kBotKeywords) {
    if (contains(lower, keyword)) return true;
  }
  return false;
}

}  // namespace

std::string_view classify_device(std::string_view user_agent, const UserAgentDetails& details) {
  char buffer[UserAgentParser::kMaxUserAgentBytes];
  std::size_t n = std::min(user_agent.size(), sizeof(buffer));
  for (std::size_t i = 0; i < n; ++i) buffer[i] = core::ascii_lower(user_agent[i]);
  std::string_view lower(buffer, n);

  if (is_bot(lower, details)) return kDeviceBot;

  const std::string& device = details.device;
  if (device.starts_with("iPad") || device.starts_with("Kindle") || contains(device, "Tablet") ||
      contains(lower, "ipad") || contains(lower, "kindle") || contains(lower, "silk/") ||
      contains(lower, "playbook") || (contains(lower, "tablet") && !contains(lower, "tablet pc"))) {
    return kDeviceTablet;
  }
  // Android browsers put "Mobile" in phone user agents and leave it out on tablets.
  if (details.os == "Android" || contains(lower, "android")) {
    return contains(lower, "mobile") ? kDeviceMobile : kDeviceTablet;
  }
  if (details.os == "iOS" || device.starts_with("iPhone") || device.starts_with("iPod") ||
      device == "Generic Smartphone" || device == "Generic Feature Phone" ||
      details.os == "Windows Phone" || details.os == "BlackBerry OS" || details.os == "KaiOS" ||
      details.os == "Firefox OS") {
    return kDeviceMobile;
  }
  for (auto keyword : kMobileKeywords) {
    if (contains(lower, keyword)) return kDeviceMobile;
  }
  return kDeviceDesktop;
}

}  // namespace bklit::enrich
