#pragma once
// Which browser origins may send events for a project.

#include <string>
#include <string_view>
#include <vector>

namespace bklit::auth {

// True when the Origin header ("https://www.shop.example:8443") is same-site (the one
// rule, docs/urls.md) with the project's domain or one of the token's allowed domains:
// the domain itself or a subdomain of it, "www." on the domain naming the site itself.
// Ports never matter, so "localhost" or "127.0.0.1" serve dev servers on any port.
// Domains may be written as the user typed them ("https://Shop.example:8443/",
// "*.shop.example"). IP addresses match only exactly. A missing or "null" Origin is not
// allowed here; whether a request without an Origin (a server, not a browser) is
// acceptable is the caller's decision.
bool origin_allowed(std::string_view origin_header, std::string_view project_domain,
                    const std::vector<std::string>& allowed_domains);

}  // namespace bklit::auth
