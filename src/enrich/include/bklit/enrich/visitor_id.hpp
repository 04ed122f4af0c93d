#pragma once
// Cookieless visitor id (docs/metrics.md "Identity").

#include <cstdint>
#include <string_view>

namespace bklit::enrich {

// SipHash-2-4 under a 128-bit key derived (BLAKE2b) from the secret daily salt, over the
// length-prefixed project id, client IP and user agent. Stable for equal inputs; any change
// of one input, or of the salt, gives an unrelated id.
std::uint64_t compute_visitor_id(std::string_view salt, std::string_view project_id,
                                 std::string_view client_ip, std::string_view user_agent);

}  // namespace bklit::enrich
