#include "bklit/auth/origin.hpp"

#include <gtest/gtest.h>

namespace bklit::auth {
namespace {

struct OriginCase {
  const char* origin;
  const char* project_domain;
  std::vector<std::string> allowed;
  bool expected;
};

TEST(OriginAllowed, Table) {
  const std::vector<OriginCase> cases = {
      // The domain itself and its subdomains, any scheme and port.
      {"https://shop.example", "shop.example", {}, true},
      {"http://shop.example", "shop.example", {}, true},
      {"https://www.shop.example:8443", "shop.example", {}, true},
      {"https://a.b.shop.example", "shop.example", {}, true},
      {"HTTPS://WWW.Shop.Example", "shop.example", {}, true},
      {"https://shop.example.", "shop.example", {}, true},
      {" https://shop.example ", "shop.example", {}, true},
      // Look-alikes never match.
      {"https://evilshop.example", "shop.example", {}, false},
      {"https://shop.example.evil.com", "shop.example", {}, false},
      {"https://shop.examplex", "shop.example", {}, false},
      {"https://example", "shop.example", {}, false},
      {"https://hop.example", "shop.example", {}, false},
      // A subdomain project does not open its parent or siblings...
      {"https://shop.example", "blog.shop.example", {}, false},
      {"https://www.shop.example", "blog.shop.example", {}, false},
      // ... but "www." names the site itself, as for internal referrers (docs/urls.md).
      {"https://shop.example", "www.shop.example", {}, true},
      {"https://blog.shop.example", "www.shop.example", {}, true},
      // International names compare in the punycode form browsers send.
      {"https://xn--caf-dma.example", "caf\xC3\xA9.example", {}, true},
      {"https://xn--xample-2of.example", "example.example", {}, false},
      // The project domain as a user may have typed it.
      {"https://www.shop.example", "https://Shop.Example/", {}, true},
      {"https://www.shop.example", "shop.example:443", {}, true},
      {"https://www.shop.example", "*.shop.example", {}, true},
      {"https://www.shop.example", "http://user@shop.example:80/path?q", {}, true},
      {"https://evilshop.example", "https://shop.example/", {}, false},
      // Local development on any port.
      {"http://localhost:3000", "localhost", {}, true},
      {"http://localhost:5173", "localhost:3000", {}, true},
      {"http://localhost", "localhost", {}, true},
      {"http://127.0.0.1:8080", "127.0.0.1", {}, true},
      {"http://127.0.0.1:8080", "http://127.0.0.1:3000", {}, true},
      {"http://[::1]:8080", "[::1]", {}, true},
      {"http://1127.0.0.1", "127.0.0.1", {}, false},
      {"http://x.127.0.0.1", "127.0.0.1", {}, false},
      {"http://localhost:3000", "shop.example", {}, false},
      // The token's extra domains.
      {"https://cdn.partner.example", "shop.example", {"partner.example"}, true},
      {"https://partner.example",
       "shop.example",
       {"other.example", "https://partner.example"},
       true},
      {"https://evilpartner.example", "shop.example", {"partner.example"}, false},
      {"https://shop.example", "", {"shop.example"}, true},
      {"https://shop.example", "", {}, false},
      {"https://shop.example", "", {""}, false},
      // Not an origin a browser would send for a site.
      {"", "shop.example", {}, false},
      {"null", "shop.example", {}, false},
      {"shop.example", "shop.example", {}, false},
      {"://shop.example", "shop.example", {}, false},
      {"https://", "shop.example", {}, false},
      {"https://shop.example/path", "shop.example", {}, false},
      {"https://evil.example@shop.example", "shop.example", {}, false},
      {"https://evil.example#.shop.example", "shop.example", {}, false},
      {"https://evil example.shop.example", "shop.example", {}, false},
  };
  for (const OriginCase& c : cases) {
    EXPECT_EQ(origin_allowed(c.origin, c.project_domain, c.allowed), c.expected)
        << "origin '" << c.origin << "' project domain '" << c.project_domain << "'";
  }
}

}  // namespace
}  // namespace bklit::auth
