// The same-site rule of docs/urls.md, once, over a table. The Origin check and the
// internal-referrer classification both call core::same_site, so this table is theirs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bklit/core/url.hpp"

namespace bklit::core {
namespace {

struct SameSiteCase {
  std::string host;    // as it arrives in an Origin or a referrer: host[:port]
  std::string domain;  // the project (or allowed) domain as a user typed it
  bool same;
};

bool same(const SameSiteCase& c) {
  const auto host = parse_authority(c.host);
  const auto site = parse_site(c.domain);
  return host && site && same_site(host->host, *site);
}

TEST(SameSite, Table) {
  const std::vector<SameSiteCase> cases = {
      // The domain itself and its subdomains.
      {"example.com", "example.com", true},
      {"blog.example.com", "example.com", true},
      {"a.b.example.com", "example.com", true},
      // "www." on either side names the site itself.
      {"www.example.com", "example.com", true},
      {"example.com", "www.example.com", true},
      {"blog.example.com", "www.example.com", true},
      {"www.example.com", "https://www.example.com/", true},
      // ... but only when a name with a dot remains: www.com is not "com".
      {"www.com", "www.com", true},
      {"example.com", "www.com", false},
      // A subdomain project does not open its parent or its siblings.
      {"example.com", "blog.example.com", false},
      {"shop.example.com", "blog.example.com", false},
      {"www.example.com", "blog.example.com", false},
      {"x.blog.example.com", "blog.example.com", true},
      // Ports and schemes never matter.
      {"example.com:8443", "example.com", true},
      {"example.com", "https://example.com:3000/", true},
      {"localhost:5173", "localhost:3000", true},
      {"app.localhost:5173", "localhost", true},
      // Case, trailing dots, percent escapes, the forms a user types.
      {"EXAMPLE.COM", "example.com", true},
      {"example.com.", "Example.Com", true},
      {"ex%61mple.com", "example.com", true},
      {"shop.example.com", "*.example.com", true},
      {"example.com", "http://user@example.com:80/path?q#f", true},
      {"example.com", "  example.com\n", true},
      // IDN: compared in the punycode form browsers send.
      {"xn--caf-dma.example", "caf\xC3\xA9.example", true},
      {"caf\xC3\xA9.example", "xn--caf-dma.example", true},
      {"CAF\xC3\x89.example", "caf\xC3\xA9.example", true},
      {"caf%C3%A9.example", "xn--caf-dma.example", true},
      {"shop.xn--caf-dma.example", "caf\xC3\xA9.example", true},
      {"cafe.example", "caf\xC3\xA9.example", false},
      // A Cyrillic "е" is another name (xn--xample-2of.com), not example.com.
      {"\xD0\xB5xample.com", "example.com", false},
      {"xn--xample-2of.com", "example.com", false},
      // IPv4: only the address itself.
      {"127.0.0.1:8080", "127.0.0.1", true},
      {"127.0.0.1", "http://127.0.0.1:3000", true},
      {"127.0.0.1.", "127.0.0.1", true},
      {"127.0.0.2", "127.0.0.1", false},
      {"1127.0.0.1", "127.0.0.1", false},
      {"x.127.0.0.1", "127.0.0.1", false},
      {"10.0.0.1", "0.0.1", false},
      {"127.0.0.1", "localhost", false},
      {"localhost", "127.0.0.1", false},
      // IPv6: only the address itself, in any spelling.
      {"[::1]:8080", "[::1]", true},
      {"[0:0:0:0:0:0:0:1]", "[::1]:3000", true},
      {"[2001:DB8::1]", "[2001:db8::1]", true},
      {"[2001:db8::2]", "[2001:db8::1]", false},
      {"[::ffff:127.0.0.1]", "127.0.0.1", false},
      {"[::1]", "localhost", false},
      // Look-alikes never match.
      {"evilexample.com", "example.com", false},
      {"example.com.evil.com", "example.com", false},
      {"wwwexample.com", "example.com", false},
      {"example.co", "example.com", false},
      {"xample.com", "example.com", false},
      {"example.com", "evil.com", false},
      {"example.com", "example.com.evil.com", false},
      // No domain, or one that is not a host, opens nothing.
      {"example.com", "", false},
      {"example.com", "*.", false},
      {"example.com", "https://", false},
      {"example.com", "exa mple.com", false},
  };
  for (const SameSiteCase& c : cases) {
    EXPECT_EQ(same(c), c.same) << "host '" << c.host << "' domain '" << c.domain << "'";
  }
}

}  // namespace
}  // namespace bklit::core
