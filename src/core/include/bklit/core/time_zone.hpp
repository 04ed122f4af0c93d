#pragma once
// The IANA time-zone names this machine knows (Debian package tzdata under
// /usr/share/zoneinfo), so a project's time zone is checked once, when it is set, instead of
// failing every report later in the analytics engine.

#include <string>
#include <string_view>

#include "bklit/core/result.hpp"

namespace bklit::core {

inline constexpr std::string_view kSystemZoneinfoDir = "/usr/share/zoneinfo";

// Whether `name` is a zone or a link ("Europe/Berlin", "UTC", "US/Eastern") of the tz
// database in `zoneinfo_dir`: the names of its tzdata.zi (the compact text form IANA
// publishes), or, where that file is missing, a compiled TZif file of that name.
// Throws nothing; a missing database knows no names.
bool is_known_time_zone(std::string_view name, std::string_view zoneinfo_dir = kSystemZoneinfoDir);

// The checked name (surrounding blanks removed), or an "invalid_timezone" error that names
// `setting` and gives an example of a valid value.
Result<std::string> check_time_zone(std::string_view name, std::string_view setting = "timezone",
                                    std::string_view zoneinfo_dir = kSystemZoneinfoDir);

}  // namespace bklit::core
