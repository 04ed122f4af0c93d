#include "src/known_sources.hpp"

#include <unordered_map>

namespace bklit::enrich {

namespace {

struct HostRule {
  SourceKind kind;
  bool subdomains;  // also match any subdomain of the entry
};

using HostTable = std::unordered_map<std::string_view, HostRule>;

constexpr HostRule kSearchAny{SourceKind::kSearch, true};
constexpr HostRule kSearchExact{SourceKind::kSearch, false};
constexpr HostRule kSocialAny{SourceKind::kSocial, true};
constexpr HostRule kEmailAny{SourceKind::kEmail, true};

const HostTable& host_table() {
  static const HostTable table = [] {
    HostTable t;
    // Search engines. Only the engine's own search hosts: docs.google.com or
    // finance.yahoo.com are ordinary referrals.
    for (std::string_view h :
         {"bing.com",        "duckduckgo.com",  "search.yahoo.com", "search.yahoo.co.jp",
          "ya.ru",           "baidu.com",       "ecosia.org",       "search.brave.com",
          "qwant.com",       "startpage.com",   "search.naver.com", "search.seznam.cz",
          "so.com",          "sogou.com",       "search.aol.com",   "ask.com",
          "kagi.com",        "mojeek.com",      "search.daum.net",  "coccoc.com",
          "petalsearch.com", "metager.org",     "swisscows.com",    "presearch.com",
          "you.com",         "search.lilo.org", "yep.com",          "seznam.cz"}) {
      t.emplace(h, kSearchAny);
    }
    for (std::string_view h : {"naver.com", "yahoo.com", "aol.com", "daum.net", "m.naver.com"}) {
      t.emplace(h, kSearchExact);
    }
    // Social networks and messengers. Hacker News and lobste.rs are community link
    // aggregators, which people read as social traffic rather than referrals.
    for (std::string_view h : {"facebook.com",
                               "fb.com",
                               "fb.me",
                               "messenger.com",
                               "instagram.com",
                               "threads.net",
                               "threads.com",
                               "t.co",
                               "twitter.com",
                               "x.com",
                               "linkedin.com",
                               "lnkd.in",
                               "reddit.com",
                               "redd.it",
                               "pin.it",
                               "youtube.com",
                               "youtu.be",
                               "tiktok.com",
                               "snapchat.com",
                               "bsky.app",
                               "mastodon.social",
                               "mastodon.online",
                               "mstdn.social",
                               "fosstodon.org",
                               "hachyderm.io",
                               "infosec.exchange",
                               "tumblr.com",
                               "vk.com",
                               "ok.ru",
                               "weibo.com",
                               "weibo.cn",
                               "quora.com",
                               "news.ycombinator.com",
                               "lobste.rs",
                               "discord.com",
                               "discordapp.com",
                               "t.me",
                               "telegram.org",
                               "whatsapp.com",
                               "wa.me",
                               "line.me",
                               "medium.com",
                               "producthunt.com",
                               "twitch.tv",
                               "slack.com",
                               "xing.com",
                               "douyin.com",
                               "kakao.com",
                               "nextdoor.com",
                               "flipboard.com",
                               "vimeo.com"}) {
      t.emplace(h, kSocialAny);
    }
    // Webmail. Listed hosts are longer than their brand's search entry, and the longest
    // matching suffix wins, so mail.yandex.ru is Email while yandex.ru is Search.
    for (std::string_view h : {"mail.google.com",
                               "inbox.google.com",
                               "outlook.live.com",
                               "outlook.office.com",
                               "outlook.office365.com",
                               "mail.yahoo.com",
                               "mail.yahoo.co.jp",
                               "mail.aol.com",
                               "mail.proton.me",
                               "mail.protonmail.com",
                               "app.fastmail.com",
                               "mail.yandex.ru",
                               "mail.yandex.com",
                               "e.mail.ru",
                               "mail.zoho.com",
                               "mail.zoho.eu",
                               "mail.qq.com",
                               "mail.163.com",
                               "mail.126.com",
                               "navigator.gmx.net",
                               "navigator.gmx.com",
                               "bap.navigator.gmx.net",
                               "mail.gmx.com",
                               "mail.gmx.net",
                               "web.de",
                               "app.tuta.com",
                               "mail.tutanota.com",
                               "webmail.free.fr",
                               "mail.orange.fr",
                               "mail.com",
                               "email.t-online.de",
                               "mail.naver.com",
                               "mail.daum.net",
                               "email.seznam.cz"}) {
      t.emplace(h, kEmailAny);
    }
    return t;
  }();
  return table;
}

// Brands that search under many country TLDs: google.de, google.co.uk, yandex.com.tr...
const std::unordered_map<std::string_view, HostRule>& brand_table() {
  static const std::unordered_map<std::string_view, HostRule> table = {
      {"google", kSearchExact},  {"yandex", kSearchAny},    {"bing", kSearchAny},
      {"yahoo", kSearchExact},   {"pinterest", kSocialAny}, {"facebook", kSocialAny},
      {"youtube", kSocialAny},   {"reddit", kSocialAny},    {"linkedin", kSocialAny},
      {"instagram", kSocialAny}, {"tiktok", kSocialAny},
  };
  return table;
}

// Whether rest looks like a (country) top-level domain: "de", "com", "co.uk", "com.br".
bool is_tld_like(std::string_view rest) {
  auto dot = rest.find('.');
  if (dot == std::string_view::npos) return !rest.empty() && rest.size() <= 6;
  auto second = rest.substr(dot + 1);
  return dot >= 2 && dot <= 3 && second.find('.') == std::string_view::npos && second.size() == 2;
}

SourceKind lookup_suffixes(std::string_view host) {
  const auto& hosts = host_table();
  const auto& brands = brand_table();
  // Longest suffix first, one label at a time: a.b.example.com, b.example.com, ...
  for (std::string_view suffix = host; !suffix.empty();) {
    bool whole = suffix.size() == host.size();
    if (auto it = hosts.find(suffix); it != hosts.end() && (whole || it->second.subdomains)) {
      return it->second.kind;
    }
    auto dot = suffix.find('.');
    if (dot == std::string_view::npos) break;
    if (auto it = brands.find(suffix.substr(0, dot)); it != brands.end() &&
                                                      (whole || it->second.subdomains) &&
                                                      is_tld_like(suffix.substr(dot + 1))) {
      return it->second.kind;
    }
    suffix.remove_prefix(dot + 1);
  }
  return SourceKind::kUnknown;
}

}  // namespace

SourceKind classify_host(std::string_view host) {
  if (host.starts_with("www.")) host.remove_prefix(4);
  return lookup_suffixes(host);
}

SourceKind classify_source_name(std::string_view source) {
  static const std::unordered_map<std::string_view, SourceKind> names = {
      {"google", SourceKind::kSearch},      {"bing", SourceKind::kSearch},
      {"duckduckgo", SourceKind::kSearch},  {"ddg", SourceKind::kSearch},
      {"yahoo", SourceKind::kSearch},       {"yandex", SourceKind::kSearch},
      {"baidu", SourceKind::kSearch},       {"ecosia", SourceKind::kSearch},
      {"brave", SourceKind::kSearch},       {"qwant", SourceKind::kSearch},
      {"startpage", SourceKind::kSearch},   {"naver", SourceKind::kSearch},
      {"seznam", SourceKind::kSearch},      {"sogou", SourceKind::kSearch},
      {"ask", SourceKind::kSearch},         {"kagi", SourceKind::kSearch},
      {"facebook", SourceKind::kSocial},    {"fb", SourceKind::kSocial},
      {"instagram", SourceKind::kSocial},   {"ig", SourceKind::kSocial},
      {"twitter", SourceKind::kSocial},     {"x", SourceKind::kSocial},
      {"linkedin", SourceKind::kSocial},    {"reddit", SourceKind::kSocial},
      {"pinterest", SourceKind::kSocial},   {"youtube", SourceKind::kSocial},
      {"tiktok", SourceKind::kSocial},      {"snapchat", SourceKind::kSocial},
      {"threads", SourceKind::kSocial},     {"bluesky", SourceKind::kSocial},
      {"mastodon", SourceKind::kSocial},    {"hackernews", SourceKind::kSocial},
      {"hacker news", SourceKind::kSocial}, {"hn", SourceKind::kSocial},
      {"whatsapp", SourceKind::kSocial},    {"telegram", SourceKind::kSocial},
      {"discord", SourceKind::kSocial},     {"tumblr", SourceKind::kSocial},
      {"vk", SourceKind::kSocial},          {"weibo", SourceKind::kSocial},
      {"quora", SourceKind::kSocial},       {"slack", SourceKind::kSocial},
      {"gmail", SourceKind::kEmail},        {"outlook", SourceKind::kEmail},
      {"email", SourceKind::kEmail},        {"e-mail", SourceKind::kEmail},
      {"e_mail", SourceKind::kEmail},       {"e mail", SourceKind::kEmail},
      {"newsletter", SourceKind::kEmail},
  };
  if (auto it = names.find(source); it != names.end()) return it->second;
  if (source.find('.') != std::string_view::npos) return classify_host(source);
  return SourceKind::kUnknown;
}

}  // namespace bklit::enrich
