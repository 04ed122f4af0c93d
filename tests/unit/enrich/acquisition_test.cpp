#include "bklit/enrich/acquisition.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bklit::enrich {
namespace {

PageUrl page(std::string_view url) {
  auto parsed = parse_page_url(url);
  EXPECT_TRUE(parsed) << url;
  return parsed ? *parsed : PageUrl{};
}

Acquisition classify(std::string_view url, std::string_view referrer,
                     std::string_view project_domain = "example.com") {
  return classify_acquisition(page(url), referrer, project_domain);
}

TEST(Acquisition, NoReferrerNoCampaignIsDirect) {
  Acquisition a = classify("https://example.com/", "");
  EXPECT_EQ(a.channel, "Direct");
  EXPECT_EQ(a.source, "");
  EXPECT_EQ(a.referrer_host, "");
  EXPECT_FALSE(a.internal);
}

TEST(Acquisition, InternalReferrersAreNotASource) {
  for (const char* ref : {"https://example.com/pricing", "https://www.example.com/",
                          "https://blog.example.com/post", "https://EXAMPLE.com:8443/x"}) {
    Acquisition a = classify("https://example.com/", ref);
    EXPECT_TRUE(a.internal) << ref;
    EXPECT_EQ(a.source, "") << ref;
    EXPECT_EQ(a.channel, "Direct") << ref;
  }
  // Same host as the page counts as internal even when the project domain differs.
  Acquisition same_host = classify("https://shop.other.org/a", "https://shop.other.org/b", "");
  EXPECT_TRUE(same_host.internal);
  EXPECT_EQ(same_host.channel, "Direct");
  // A look-alike domain is external.
  Acquisition lookalike = classify("https://example.com/", "https://notexample.com/");
  EXPECT_FALSE(lookalike.internal);
  EXPECT_EQ(lookalike.channel, "Referral");
}

TEST(Acquisition, ProjectDomainMayBeGivenAsUrl) {
  Acquisition a = classify_acquisition(page("https://example.com/"), "https://app.example.com/",
                                       "https://www.Example.com/");
  EXPECT_TRUE(a.internal);
}

TEST(Acquisition, SameSiteRuleDecidesInternal) {
  // The rule of docs/urls.md, shared with the Origin check: "www." on the project domain
  // names the site, and subdomains of the page's own host are the same site.
  EXPECT_TRUE(classify_acquisition(page("https://www.example.com/"), "https://example.com/x",
                                   "www.example.com")
                  .internal);
  EXPECT_TRUE(
      classify_acquisition(page("https://shop.other.org/"), "https://cdn.shop.other.org/", "")
          .internal);
  EXPECT_TRUE(classify_acquisition(page("https://example.com/"), "https://xn--caf-dma.example/",
                                   "caf\xC3\xA9.example")
                  .internal);
  Acquisition parent = classify_acquisition(page("https://blog.example.com/"),
                                            "https://example.com/", "blog.example.com");
  EXPECT_FALSE(parent.internal);
  EXPECT_EQ(parent.channel, "Referral");
}

TEST(Acquisition, ReferrerHostLosesWwwAndPort) {
  Acquisition a = classify("https://example.com/", "https://www.SomeBlog.net:8080/post?x=1");
  EXPECT_EQ(a.referrer_host, "someblog.net");
  EXPECT_EQ(a.source, "someblog.net");
  EXPECT_EQ(a.channel, "Referral");
}

TEST(Acquisition, UtmSourceWinsOverReferrer) {
  Acquisition a =
      classify("https://example.com/?utm_source=Spring-Newsletter", "https://someblog.net/");
  EXPECT_EQ(a.source, "Spring-Newsletter");
  EXPECT_EQ(a.referrer_host, "someblog.net");
}

TEST(Acquisition, PaidByMediumOrClickId) {
  for (const char* url :
       {"https://example.com/?utm_source=google&utm_medium=cpc",
        "https://example.com/?utm_source=bing&utm_medium=PPC",
        "https://example.com/?utm_medium=paid", "https://example.com/?utm_medium=paidsearch",
        "https://example.com/?utm_medium=paid_social", "https://example.com/?gclid=abc",
        "https://example.com/?msclkid=abc", "https://example.com/?fbclid=abc",
        "https://example.com/?ttclid=abc", "https://example.com/?li_fat_id=abc",
        "https://example.com/?twclid=abc"}) {
    EXPECT_EQ(classify(url, "https://www.google.com/").channel, "Paid") << url;
  }
  // A click id with a Facebook referrer is still paid traffic, sourced to Facebook.
  Acquisition fb = classify("https://example.com/?fbclid=x", "https://l.facebook.com/");
  EXPECT_EQ(fb.channel, "Paid");
  EXPECT_EQ(fb.source, "l.facebook.com");
}

TEST(Acquisition, OrganicSearchReferrers) {
  for (const char* ref :
       {"https://www.google.com/", "https://www.google.co.uk/", "https://google.de/",
        "https://www.google.com.br/search?q=x", "https://www.bing.com/search?q=x",
        "https://cn.bing.com/", "https://duckduckgo.com/", "https://search.yahoo.com/",
        "https://uk.search.yahoo.com/", "https://yandex.ru/", "https://yandex.com.tr/",
        "https://www.baidu.com/", "https://www.ecosia.org/", "https://search.brave.com/",
        "https://www.qwant.com/", "https://www.startpage.com/", "https://search.naver.com/",
        "https://search.seznam.cz/", "android-app://com.google.android.googlequicksearchbox/"}) {
    Acquisition a = classify("https://example.com/", ref);
    EXPECT_EQ(a.channel, "Organic Search") << ref;
  }
}

TEST(Acquisition, GoogleProductsOtherThanSearchAreReferrals) {
  EXPECT_EQ(classify("https://example.com/", "https://docs.google.com/document/d/1").channel,
            "Referral");
  EXPECT_EQ(classify("https://example.com/", "https://finance.yahoo.com/").channel, "Referral");
  EXPECT_EQ(classify("https://example.com/", "https://google.evil.com/").channel, "Referral");
}

TEST(Acquisition, OrganicSocialReferrers) {
  for (const char* ref :
       {"https://l.facebook.com/", "https://m.facebook.com/", "https://www.instagram.com/",
        "https://t.co/abc", "https://x.com/user", "https://twitter.com/",
        "https://www.linkedin.com/", "https://lnkd.in/x", "https://www.reddit.com/r/cpp",
        "https://out.reddit.com/", "https://www.pinterest.com/", "https://www.pinterest.co.uk/",
        "https://www.youtube.com/", "https://www.tiktok.com/", "https://mastodon.social/@x",
        "https://bsky.app/", "https://news.ycombinator.com/item?id=1",
        "android-app://com.linkedin.android/"}) {
    EXPECT_EQ(classify("https://example.com/", ref).channel, "Organic Social") << ref;
  }
}

TEST(Acquisition, EmailByMediumSourceOrWebmail) {
  EXPECT_EQ(classify("https://example.com/?utm_source=newsletter", "").channel, "Email");
  EXPECT_EQ(classify("https://example.com/?utm_source=acme&utm_medium=email", "").channel, "Email");
  EXPECT_EQ(classify("https://example.com/?utm_source=facebook&utm_medium=e-mail", "").channel,
            "Email");
  for (const char* ref :
       {"https://mail.google.com/", "https://outlook.live.com/mail/0/", "https://mail.yahoo.com/",
        "https://mail.yandex.ru/", "android-app://com.google.android.gm/"}) {
    EXPECT_EQ(classify("https://example.com/", ref).channel, "Email") << ref;
  }
}

TEST(Acquisition, UtmSourceNamesAKnownSite) {
  EXPECT_EQ(classify("https://example.com/?utm_source=google&utm_medium=organic", "").channel,
            "Organic Search");
  EXPECT_EQ(classify("https://example.com/?utm_source=duckduckgo", "").channel, "Organic Search");
  EXPECT_EQ(classify("https://example.com/?utm_source=twitter", "").channel, "Organic Social");
  EXPECT_EQ(classify("https://example.com/?utm_source=Facebook&utm_medium=social", "").channel,
            "Organic Social");
  EXPECT_EQ(classify("https://example.com/?utm_source=news.ycombinator.com", "").channel,
            "Organic Social");
}

TEST(Acquisition, UnknownCampaignSourceIsReferral) {
  Acquisition a = classify("https://example.com/?utm_source=partner-site&utm_medium=banner", "");
  EXPECT_EQ(a.channel, "Referral");
  EXPECT_EQ(a.source, "partner-site");
}

TEST(Acquisition, GarbageReferrerIsIgnored) {
  for (const char* ref : {"(not set)", "   ", "https://", "https://exa mple.com/"}) {
    Acquisition a = classify("https://example.com/", ref);
    EXPECT_EQ(a.referrer_host, "") << ref;
    EXPECT_EQ(a.channel, "Direct") << ref;
  }
}

}  // namespace
}  // namespace bklit::enrich
