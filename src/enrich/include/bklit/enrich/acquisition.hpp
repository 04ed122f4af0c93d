#pragma once
// Referrer + campaign fields -> source and channel (docs/metrics.md "Acquisition").

#include <string>
#include <string_view>

#include "bklit/enrich/page_url.hpp"

namespace bklit::enrich {

inline constexpr std::string_view kChannelPaid = "Paid";
inline constexpr std::string_view kChannelOrganicSearch = "Organic Search";
inline constexpr std::string_view kChannelOrganicSocial = "Organic Social";
inline constexpr std::string_view kChannelEmail = "Email";
inline constexpr std::string_view kChannelReferral = "Referral";
inline constexpr std::string_view kChannelDirect = "Direct";

struct Acquisition {
  std::string referrer_host;  // lowercased, without "www." and port; also set when internal
  std::string source;         // utm_source, else external referrer host; empty = Direct / None
  std::string channel;        // one of the kChannel* names
  bool internal = false;      // the referrer is the project's own site
};

// A referrer is internal when its host is same-site (core::same_site, docs/urls.md) with
// project_domain or with the page's own host. project_domain may be empty.
//
// Channel, first rule that applies:
//  1. Paid: a click id, or utm_medium cpc, ppc, cpm, paid or paid* (paidsearch, paid_social).
//  2. Email: utm_medium or utm_source email / e-mail / e_mail / newsletter.
//  3. Organic Search: utm_medium organic.  4. Organic Social: utm_medium social, sm,
//     social-network, social-media.
//  5. utm_source naming a known search engine, social network or webmail (google, facebook,
//     news.ycombinator.com, ...) -> that channel.
//  6. External referrer host: known search engine -> Organic Search, social network
//     (including news.ycombinator.com, messengers and Mastodon's big instances) -> Organic
//     Social, webmail -> Email, anything else -> Referral.
//  7. Any other utm_source -> Referral (a named external source), else Direct.
Acquisition classify_acquisition(const PageUrl& page, std::string_view referrer_url,
                                 std::string_view project_domain);

}  // namespace bklit::enrich
