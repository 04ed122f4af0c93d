#include "bklit/ingest/sdk_message.hpp"

#include <gtest/gtest.h>

namespace bklit::ingest {
namespace {

const MessageLimits kLimits{};

TEST(SdkMessage, ParsesThePublishedSdkPageview) {
  auto m = parse_sdk_message(R"({"type":"pageview","data":{
    "url":"https://shop.example/p/1?utm_source=x#h","timestamp":"2026-11-26T10:00:00.000Z",
    "referrer":null,"referrerHostname":null,"referrerType":"direct",
    "userAgent":"Mozilla/5.0","viewport":{"width":1280,"height":720},
    "screen":{"width":1920,"height":1080},"language":"en-US","timezone":"Europe/Berlin",
    "sessionId":"1732612345678-k3j2h4g5f6d7s","projectId":"p1","isNewVisitor":true,
    "landingPage":"https://shop.example/"},"apiKey":"bk_x"})",
                             kLimits);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->kind, SdkMessage::Kind::kPageview);
  EXPECT_EQ(m->api_key, "bk_x");
  EXPECT_EQ(m->pageview.url, "https://shop.example/p/1?utm_source=x#h");
  EXPECT_EQ(m->pageview.referrer, "");
  EXPECT_EQ(m->pageview.screen_width, 1920);
  EXPECT_EQ(m->pageview.viewport_height, 720);
  EXPECT_TRUE(m->pageview.is_new_visitor);
  EXPECT_EQ(m->pageview.session_id, "1732612345678-k3j2h4g5f6d7s");
}

TEST(SdkMessage, ParsesEventWithScalarMetadata) {
  auto m = parse_sdk_message(R"({"type":"event","data":{"trackingId":"cta-button",
    "eventType":"click","timestamp":"2026-11-26T10:00:00.000Z",
    "metadata":{"buttonText":"Sign Up","n":3,"f":1.5,"ok":true,"none":null,"triggerMethod":"manual"},
    "projectId":"p1","sessionId":"s1"}})",
                             kLimits);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->kind, SdkMessage::Kind::kEvent);
  EXPECT_TRUE(m->api_key.empty());
  EXPECT_EQ(m->event.tracking_id, "cta-button");
  ASSERT_EQ(m->event.metadata.size(), 6U);
  EXPECT_EQ(m->event.metadata[0], (std::pair<std::string, std::string>{"buttonText", "Sign Up"}));
  EXPECT_EQ(m->event.metadata[1].second, "3");
  EXPECT_EQ(m->event.metadata[2].second, "1.5");
  EXPECT_EQ(m->event.metadata[3].second, "true");
  EXPECT_EQ(m->event.metadata[4].second, "");
}

TEST(SdkMessage, ParsesAuth) {
  auto m = parse_sdk_message(R"({"type":"auth","apiKey":"bk_abc"})", kLimits);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, SdkMessage::Kind::kAuth);
  EXPECT_EQ(m->api_key, "bk_abc");
  EXPECT_FALSE(parse_sdk_message(R"({"type":"auth"})", kLimits).ok());
}

struct Rejection {
  std::string json;
  std::string code;
};

class SdkMessageRejects : public ::testing::TestWithParam<Rejection> {};

TEST_P(SdkMessageRejects, WithAClearCode) {
  auto m = parse_sdk_message(GetParam().json, kLimits);
  ASSERT_FALSE(m.ok()) << GetParam().json;
  EXPECT_EQ(m.error().code, GetParam().code) << m.error().message;
  EXPECT_FALSE(m.error().message.empty());
}

std::string long_url() { return "https://a.example/" + std::string(2100, 'x'); }

std::string many_props() {
  std::string meta;
  for (int i = 0; i < 31; ++i) meta += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":1");
  return R"({"type":"event","data":{"trackingId":"t","metadata":{)" + meta + "}}}";
}

INSTANTIATE_TEST_SUITE_P(
    All, SdkMessageRejects,
    ::testing::Values(
        Rejection{"{not json", "invalid_json"}, Rejection{"", "invalid_json"},
        Rejection{"\"a string\"", "invalid_message"}, Rejection{"[1,2]", "invalid_message"},
        Rejection{R"({"data":{}})", "missing_field"},
        Rejection{R"({"type":"identify","data":{}})", "unknown_type"},
        Rejection{R"({"type":"pageview"})", "missing_field"},
        Rejection{R"({"type":"pageview","data":[]})", "missing_field"},
        Rejection{R"({"type":"pageview","data":{}})", "missing_field"},
        Rejection{R"({"type":"pageview","data":{"url":5}})", "invalid_field"},
        Rejection{R"({"type":"pageview","data":{"url":")" + long_url() + "\"}}", "string_too_long"},
        Rejection{
            R"({"type":"pageview","data":{"url":"https://a.example/","screen":{"width":-1}}})",
            "invalid_field"},
        Rejection{R"({"type":"pageview","data":{"url":"https://a.example/","isNewVisitor":"yes"}})",
                  "invalid_field"},
        Rejection{R"({"type":"event","data":{}})", "missing_field"},
        Rejection{R"({"type":"event","data":{"trackingId":""}})", "missing_field"},
        Rejection{R"({"type":"event","data":{"trackingId":"t","metadata":{"a":{"b":1}}}})",
                  "nested_metadata"},
        Rejection{R"({"type":"event","data":{"trackingId":"t","metadata":{"a":[1]}}})",
                  "nested_metadata"},
        Rejection{R"({"type":"event","data":{"trackingId":"t","metadata":"x"}})", "invalid_field"},
        Rejection{many_props(), "too_many_properties"},
        Rejection{R"({"type":"event","data":{"trackingId":"t","metadata":{"a":")" +
                      std::string(501, 'v') + "\"}}}",
                  "string_too_long"},
        Rejection{"{\"type\":\"pageview\",\"data\":{\"url\":\"https://a.example/\xff\"}}",
                  "invalid_json"}));

TEST(SdkBatch, ParsesArraysAndSingleObjects) {
  auto b = parse_sdk_batch(
      R"([{"type":"pageview","data":{"url":"https://a.example/"}},{"type":"nope","data":{}}])",
      kLimits);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2U);
  EXPECT_TRUE((*b)[0].ok());
  EXPECT_FALSE((*b)[1].ok());
  auto one = parse_sdk_batch(R"({"type":"pageview","data":{"url":"https://a.example/"}})", kLimits);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1U);
}

TEST(SdkBatch, RejectsBadBodies) {
  EXPECT_EQ(parse_sdk_batch("nope", kLimits).error().code, "invalid_json");
  EXPECT_EQ(parse_sdk_batch("[]", kLimits).error().code, "empty_batch");
  EXPECT_EQ(parse_sdk_batch("42", kLimits).error().code, "invalid_message");
  MessageLimits small = kLimits;
  small.max_batch_messages = 2;
  auto b = parse_sdk_batch("[{},{},{}]", small);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().http_status, 413);
}

}  // namespace
}  // namespace bklit::ingest
