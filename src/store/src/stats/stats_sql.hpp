#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace bklit::store::stats {

// "time" picks its bucket from the span: hours for one day, days up to 100, else months.
std::string resolve_time_dimension(std::string_view name, std::int64_t from_s, std::int64_t to_s);

// Sessions are attributed to the range they start in; when events join their session, the
// session may have started this long before the range (longer ones lose their attributes).
inline constexpr std::int64_t kSessionLookbackS = 2 * 86400;

}  // namespace bklit::store::stats
