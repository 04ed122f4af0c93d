// libFuzzer target: URLs, hosts and domains from browsers, SDKs and users are outside
// input. Checks the toolkit's promises, not only that it does not crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bklit/core/text.hpp"
#include "bklit/core/url.hpp"

namespace core = bklit::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // First line: a URL or authority; the rest: a domain as a user types it.
  const auto newline = input.find('\n');
  const std::string_view url = input.substr(0, newline);
  const std::string_view domain =
      newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

  if (core::percent_decode(input, true).size() > input.size()) __builtin_trap();
  const std::string clean = core::clean_text(input, 100);
  if (clean.size() > 100 || !core::is_valid_utf8(clean)) __builtin_trap();
  if (core::utf8_truncate(input, 7).size() > 7) __builtin_trap();

  const core::UrlParts parts = core::split_url(url);
  if (parts.scheme.size() + parts.path.size() > url.size()) __builtin_trap();
  const auto authority = core::parse_authority(parts.authority.value_or(url));
  if (authority) {
    const core::Host& host = authority->host;
    if (host.text.empty() || host.text.size() > core::kMaxHostBytes + 2) __builtin_trap();
    // The one spelling is a fixed point: reading it again gives the same host.
    const auto again = core::parse_authority(host.text);
    if (!again || !(again->host == host)) __builtin_trap();
    if (!(core::known_host(host.text) == host)) __builtin_trap();
    // A host is always same-site with the site it names.
    if (!core::same_site(host, core::site_of(host))) __builtin_trap();
  }
  const auto site = core::parse_site(domain);
  if (site && authority) {
    (void)core::same_site(authority->host, *site);
  }
  return 0;
}
