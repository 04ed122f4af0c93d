#include "src/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "bklit/core/text.hpp"

namespace bklit::enrich {

namespace {

constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

using core::trim;

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  // inet_pton needs a NUL-terminated string; the longest IPv6 text form is 45 characters.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';

  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(ip.bytes.data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::memset(ip.bytes.data() + 4, 0, 12);
    return ip;
  }
  ip.v6 = true;
  return ip;
}

std::string to_string(const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof(buf)) == nullptr) {
    return {};
  }
  return buf;
}

bool prefix_equal(const std::uint8_t* a, const std::uint8_t* b, int prefix_bits) {
  int full = prefix_bits / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  int rest = prefix_bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

bool is_non_public(const IpAddress& ip) {
  const auto& b = ip.bytes;
  if (!ip.v6) {
    return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 ||
           (b[0] == 100 && (b[1] & 0xc0) == 64) ||  // 100.64.0.0/10 carrier-grade NAT
           (b[0] == 169 && b[1] == 254) || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
           (b[0] == 192 && b[1] == 168) || (b[0] == 192 && b[1] == 0 && b[2] == 2) ||
           (b[0] == 198 && (b[1] & 0xfe) == 18) ||  // 198.18.0.0/15 benchmarking
           (b[0] == 198 && b[1] == 51 && b[2] == 100) || (b[0] == 203 && b[1] == 0 && b[2] == 113);
  }
  bool all_zero_but_last = true;
  for (int i = 0; i < 15; ++i) all_zero_but_last = all_zero_but_last && b[i] == 0;
  if (all_zero_but_last && b[15] <= 1) return true;                       // :: and ::1
  return (b[0] & 0xfe) == 0xfc ||                                         // fc00::/7 unique local
         (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||                       // fe80::/10 link-local
         b[0] == 0xff ||                                                  // multicast
         (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);  // 2001:db8::/32
}

}  // namespace bklit::enrich
