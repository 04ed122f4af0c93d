#pragma once
// The fixed lists of Stats API metrics and dimensions and the SQL each maps to. Nothing
// from a request ever becomes an identifier except through these tables.

#include <string>
#include <string_view>

namespace bklit::store::stats {

enum class DimLevel { kEvent, kVisit, kTime };

struct DimensionDef {
  std::string_view name;
  DimLevel level;
  // SQL over the events table (kEvent) or over session columns, where '$' stands for the
  // column prefix of the context (empty on the sessions table, "s_" on the joined one).
  std::string_view expr;
};

const DimensionDef* find_dimension(std::string_view name);
bool is_metric(std::string_view name);
bool is_integer_metric(std::string_view name);
std::string supported_metrics();
std::string supported_dimensions();

// expr with every '$' replaced by prefix.
std::string with_prefix(std::string_view expr, std::string_view prefix);

// Session columns a visit dimension expression reads (without prefix), for the session
// subquery's column list.
inline constexpr std::string_view kSessionAttributeColumns[] = {
    "source",       "channel",      "referrer_host",   "utm_source", "utm_medium",
    "utm_campaign", "utm_term",     "utm_content",     "country",    "region",
    "city",         "browser",      "browser_version", "os",         "os_version",
    "device_type",  "screen_class", "entry_page",      "exit_page",  "hostname"};

}  // namespace bklit::store::stats
