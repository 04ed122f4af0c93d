// libFuzzer target: page URLs and referrers from the SDK are outside input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bklit/enrich/acquisition.hpp"
#include "bklit/enrich/page_url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // First line: page URL; second: referrer; rest: project domain.
  auto first = input.find('\n');
  std::string_view url = input.substr(0, first);
  std::string_view rest =
      first == std::string_view::npos ? std::string_view{} : input.substr(first + 1);
  auto second = rest.find('\n');
  std::string_view referrer = rest.substr(0, second);
  std::string_view domain =
      second == std::string_view::npos ? std::string_view{} : rest.substr(second + 1);

  std::string path = bklit::enrich::normalize_path(input);
  if (path.empty() || path.front() != '/' || path.size() > bklit::enrich::kMaxPathnameBytes) {
    __builtin_trap();
  }
  auto page = bklit::enrich::parse_page_url(url);
  bklit::enrich::PageUrl parsed = page ? *page : bklit::enrich::PageUrl{};
  if (page &&
      (parsed.pathname.empty() || parsed.utm_source.size() > bklit::enrich::kMaxUtmValueBytes ||
       parsed.query.size() > bklit::enrich::kMaxQueryBytes)) {
    __builtin_trap();
  }
  auto acquisition = bklit::enrich::classify_acquisition(parsed, referrer, domain);
  if (acquisition.channel.empty()) __builtin_trap();
  return 0;
}
