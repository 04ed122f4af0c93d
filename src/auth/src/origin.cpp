#include "bklit/auth/origin.hpp"

#include <algorithm>

#include "bklit/core/text.hpp"
#include "bklit/core/url.hpp"

namespace bklit::auth {

bool origin_allowed(std::string_view origin_header, std::string_view project_domain,
                    const std::vector<std::string>& allowed_domains) {
  // A browser always sends scheme://host[:port]; "null" (sandboxed frames, file://) and
  // anything else shaped differently are not a site.
  const core::UrlParts origin = core::split_url(core::trim(origin_header));
  if (origin.scheme.empty() || !origin.authority || !origin.path.empty() || origin.query ||
      origin.fragment || origin.authority->find('@') != std::string_view::npos) {
    return false;
  }
  const auto authority = core::parse_authority(*origin.authority);
  if (!authority) {
    return false;
  }
  const core::Host& host = authority->host;
  const auto same_site = [&host](std::string_view domain) {
    const auto site = core::parse_site(domain);
    return site && core::same_site(host, *site);
  };
  return same_site(project_domain) || std::ranges::any_of(allowed_domains, same_site);
}

}  // namespace bklit::auth
