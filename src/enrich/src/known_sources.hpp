#pragma once
// Built-in lists of search engines, social networks and webmail sites, for the channel.

#include <string_view>

namespace bklit::enrich {

enum class SourceKind { kUnknown, kSearch, kSocial, kEmail };

// By referrer host (lowercased, without port). Matches the host or, for most entries, any
// subdomain; "google.<tld>" style entries match the brand under any country TLD.
SourceKind classify_host(std::string_view host);

// By utm_source value (lowercased): names such as "google" or "facebook", or a host.
SourceKind classify_source_name(std::string_view source);

}  // namespace bklit::enrich
