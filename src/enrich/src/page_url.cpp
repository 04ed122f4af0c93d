#include "bklit/enrich/page_url.hpp"

#include <array>
#include <utility>

#include "src/ip_address.hpp"
#include "src/text_util.hpp"

namespace bklit::enrich {

namespace {

constexpr std::array<std::string_view, 10> kClickIds = {"gclid",  "gbraid", "wbraid",    "msclkid",
                                                        "fbclid", "ttclid", "li_fat_id", "twclid",
                                                        "dclid",  "yclid"};

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

core::Error invalid_url(std::string message) {
  return core::make_error("invalid_url", std::move(message));
}

// Returns the lowercased host of an authority ("user@host:port"), or an error.
core::Result<std::string> parse_authority(std::string_view authority) {
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return invalid_url("The URL has an unclosed IPv6 host.");
    host = authority.substr(0, close + 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid_url("The URL host is malformed.");
      port = after.substr(1);
    }
    auto ip = parse_ip(host);
    if (!ip || !ip->v6) return invalid_url("The URL has an invalid IPv6 host.");
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    for (char c : host) {
      if (!is_host_char(c)) return invalid_url("The URL host contains invalid characters.");
    }
  } else {
    for (char c : host) {
      if (!is_host_char(c)) return invalid_url("The URL host contains invalid characters.");
    }
  }
  if (port.size() > 5) return invalid_url("The URL port is invalid.");
  unsigned port_value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return invalid_url("The URL port is invalid.");
    port_value = port_value * 10 + static_cast<unsigned>(c - '0');
  }
  if (port_value > 65535) return invalid_url("The URL port is invalid.");
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.front() == '.') return invalid_url("The URL has no valid host.");
  if (host.size() > kMaxHostnameBytes) return invalid_url("The URL host is too long.");
  std::string lowered(host);
  for (char& c : lowered) c = ascii_lower(c);
  return lowered;
}

std::string* utm_field(PageUrl& page, std::string_view key) {
  if (!istarts_with(key, "utm_")) return nullptr;
  auto name = key.substr(4);
  if (iequals(name, "source")) return &page.utm_source;
  if (iequals(name, "medium")) return &page.utm_medium;
  if (iequals(name, "campaign")) return &page.utm_campaign;
  if (iequals(name, "term")) return &page.utm_term;
  if (iequals(name, "content")) return &page.utm_content;
  if (iequals(name, "id")) return &page.utm_id;
  return nullptr;
}

void read_query(std::string_view query, PageUrl& page) {
  std::size_t click_rank = kClickIds.size();
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (std::string* field = utm_field(page, key)) {
      // The first non-empty occurrence wins, as in the analytics tools people compare with.
      if (field->empty()) {
        *field = clean_text(percent_decode(value, /*plus_is_space=*/true), kMaxUtmValueBytes);
      }
      continue;
    }
    if (value.empty()) continue;
    for (std::size_t rank = 0; rank < click_rank; ++rank) {
      if (iequals(key, kClickIds[rank])) {
        click_rank = rank;
        break;
      }
    }
  }
  if (click_rank < kClickIds.size()) page.click_id = kClickIds[click_rank];
}

}  // namespace

std::string normalize_path(std::string_view path) {
  path = path.substr(0, path.find_first_of("?#"));
  std::string out;
  out.reserve(path.size() + 1);
  if (path.empty() || path.front() != '/') out.push_back('/');
  for (std::size_t i = 0; i < path.size() && out.size() < kMaxPathnameBytes; ++i) {
    char c = path[i];
    if (c == '%' && i + 2 < path.size()) {
      int hi = hex_value(path[i + 1]);
      int lo = hex_value(path[i + 2]);
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
  out.resize(utf8_prefix(out, kMaxPathnameBytes).size());
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

core::Result<PageUrl> parse_page_url(std::string_view url) {
  url = trim_spaces(url);
  if (url.size() > kMaxUrlBytes) {
    return core::make_error("url_too_long", "The page URL is longer than 8192 bytes.");
  }
  std::string_view rest;
  if (istarts_with(url, "https://")) {
    rest = url.substr(8);
  } else if (istarts_with(url, "http://")) {
    rest = url.substr(7);
  } else {
    return invalid_url("The page URL must be an absolute http:// or https:// URL.");
  }
  auto authority_end = rest.find_first_of("/?#");
  auto host = parse_authority(rest.substr(0, authority_end));
  if (!host) return host.error();

  PageUrl page;
  page.hostname = std::move(host).value();
  rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  auto question = rest.find('?');
  page.pathname = normalize_path(rest.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    read_query(query, page);
    page.query = std::string(utf8_prefix(query, kMaxQueryBytes));
  }
  return page;
}

}  // namespace bklit::enrich
