#include "bklit/enrich/page_url.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "bklit/core/text.hpp"
#include "bklit/core/url.hpp"

namespace bklit::enrich {

namespace {

constexpr std::array<std::string_view, 10> kClickIds = {"gclid",  "gbraid", "wbraid",    "msclkid",
                                                        "fbclid", "ttclid", "li_fat_id", "twclid",
                                                        "dclid",  "yclid"};

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

core::Error invalid_url(std::string message) {
  return core::make_error("invalid_url", std::move(message));
}

std::string* utm_field(PageUrl& page, std::string_view key) {
  if (!core::istarts_with(key, "utm_")) return nullptr;
  auto name = key.substr(4);
  if (core::iequals(name, "source")) return &page.utm_source;
  if (core::iequals(name, "medium")) return &page.utm_medium;
  if (core::iequals(name, "campaign")) return &page.utm_campaign;
  if (core::iequals(name, "term")) return &page.utm_term;
  if (core::iequals(name, "content")) return &page.utm_content;
  if (core::iequals(name, "id")) return &page.utm_id;
  return nullptr;
}

void read_query(std::string_view query, PageUrl& page) {
  std::size_t click_rank = kClickIds.size();
  core::for_each_query_pair(query, [&](std::string_view key, std::string_view value) {
    if (std::string* field = utm_field(page, key)) {
      // The first non-empty occurrence wins, as in the analytics tools people compare with.
      if (field->empty()) {
        *field = core::clean_text(core::percent_decode(value, /*plus_is_space=*/true),
                                  kMaxUtmValueBytes);
      }
      return;
    }
    if (value.empty()) return;
    for (std::size_t rank = 0; rank < click_rank; ++rank) {
      if (core::iequals(key, kClickIds[rank])) {
        click_rank = rank;
        break;
      }
    }
  });
  if (click_rank < kClickIds.size()) page.click_id = kClickIds[click_rank];
}

}  // namespace

std::string normalize_path(std::string_view path) {
  path = path.substr(0, std::min(path.find('?'), path.find('#')));
  std::string out;
  out.reserve(path.size() + 1);
  if (path.empty() || path.front() != '/') out.push_back('/');
  for (std::size_t i = 0; i < path.size() && out.size() < kMaxPathnameBytes; ++i) {
    char c = path[i];
    if (c == '%' && i + 2 < path.size()) {
      int hi = core::hex_value(path[i + 1]);
      int lo = core::hex_value(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        char decoded = static_cast<char>(hi * 16 + lo);
        if (is_unreserved(decoded)) {
          out.push_back(decoded);
        } else {
          // Keep the escape, in one spelling, so %2f and %2F count as the same page.
          constexpr char kHex[] = "0123456789ABCDEF";
          out.push_back('%');
          out.push_back(kHex[hi]);
          out.push_back(kHex[lo]);
        }
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
  out.resize(core::utf8_truncate(out, kMaxPathnameBytes).size());
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

core::Result<PageUrl> parse_page_url(std::string_view url) {
  url = core::trim(url);
  if (url.size() > kMaxUrlBytes) {
    return core::make_error("url_too_long", "The page URL is longer than 8192 bytes.");
  }
  const core::UrlParts parts = core::split_url(url);
  if (!parts.authority ||
      !(core::iequals(parts.scheme, "https") || core::iequals(parts.scheme, "http"))) {
    return invalid_url("The page URL must be an absolute http:// or https:// URL.");
  }
  auto authority = core::parse_authority(*parts.authority);
  if (!authority) return invalid_url("The page URL " + authority.error().message + ".");

  PageUrl page;
  page.hostname = std::move(authority->host.text);
  page.pathname = normalize_path(parts.path);
  if (parts.query) {
    read_query(*parts.query, page);
    page.query = std::string(core::utf8_truncate(*parts.query, kMaxQueryBytes));
  }
  return page;
}

}  // namespace bklit::enrich
