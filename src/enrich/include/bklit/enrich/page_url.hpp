#pragma once
// Page URL -> hostname, normalized path, query, campaign (UTM) fields and click id.

#include <cstddef>
#include <string>
#include <string_view>

#include "bklit/core/result.hpp"
#include "bklit/core/url.hpp"

namespace bklit::enrich {

struct PageUrl {
  std::string hostname;  // core::Host::text: lowercased, punycode, no port or trailing dot
  std::string pathname;  // normalize_path() of the URL path
  std::string query;     // raw, without '?', bounded
  std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content, utm_id;
  // Name of the first click-id parameter with a value, in the order gclid, gbraid, wbraid,
  // msclkid, fbclid, ttclid, li_fat_id, twclid, dclid, yclid; empty if none.
  std::string click_id;
};

inline constexpr std::size_t kMaxUrlBytes = 8192;
inline constexpr std::size_t kMaxHostnameBytes = core::kMaxHostBytes;
inline constexpr std::size_t kMaxPathnameBytes = 1024;
inline constexpr std::size_t kMaxQueryBytes = 2048;
inline constexpr std::size_t kMaxUtmValueBytes = 256;

// Absolute http/https URLs only. UTM values are percent-decoded ('+' is a space), cleaned
// of control characters and invalid UTF-8, trimmed and cut to kMaxUtmValueBytes.
core::Result<PageUrl> parse_page_url(std::string_view url);

// docs/metrics.md "Pages": no query or fragment, unreserved characters percent-decoded, no
// trailing slash except for the root; empty -> "/". Cut to kMaxPathnameBytes.
std::string normalize_path(std::string_view path);

}  // namespace bklit::enrich
