#include "bklit/enrich/page_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bklit::enrich {
namespace {

PageUrl parse_ok(std::string_view url) {
  auto parsed = parse_page_url(url);
  EXPECT_TRUE(parsed) << url << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : PageUrl{};
}

TEST(PageUrl, SplitsHostPathAndQuery) {
  PageUrl p = parse_ok("https://Example.COM:8443/Blog/Post/?a=1&b=2#comments");
  EXPECT_EQ(p.hostname, "example.com");
  EXPECT_EQ(p.pathname, "/Blog/Post");
  EXPECT_EQ(p.query, "a=1&b=2");
}

TEST(PageUrl, EmptyPathIsRoot) {
  EXPECT_EQ(parse_ok("https://example.com").pathname, "/");
  EXPECT_EQ(parse_ok("https://example.com/").pathname, "/");
  EXPECT_EQ(parse_ok("https://example.com?x=1").pathname, "/");
  EXPECT_EQ(parse_ok("https://example.com#top").pathname, "/");
  EXPECT_EQ(parse_ok("http://example.com.:80/").hostname, "example.com");
}

TEST(PageUrl, FragmentIsDroppedEvenWithQuestionMark) {
  PageUrl p = parse_ok("https://example.com/docs#section?utm_source=nope");
  EXPECT_EQ(p.pathname, "/docs");
  EXPECT_EQ(p.query, "");
  EXPECT_EQ(p.utm_source, "");
}

TEST(PageUrl, UserinfoAndIpv6Hosts) {
  EXPECT_EQ(parse_ok("https://user:pw@shop.example.com/cart").hostname, "shop.example.com");
  PageUrl v6 = parse_ok("http://[2001:DB8::1]:8080/x/");
  EXPECT_EQ(v6.hostname, "[2001:db8::1]");
  EXPECT_EQ(v6.pathname, "/x");
}

TEST(PageUrl, HostsInTheirOneSpelling) {
  // As browsers send them: punycode, canonical IPv6, escapes decoded (docs/urls.md).
  EXPECT_EQ(parse_ok("https://B\xC3\x9C"
                     "cher.example/")
                .hostname,
            "xn--bcher-kva.example");
  EXPECT_EQ(parse_ok("http://[2001:db8:0::1]/").hostname, "[2001:db8::1]");
  EXPECT_EQ(parse_ok("https://ex%61mple.com/").hostname, "example.com");
  EXPECT_EQ(parse_ok("https://127.0.0.1.:8080/").hostname, "127.0.0.1");
}

TEST(PageUrl, ErrorsSayWhatIsWrongWithTheHost) {
  auto parsed = parse_page_url("https://exa mple.com/");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "The page URL contains the character ' '.");
}

TEST(PageUrl, ReadsEncodedUtmFields) {
  PageUrl p = parse_ok(
      "https://example.com/landing?utm_source=news%20letter&utm_medium=email&utm_campaign="
      "Spring+Sale%21&utm_term=caf%C3%A9&utm_content=hero&utm_id=42&other=x");
  EXPECT_EQ(p.utm_source, "news letter");
  EXPECT_EQ(p.utm_medium, "email");
  EXPECT_EQ(p.utm_campaign, "Spring Sale!");
  EXPECT_EQ(p.utm_term, "caf\xC3\xA9");
  EXPECT_EQ(p.utm_content, "hero");
  EXPECT_EQ(p.utm_id, "42");
  EXPECT_EQ(p.click_id, "");
}

TEST(PageUrl, UtmValuesAreCleanedAndBounded) {
  PageUrl p = parse_ok("https://example.com/?utm_source=%00evil%0A%FF&utm_campaign=" +
                       std::string(1000, 'a') + "&utm_medium=&utm_medium=cpc");
  EXPECT_EQ(p.utm_source, "evil");
  EXPECT_EQ(p.utm_campaign.size(), kMaxUtmValueBytes);
  EXPECT_EQ(p.utm_medium, "cpc");  // an empty first occurrence does not hide the second
}

TEST(PageUrl, FirstClickIdInPriorityOrder) {
  EXPECT_EQ(parse_ok("https://example.com/?fbclid=abc").click_id, "fbclid");
  EXPECT_EQ(parse_ok("https://example.com/?msclkid=1&gclid=2").click_id, "gclid");
  EXPECT_EQ(parse_ok("https://example.com/?li_fat_id=1").click_id, "li_fat_id");
  EXPECT_EQ(parse_ok("https://example.com/?gclid=").click_id, "");  // no value, no click
  EXPECT_EQ(parse_ok("https://example.com/?xgclid=1").click_id, "");
}

TEST(PageUrl, RejectsWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* url :
       {"", "/relative/path", "example.com/page", "ftp://example.com/", "javascript:alert(1)",
        "https://", "https:///path", "https://exa mple.com/", "https://example.com:99999/",
        "https://example.com:80a/", "http://[::1/", "http://[notip]/", "https://.example.com/",
        "https://exa<mple.com/", "https://example.com:0/", "https://a..b/", "https://1.2.3/",
        "http:/example.com/"}) {
    auto parsed = parse_page_url(url);
    EXPECT_FALSE(parsed) << url;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, "invalid_url") << url;
    }
  }
  auto too_long = parse_page_url("https://example.com/" + std::string(kMaxUrlBytes, 'a'));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, "url_too_long");
}

TEST(PageUrl, QueryIsBounded) {
  PageUrl p = parse_ok("https://example.com/?q=" + std::string(5000, 'x'));
  EXPECT_EQ(p.query.size(), kMaxQueryBytes);
}

TEST(NormalizePath, TrailingSlashesGoExceptRoot) {
  EXPECT_EQ(normalize_path(""), "/");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("//"), "/");
  EXPECT_EQ(normalize_path("/pricing/"), "/pricing");
  EXPECT_EQ(normalize_path("/a/b//"), "/a/b");
  EXPECT_EQ(normalize_path("docs"), "/docs");
}

TEST(NormalizePath, QueryAndFragmentAreCut) {
  EXPECT_EQ(normalize_path("/search?q=1"), "/search");
  EXPECT_EQ(normalize_path("/faq/#q2"), "/faq");
}

TEST(NormalizePath, DecodesOnlyUnreservedCharacters) {
  EXPECT_EQ(normalize_path("/%7Euser/%41bc"), "/~user/Abc");
  EXPECT_EQ(normalize_path("/a%2fb"), "/a%2Fb");  // an encoded slash is not a separator
  EXPECT_EQ(normalize_path("/caf%c3%a9"), "/caf%C3%A9");
  EXPECT_EQ(normalize_path("/100%"), "/100%");
  EXPECT_EQ(normalize_path("/%zz"), "/%zz");
}

TEST(NormalizePath, LongPathsAreBounded) {
  EXPECT_EQ(normalize_path("/" + std::string(5000, 'p')).size(), kMaxPathnameBytes);
}

}  // namespace
}  // namespace bklit::enrich
