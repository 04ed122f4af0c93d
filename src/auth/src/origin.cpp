#include "bklit/auth/origin.hpp"

#include <algorithm>

namespace bklit::auth {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_ip_literal(std::string_view host) {
  if (host.starts_with('[')) {
    return true;  // IPv6, kept in brackets
  }
  for (char c : host) {
    if (!((c >= '0' && c <= '9') || c == '.')) {
      return false;
    }
  }
  return !host.empty();
}

// `host` is the origin's host, `domain` a normalized domain host.
bool host_matches(std::string_view host, std::string_view domain) {
  if (domain.empty()) {
    return false;
  }
  if (iequals(host, domain)) {
    return true;
  }
  if (is_ip_literal(domain)) {
    return false;
  }
  // A subdomain: "x.shop.example" for "shop.example", never "evilshop.example".
  return host.size() > domain.size() && host[host.size() - domain.size() - 1] == '.' &&
         iequals(host.substr(host.size() - domain.size()), domain);
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

std::string_view domain_host(std::string_view domain) {
  std::string_view s = trim(domain);
  if (const auto scheme = s.find("://"); scheme != std::string_view::npos) {
    s.remove_prefix(scheme + 3);
  }
  if (const auto path = s.find_first_of("/?#"); path != std::string_view::npos) {
    s = s.substr(0, path);
  }
  if (const auto at = s.rfind('@'); at != std::string_view::npos) {
    s.remove_prefix(at + 1);
  }
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    return s.substr(0, close + 1);
  }
  if (const auto port = s.find(':'); port != std::string_view::npos) {
    s = s.substr(0, port);
  }
  while (s.ends_with('.')) {
    s.remove_suffix(1);
  }
  if (s.starts_with("*.")) {
    s.remove_prefix(2);
  }
  return s;
}

bool origin_allowed(std::string_view origin_header, std::string_view project_domain,
                    const std::vector<std::string>& allowed_domains) {
  const std::string_view origin = trim(origin_header);
  // A browser always sends scheme://host[:port]; "null" (sandboxed frames, file://) and
  // anything else shaped differently are not a site.
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos || scheme == 0) {
    return false;
  }
  const std::string_view rest = origin.substr(scheme + 3);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return false;
  }
  const std::string_view host = domain_host(origin);
  if (host.empty()) {
    return false;
  }
  if (!host.starts_with('[') && !std::ranges::all_of(host, is_host_char)) {
    return false;
  }
  return host_matches(host, domain_host(project_domain)) ||
         std::ranges::any_of(allowed_domains, [host](const std::string& domain) {
           return host_matches(host, domain_host(domain));
         });
}

}  // namespace bklit::auth
