#include "bklit/enrich/acquisition.hpp"

#include <array>
#include <utility>

#include "src/known_sources.hpp"
#include "src/text_util.hpp"

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

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// Host of a URL-ish string ("https://u@Host:8080/x", "//host/x", "host/x"), lowercased,
// without port and trailing dot; empty when there is none.
std::string extract_host(std::string_view url) {
  url = trim_spaces(url);
  bool android_app = false;
  if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    android_app = iequals(url.substr(0, scheme_end), "android-app");
    url.remove_prefix(scheme_end + 3);
  } else if (url.starts_with("//")) {
    url.remove_prefix(2);
  }
  std::string_view authority = url.substr(0, url.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host;
  if (!authority.empty() && authority.front() == '[') {
    host = authority.substr(0, authority.find(']') + 1);  // IPv6 literal, kept in brackets
  } else {
    host = authority.substr(0, authority.find(':'));
    for (char c : host) {
      if (!is_host_char(c)) return {};
    }
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > kMaxHostnameBytes || host.front() == '.') return {};
  std::string out(host);
  for (char& c : out) c = ascii_lower(c);
  if (android_app) {
    for (const auto& [package, site] : kAndroidApps) {
      if (out == package) return std::string(site);
    }
  }
  return out;
}

std::string_view without_www(std::string_view host) {
  if (host.starts_with("www.")) host.remove_prefix(4);
  return host;
}

// The bare host of a project domain as configured: "Example.com", "https://www.example.com/".
std::string normalize_domain(std::string_view domain) {
  return std::string(without_www(extract_host(domain)));
}

bool is_same_or_subdomain(std::string_view host, std::string_view domain) {
  if (domain.empty() || !host.ends_with(domain)) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.';
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
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
  std::string medium = lowered(page.utm_medium);
  std::string source = lowered(page.utm_source);
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
  std::string host = extract_host(referrer_url);
  acq.referrer_host = std::string(without_www(host));
  if (!acq.referrer_host.empty()) {
    acq.internal = acq.referrer_host == without_www(page.hostname) ||
                   is_same_or_subdomain(acq.referrer_host, normalize_domain(project_domain));
  }
  std::string_view external_host = acq.internal ? std::string_view{} : acq.referrer_host;
  acq.source = page.utm_source.empty() ? std::string(external_host) : page.utm_source;
  acq.channel = std::string(classify_channel(page, external_host));
  return acq;
}

}  // namespace bklit::enrich
