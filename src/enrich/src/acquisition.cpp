#include "bklit/enrich/acquisition.hpp"

#include <array>
#include <optional>
#include <utility>

#include "bklit/core/text.hpp"
#include "bklit/core/url.hpp"
#include "src/known_sources.hpp"

namespace bklit::enrich {

namespace {

// Android apps send "android-app://<package>/" as the referrer.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kAndroidApps = {{
    {"com.google.android.gm", "mail.google.com"},
    {"com.google.android.googlequicksearchbox", "google.com"},
    {"com.google.android.youtube", "youtube.com"},
    {"com.facebook.katana", "facebook.com"},
    {"com.instagram.android", "instagram.com"},
    {"com.linkedin.android", "linkedin.com"},
    {"com.twitter.android", "twitter.com"},
    {"com.reddit.frontpage", "reddit.com"},
    {"org.telegram.messenger", "t.me"},
    {"com.slack", "slack.com"},
}};

// Host of a URL-ish referrer ("https://u@Host:8080/x", "//host/x", "host/x"); nullopt
// when there is none. Apps name themselves by package: "android-app://<package>/".
std::optional<core::Host> referrer_host(std::string_view referrer) {
  referrer = core::trim(referrer);
  const core::UrlParts parts = core::split_url(referrer);
  const std::string_view authority =
      parts.authority ? *parts.authority : referrer.substr(0, core::find_authority_end(referrer));
  auto parsed = core::parse_authority(authority);
  if (!parsed) return std::nullopt;
  core::Host host = std::move(parsed->host);
  if (core::iequals(parts.scheme, "android-app")) {
    for (const auto& [package, site] : kAndroidApps) {
      if (host.text == package) return core::Host{core::HostKind::kName, std::string(site)};
    }
  }
  return host;
}

// A site the referrer may belong to; nullopt for an empty or unreadable domain.
std::optional<core::Host> site(std::string_view domain) {
  if (domain.empty()) return std::nullopt;
  auto parsed = core::parse_site(domain);
  if (!parsed) return std::nullopt;
  return std::move(parsed).value();
}

bool is_paid_medium(std::string_view medium) {
  return medium == "cpc" || medium == "ppc" || medium == "cpm" || medium.starts_with("paid");
}

bool is_email_word(std::string_view word) {
  return word == "email" || word == "e-mail" || word == "e_mail" || word == "e mail" ||
         word == "newsletter";
}

bool is_social_medium(std::string_view medium) {
  return medium == "social" || medium == "sm" || medium == "social-network" ||
         medium == "social-media" || medium == "social network" || medium == "social media";
}

std::string_view channel_for(SourceKind kind) {
  switch (kind) {
    case SourceKind::kSearch:
      return kChannelOrganicSearch;
    case SourceKind::kSocial:
      return kChannelOrganicSocial;
    case SourceKind::kEmail:
      return kChannelEmail;
    case SourceKind::kUnknown:
      break;
  }
  return {};
}

std::string_view classify_channel(const PageUrl& page, std::string_view external_host) {
  std::string medium = core::ascii_lowered(page.utm_medium);
  std::string source = core::ascii_lowered(page.utm_source);
  if (!page.click_id.empty() || is_paid_medium(medium)) return kChannelPaid;
  if (is_email_word(medium) || is_email_word(source)) return kChannelEmail;
  if (medium == "organic") return kChannelOrganicSearch;
  if (is_social_medium(medium)) return kChannelOrganicSocial;
  if (!source.empty()) {
    if (auto channel = channel_for(classify_source_name(source)); !channel.empty()) {
      return channel;
    }
  }
  if (!external_host.empty()) {
    auto channel = channel_for(classify_host(external_host));
    return channel.empty() ? kChannelReferral : channel;
  }
  return source.empty() ? kChannelDirect : kChannelReferral;
}

}  // namespace

Acquisition classify_acquisition(const PageUrl& page, std::string_view referrer_url,
                                 std::string_view project_domain) {
  Acquisition acq;
  if (const auto host = referrer_host(referrer_url)) {
    acq.referrer_host = core::site_of(*host).text;
    // The one same-site rule (docs/urls.md), as for the Origin check.
    acq.internal = core::same_site(*host, core::site_of(core::known_host(page.hostname)));
    if (!acq.internal) {
      const auto project_site = site(project_domain);
      acq.internal = project_site && core::same_site(*host, *project_site);
    }
  }
  std::string_view external_host = acq.internal ? std::string_view{} : acq.referrer_host;
  acq.source = page.utm_source.empty() ? std::string(external_host) : page.utm_source;
  acq.channel = std::string(classify_channel(page, external_host));
  return acq;
}

}  // namespace bklit::enrich
