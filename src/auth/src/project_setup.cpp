#include "bklit/auth/project_setup.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "bklit/auth/api_tokens.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/ids.hpp"
#include "bklit/core/json.hpp"
#include "bklit/core/time_zone.hpp"

namespace bklit::auth {

namespace {

constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kMaxHostBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;
constexpr std::size_t kProjectIdChars = 20;

constexpr const char* kDomainHint =
    "give the site's host name, e.g. shop.example or localhost:3000";

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

core::Error domain_error(const std::string& what) {
  return core::make_error("invalid_domain", "The domain " + what + "; " + kDomainHint + ".");
}

std::size_t count_code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

core::Result<std::string> validate_name(std::string_view raw) {
  const std::string_view name = trim(raw);
  if (name.empty()) {
    return core::make_error("invalid_project_name", "The project name must not be empty.");
  }
  if (!core::is_valid_utf8(name)) {
    return core::make_error("invalid_project_name", "The project name is not valid UTF-8 text.");
  }
  if (count_code_points(name) > kMaxNameChars) {
    return core::make_error("invalid_project_name",
                            "The project name is longer than 100 characters.");
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      return core::make_error("invalid_project_name",
                              "The project name must not contain control characters.");
    }
  }
  return std::string(name);
}

// A DNS name of letters, digits and hyphens (underscores tolerated for internal hosts),
// or a dotted IPv4 address.
std::optional<core::Error> check_host(std::string_view host) {
  if (host.empty()) {
    return domain_error("has no host name");
  }
  if (host.size() > kMaxHostBytes) {
    return domain_error("is longer than 253 characters");
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t end = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, end - start);
    if (label.empty()) {
      return domain_error("has an empty part between dots");
    }
    if (label.size() > kMaxLabelBytes) {
      return domain_error("has a part longer than 63 characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return domain_error("has a part that starts or ends with a hyphen");
    }
    for (char c : label) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return domain_error("contains non-ASCII characters (use its punycode form, xn--...)");
      }
      if (!is_alnum(c) && c != '-' && c != '_') {
        return domain_error("contains the character '" + std::string(1, c) + "'");
      }
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<core::Error> check_ipv6(std::string_view bracketed) {
  const std::string_view inner = bracketed.substr(1, bracketed.size() - 2);
  if (inner.empty() || inner.find(':') == std::string_view::npos) {
    return domain_error("has a malformed IPv6 address");
  }
  for (char c : inner) {
    const char l = lower(c);
    if (!is_digit(l) && !(l >= 'a' && l <= 'f') && l != ':' && l != '.') {
      return domain_error("has a malformed IPv6 address");
    }
  }
  return std::nullopt;
}

}  // namespace

core::Result<std::string> normalize_project_domain(std::string_view raw) {
  std::string_view s = trim(raw);
  if (s.empty()) {
    return domain_error("is empty");
  }
  if (const auto scheme = s.find("://"); scheme != std::string_view::npos) {
    s.remove_prefix(scheme + 3);
  }
  // A pasted URL is fine: only its host and port matter.
  if (const auto path = s.find_first_of("/?#"); path != std::string_view::npos) {
    s = s.substr(0, path);
  }
  if (s.find('@') != std::string_view::npos) {
    return domain_error("must not contain a user name");
  }

  std::string_view host = s;
  std::string_view port;
  bool has_port = false;
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos) {
      return domain_error("has a malformed IPv6 address");
    }
    host = s.substr(0, close + 1);
    const std::string_view after = s.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return domain_error("has text after the IPv6 address");
      }
      port = after.substr(1);
      has_port = true;
    }
  } else if (const auto colon = s.find(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    has_port = true;
  }
  while (host.ends_with('.')) {
    host.remove_suffix(1);
  }
  if (host.starts_with("*.")) {
    host.remove_prefix(2);  // subdomains are always included
  }

  std::string out;
  out.reserve(s.size());
  for (char c : host) {
    out.push_back(lower(c));
  }
  if (const auto error = out.starts_with('[') ? check_ipv6(out) : check_host(out)) {
    return *error;
  }
  if (has_port) {
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) {
      digits = digits && is_digit(c);
    }
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return domain_error("has an invalid port (expected 1 to 65535)");
    }
    out += ':';
    out += port;
  }
  return out;
}

core::Result<CreatedProject> create_project(appdb::AppStore& store, std::string_view name,
                                            std::string_view domain, std::string_view timezone,
                                            bool public_ingest) {
  auto valid_name = validate_name(name);
  if (!valid_name) {
    return valid_name.error();
  }
  auto valid_domain = normalize_project_domain(domain);
  if (!valid_domain) {
    return valid_domain.error();
  }
  auto valid_timezone = core::check_time_zone(timezone, "timezone");
  if (!valid_timezone) {
    return valid_timezone.error();
  }

  CreatedProject created;
  appdb::Project& project = created.project;
  project.id = core::random_lower_alnum(kProjectIdChars);
  project.name = std::move(valid_name).value();
  project.domain = std::move(valid_domain).value();
  project.timezone = std::move(valid_timezone).value();
  project.public_ingest = public_ingest;
  project.created_ms = core::now_ms();
  store.create_project(project);

  MintedToken ingest =
      mint_token("Ingest (SDK)", static_cast<std::uint32_t>(appdb::Scope::kIngest), {project.id});
  store.create_token(ingest.record);
  MintedToken read =
      mint_token("Read (Stats API)", static_cast<std::uint32_t>(appdb::Scope::kRead), {project.id});
  store.create_token(read.record);
  created.ingest_token = std::move(ingest.secret);
  created.read_token = std::move(read.secret);
  return created;
}

}  // namespace bklit::auth
