// libFuzzer target: X-Forwarded-For and the trusted proxy list.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bklit/enrich/client_ip.hpp"
#include "bklit/enrich/geo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Lines: remote address, X-Forwarded-For, then one trusted entry per line.
  std::vector<std::string> lines;
  while (!input.empty()) {
    auto nl = input.find('\n');
    lines.emplace_back(input.substr(0, nl));
    input = nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1);
  }
  while (lines.size() < 2) lines.emplace_back();
  std::vector<std::string> trusted(lines.begin() + 2, lines.end());
  auto proxies = bklit::enrich::TrustedProxies::parse(trusted);
  auto fallback = bklit::enrich::TrustedProxies::parse({"10.0.0.0/8", "::1", "fd00::/8"});
  for (const auto* p : {proxies ? &*proxies : nullptr, &*fallback}) {
    if (p == nullptr) continue;
    std::string ip = p->client_ip(lines[0], lines[1]);
    (void)p->is_trusted(ip);
  }
  return 0;
}
