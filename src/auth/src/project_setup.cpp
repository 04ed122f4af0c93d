#include "bklit/auth/project_setup.hpp"

#include <utility>

#include "bklit/auth/api_tokens.hpp"
#include "bklit/core/clock.hpp"
#include "bklit/core/ids.hpp"
#include "bklit/core/text.hpp"
#include "bklit/core/time_zone.hpp"
#include "bklit/core/url.hpp"

namespace bklit::auth {

namespace {

constexpr std::size_t kMaxNameChars = 100;
constexpr std::size_t kProjectIdChars = 20;

constexpr const char* kDomainHint =
    "give the site's host name, e.g. shop.example or localhost:3000";

using core::trim;

core::Error domain_error(const std::string& what) {
  return core::make_error("invalid_domain", "The domain " + what + "; " + kDomainHint + ".");
}

core::Result<std::string> validate_name(std::string_view raw) {
  const std::string_view name = trim(raw);
  if (name.empty()) {
    return core::make_error("invalid_project_name", "The project name must not be empty.");
  }
  if (!core::is_valid_utf8(name)) {
    return core::make_error("invalid_project_name", "The project name is not valid UTF-8 text.");
  }
  if (core::utf8_length(name) > kMaxNameChars) {
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

}  // namespace

core::Result<std::string> normalize_project_domain(std::string_view raw) {
  if (trim(raw).empty()) {
    return domain_error("is empty");
  }
  // A pasted URL is fine: only its host and port matter.
  const std::string_view typed = core::typed_domain_authority(raw);
  if (typed.find('@') != std::string_view::npos) {
    return domain_error("must not contain a user name");
  }
  auto authority = core::parse_authority(typed);
  if (!authority) {
    return domain_error(authority.error().message);
  }
  std::string out = std::move(authority->host.text);
  if (authority->host.kind == core::HostKind::kName) {
    if (const auto problem = core::dns_name_problem(out)) {
      return domain_error(*problem);
    }
  }
  if (authority->has_port) {
    if (!authority->port) {
      return domain_error("has an invalid port (expected 1 to 65535)");
    }
    out += ':';
    out += std::to_string(*authority->port);
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
