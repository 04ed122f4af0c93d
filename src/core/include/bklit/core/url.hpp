#pragma once
// The one URL and host toolkit: how a URL splits, what a host is, and the same-site rule
// (docs/urls.md). Page URLs, referrers, Origin headers, project domains and the Redis URL
// are all read with it. Boost.URL and libidn2 stay inside url.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bklit/core/result.hpp"

namespace bklit::core {

inline constexpr std::size_t kMaxHostBytes = 253;

enum class HostKind { kName, kIpv4, kIpv6 };

// A host in the one spelling used for comparing and storing it.
struct Host {
  HostKind kind = HostKind::kName;
  // kName: lowercase ASCII without trailing dot; an international name in its punycode
  // form ("xn--caf-dma.example"), as browsers send it. kIpv4: dotted decimal.
  // kIpv6: the RFC 5952 text in brackets, "[2001:db8::1]".
  std::string text;

  // text without the brackets of an IPv6 literal: what a socket connects to.
  std::string_view address() const;
  bool operator==(const Host&) const = default;
};

struct Authority {
  bool has_userinfo = false;
  std::string user;           // percent-decoded
  bool has_password = false;  // the userinfo has a ':'
  std::string password;       // percent-decoded: the userinfo after its first ':'
  Host host;
  bool has_port = false;              // a ':' followed the host, even with no digits
  std::optional<std::uint16_t> port;  // the digits after it, when there were any
};

// The parts of a URL, split as RFC 3986 appendix B does: never fails and validates
// nothing. All views into the input.
struct UrlParts {
  std::string_view scheme;                    // without ':'; empty when there is none
  std::optional<std::string_view> authority;  // after "//", up to the path
  std::string_view path;
  std::optional<std::string_view> query;     // without '?'
  std::optional<std::string_view> fragment;  // without '#'
};
UrlParts split_url(std::string_view url);

// Index of the first '/', '?' or '#' at or after from (where an authority ends), or npos.
std::size_t find_authority_end(std::string_view s, std::size_t from = 0);

// Calls visit(key, value) for each '&'-separated pair of a query, in order, as raw
// (still percent-encoded) views; a pair without '=' has an empty value.
template <typename Visit>
void for_each_query_pair(std::string_view query, Visit&& visit) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    visit(pair.substr(0, eq),
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
}

// "[userinfo@]host[:port]". The last '@' ends the userinfo, so an unescaped '@' in a
// password is tolerated. Percent escapes in a host name are decoded, a host in Unicode
// becomes its punycode form (IDNA2008 with UTS 46 mapping), case and trailing dots go.
// Error code "invalid_host"; the message completes a sentence about the thing that was
// read: "The page URL " + message, e.g. "has an empty part between dots".
Result<Authority> parse_authority(std::string_view authority);

// What is wrong with a host name under the stricter rules of DNS (a label is 1 to 63
// characters and does not start or end with a hyphen), phrased like parse_authority's
// errors; nullopt when nothing is. Browsers do not enforce these; project domains do.
std::optional<std::string> dns_name_problem(std::string_view name);

// The "host[:port]" of a domain as a user types it: a host, host:port, "*.host" (the
// "*." goes: subdomains are always included) or a pasted URL (scheme, path, query go).
std::string_view typed_domain_authority(std::string_view typed);

// The site a domain names, from a domain as a user types it: "Shop.Example",
// "shop.example:8443", "*.shop.example", "https://www.shop.example/pricing". A leading
// "www." is dropped when a name with a dot remains: www.shop.example is shop.example.
Result<Host> parse_site(std::string_view domain);
Host site_of(Host host);

// The Host spelled `text`, for text that already came out of a Host (a stored or parsed
// hostname): the kind is read from its shape, without parsing it again.
Host known_host(std::string_view text);

// The same-site rule (docs/urls.md): host is site itself or a subdomain of it, compared
// label by label; an IP address only matches itself. Scheme and port never matter.
bool same_site(const Host& host, const Host& site);

}  // namespace bklit::core
