#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "bklit/api/live_endpoint.hpp"
#include "bklit/core/event.hpp"

namespace bklit::api {
namespace {

std::string golden(const std::string& file) {
  std::ifstream in(std::string(BKLIT_SOURCE_DIR) + "/tests/golden/records/" + file,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(LiveEventJson, RelaysRecordsOfEveryFormatVersion) {
  for (const char* file : {"v1_custom_metadata.bin", "v2_42fields_custom_metadata.bin"}) {
    const std::string json = live_event_frame(golden(file));
    EXPECT_NE(json.find(R"("type":"event")"), std::string::npos) << file << ": " << json;
    EXPECT_NE(json.find(R"("tracking_id":"cta-signup")"), std::string::npos)
        << file << ": " << json;
    EXPECT_NE(json.find(R"("pathname":"/pricing")"), std::string::npos) << file << ": " << json;
  }
}

TEST(LiveEventJson, SkipsRecordsThatDoNotDecode) {
  const std::string good = golden("v2_42fields_custom_metadata.bin");
  ASSERT_FALSE(live_event_frame(good).empty());
  EXPECT_EQ(live_event_frame("garbage"), "");
  EXPECT_EQ(live_event_frame(""), "");
  EXPECT_EQ(live_event_frame(good.substr(0, good.size() / 2)), "");
  EXPECT_EQ(live_event_frame(good + "trailing"), "");
}

}  // namespace
}  // namespace bklit::api
