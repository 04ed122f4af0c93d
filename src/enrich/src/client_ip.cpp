#include "bklit/enrich/client_ip.hpp"

#include <charconv>
#include <cstring>

#include "bklit/core/text.hpp"
#include "src/ip_address.hpp"

namespace bklit::enrich {

namespace {

using core::trim;

// Some proxies append the client port: "1.2.3.4:5678" or "[2001:db8::1]:443".
std::string_view strip_port(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    return close == std::string_view::npos ? s : s.substr(0, close + 1);
  }
  auto colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    return s.substr(0, colon);
  }
  return s;
}

bool contains(const std::vector<TrustedProxies::Network>& networks, const IpAddress& ip) {
  for (const auto& net : networks) {
    if (net.v6 == ip.v6 && prefix_equal(net.bytes, ip.bytes.data(), net.prefix)) return true;
  }
  return false;
}

}  // namespace

core::Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs_or_ips) {
  TrustedProxies proxies;
  for (const auto& entry : cidrs_or_ips) {
    std::string_view text = trim(entry);
    std::string_view addr = text;
    int prefix = -1;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
      addr = text.substr(0, slash);
      auto bits = text.substr(slash + 1);
      auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty()) {
        return core::make_error("invalid_trusted_proxy",
                                "Trusted proxy '" + entry + "' has an invalid prefix length.");
      }
    }
    auto ip = parse_ip(addr);
    if (!ip) {
      return core::make_error("invalid_trusted_proxy",
                              "Trusted proxy '" + entry + "' is not an IP address or CIDR.");
    }
    // parse_ip folds ::ffff:a.b.c.d into IPv4, so the prefix moves with it.
    bool mapped = !ip->v6 && addr.find(':') != std::string_view::npos;
    int max_bits = ip->v6 ? 128 : (mapped ? 128 : 32);
    if (prefix < 0) prefix = max_bits;
    if (prefix > max_bits || (mapped && prefix < 96)) {
      return core::make_error("invalid_trusted_proxy",
                              "Trusted proxy '" + entry + "' has a prefix length out of range.");
    }
    if (mapped) prefix -= 96;
    Network net;
    net.v6 = ip->v6;
    std::memcpy(net.bytes, ip->bytes.data(), sizeof(net.bytes));
    net.prefix = prefix;
    proxies.networks_.push_back(net);
  }
  return proxies;
}

bool TrustedProxies::is_trusted(std::string_view ip) const {
  auto parsed = parse_ip(ip);
  return parsed && contains(networks_, *parsed);
}

std::string TrustedProxies::client_ip(std::string_view remote_ip,
                                      std::string_view x_forwarded_for) const {
  auto remote = parse_ip(remote_ip);
  if (!remote) return std::string(trim(remote_ip));
  if (networks_.empty() || trim(x_forwarded_for).empty() || !contains(networks_, *remote)) {
    return to_string(*remote);
  }
  std::string_view rest = x_forwarded_for;
  std::optional<IpAddress> leftmost;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    if (entry.empty()) continue;
    auto hop = parse_ip(strip_port(entry));
    if (!hop) return to_string(*remote);
    if (!contains(networks_, *hop)) return to_string(*hop);
    leftmost = hop;
  }
  return to_string(leftmost ? *leftmost : *remote);
}

}  // namespace bklit::enrich
