#pragma once
// Which browser origins may send events for a project.

#include <string>
#include <string_view>
#include <vector>

namespace bklit::auth {

// True when the Origin header ("https://www.shop.example:8443") names the project's domain
// or one of the token's allowed domains, or a subdomain of one of them. Ports never matter,
// so "localhost" or "127.0.0.1" serve dev servers on any port. Domains may be written as
// the user typed them ("https://Shop.example:8443/", "*.shop.example"). IP addresses match
// only exactly. A missing or "null" Origin is not allowed here; whether a request without
// an Origin (a server, not a browser) is acceptable is the caller's decision.
bool origin_allowed(std::string_view origin_header, std::string_view project_domain,
                    const std::vector<std::string>& allowed_domains);

// The host part of a domain or URL as a user may type it: no scheme, credentials, path,
// port, trailing dot or leading "*."; not lowercased. Empty when there is no host.
std::string_view domain_host(std::string_view domain);

}  // namespace bklit::auth
