#pragma once
// The client address behind trusted reverse proxies (X-Forwarded-For).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/core/result.hpp"

namespace bklit::enrich {

class TrustedProxies {
 public:
  // Entries are IPv4 or IPv6 addresses or CIDRs ("10.0.0.0/8", "::1", "fd00::/8");
  // IPv4-mapped IPv6 entries ("::ffff:10.0.0.0/104") count as IPv4. Host bits under the
  // prefix are ignored. An empty list trusts nobody.
  static core::Result<TrustedProxies> parse(const std::vector<std::string>& cidrs_or_ips);

  // The address to attribute the request to, in canonical text form (IPv4-mapped IPv6 as
  // dotted IPv4). X-Forwarded-For (several headers joined with ',') is read only when
  // remote_ip is trusted: it is walked from the right, skipping trusted proxies, and the
  // first untrusted entry is returned. A garbage entry on that walk means the chain cannot
  // be believed, so remote_ip is returned. If every entry is trusted, the left-most wins.
  std::string client_ip(std::string_view remote_ip, std::string_view x_forwarded_for) const;

  bool is_trusted(std::string_view ip) const;

  struct Network {
    bool v6 = false;
    std::uint8_t bytes[16] = {};
    int prefix = 0;
  };

 private:
  std::vector<Network> networks_;
};

}  // namespace bklit::enrich
