#include "stats/stats_catalog.hpp"

#include <array>

namespace bklit::store::stats {
namespace {

constexpr std::array kDimensions = {
    DimensionDef{"event:page", DimLevel::kEvent, "pathname"},
    DimensionDef{"event:hostname", DimLevel::kEvent, "hostname"},
    DimensionDef{"event:name", DimLevel::kEvent, "if(type = 1, 'pageview', tracking_id)"},
    DimensionDef{"visit:source", DimLevel::kVisit, "if($source = '', 'Direct / None', $source)"},
    DimensionDef{"visit:channel", DimLevel::kVisit, "if($channel = '', 'Direct', $channel)"},
    DimensionDef{"visit:referrer", DimLevel::kVisit,
                 "if($referrer_host = '', 'Direct / None', $referrer_host)"},
    DimensionDef{"visit:utm_source", DimLevel::kVisit, "$utm_source"},
    DimensionDef{"visit:utm_medium", DimLevel::kVisit, "$utm_medium"},
    DimensionDef{"visit:utm_campaign", DimLevel::kVisit, "$utm_campaign"},
    DimensionDef{"visit:utm_term", DimLevel::kVisit, "$utm_term"},
    DimensionDef{"visit:utm_content", DimLevel::kVisit, "$utm_content"},
    DimensionDef{"visit:country", DimLevel::kVisit, "$country"},
    DimensionDef{"visit:region", DimLevel::kVisit, "$region"},
    DimensionDef{"visit:city", DimLevel::kVisit, "$city"},
    DimensionDef{"visit:browser", DimLevel::kVisit, "$browser"},
    DimensionDef{"visit:browser_version", DimLevel::kVisit, "$browser_version"},
    DimensionDef{"visit:os", DimLevel::kVisit, "$os"},
    DimensionDef{"visit:os_version", DimLevel::kVisit, "$os_version"},
    DimensionDef{"visit:device", DimLevel::kVisit, "$device_type"},
    DimensionDef{"visit:screen", DimLevel::kVisit, "$screen_class"},
    DimensionDef{"visit:entry_page", DimLevel::kVisit, "$entry_page"},
    DimensionDef{"visit:exit_page", DimLevel::kVisit, "$exit_page"},
    DimensionDef{"visit:entry_page_hostname", DimLevel::kVisit, "$hostname"},
    DimensionDef{"time", DimLevel::kTime, ""},
    DimensionDef{"time:hour", DimLevel::kTime, ""},
    DimensionDef{"time:day", DimLevel::kTime, ""},
    DimensionDef{"time:week", DimLevel::kTime, ""},
    DimensionDef{"time:month", DimLevel::kTime, ""},
};

constexpr std::array<std::string_view, 7> kMetrics = {"visitors",        "visits", "pageviews",
                                                      "views_per_visit", "events", "bounce_rate",
                                                      "visit_duration"};

}  // namespace

const DimensionDef* find_dimension(std::string_view name) {
  for (const auto& d : kDimensions) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool is_metric(std::string_view name) {
  for (auto m : kMetrics) {
    if (m == name) return true;
  }
  return false;
}

bool is_integer_metric(std::string_view name) {
  return name == "visitors" || name == "visits" || name == "pageviews" || name == "events";
}

std::string supported_metrics() {
  std::string out;
  for (auto m : kMetrics) out.append(out.empty() ? "" : ", ").append(m);
  return out;
}

std::string supported_dimensions() {
  std::string out;
  for (const auto& d : kDimensions) out.append(out.empty() ? "" : ", ").append(d.name);
  return out;
}

std::string with_prefix(std::string_view expr, std::string_view prefix) {
  std::string out;
  out.reserve(expr.size() + 16);
  for (char c : expr) {
    if (c == '$') {
      out.append(prefix);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace bklit::store::stats
