#pragma once
// Textual IP addresses -> bytes, shared by geo lookup and trusted-proxy matching.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bklit::enrich {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
};

// Accepts dotted IPv4, IPv6 (optionally in brackets). IPv4-mapped IPv6 (::ffff:a.b.c.d)
// comes back as IPv4 so that dual-stack sockets and IPv4 clients look the same.
std::optional<IpAddress> parse_ip(std::string_view text);

std::string to_string(const IpAddress& ip);

// Loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified,
// multicast and documentation ranges: addresses that say nothing about a location.
bool is_non_public(const IpAddress& ip);

// Whether the first prefix_bits bits of a and b are equal (same family assumed).
bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, int prefix_bits);

}  // namespace bklit::enrich
