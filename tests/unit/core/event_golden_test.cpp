// Records written by every released format version must decode, forever: the files in
// tests/golden/records/ are the bytes an older bklit left in its queue (docs/records.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "bklit/core/event.hpp"
#include "golden_events.hpp"

namespace bklit::core {
namespace {

std::string golden_path(const std::string& file) {
  return std::string(BKLIT_SOURCE_DIR) + "/tests/golden/records/" + file;
}

std::string read_golden(const std::string& file) {
  std::ifstream in(golden_path(file), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing golden record " << golden_path(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One line per field, so a mismatch shows which field differs.
std::string describe(const Event& e) {
  std::ostringstream out;
  out << "type=" << static_cast<int>(e.type) << "\nevent_id=" << e.event_id
      << "\nproject_id=" << e.project_id << "\nsession_id=" << e.session_id
      << "\nvisitor_id=" << e.visitor_id << "\ntimestamp_ms=" << e.timestamp_ms
      << "\nreceived_ms=" << e.received_ms << "\nurl=" << e.url << "\nhostname=" << e.hostname
      << "\npathname=" << e.pathname << "\nquery=" << e.query << "\nreferrer=" << e.referrer
      << "\nreferrer_host=" << e.referrer_host << "\nsource=" << e.source
      << "\nchannel=" << e.channel << "\nutm_source=" << e.utm_source
      << "\nutm_medium=" << e.utm_medium << "\nutm_campaign=" << e.utm_campaign
      << "\nutm_term=" << e.utm_term << "\nutm_content=" << e.utm_content << "\nutm_id=" << e.utm_id
      << "\nclick_id=" << e.click_id << "\ncountry=" << e.country << "\nregion=" << e.region
      << "\ncity=" << e.city << "\nbrowser=" << e.browser
      << "\nbrowser_version=" << e.browser_version << "\nos=" << e.os
      << "\nos_version=" << e.os_version << "\ndevice_type=" << e.device_type
      << "\nis_bot=" << e.is_bot << "\nscreen=" << e.screen_width << "x" << e.screen_height
      << "\nviewport=" << e.viewport_width << "x" << e.viewport_height
      << "\nscreen_class=" << e.screen_class << "\nlanguage=" << e.language
      << "\ntimezone=" << e.timezone << "\nis_new_visitor=" << e.is_new_visitor
      << "\nlanding_page=" << e.landing_page << "\ntracking_id=" << e.tracking_id
      << "\nevent_type=" << e.event_type << "\nmetadata=";
  for (const auto& [k, v] : e.metadata) out << "[" << k << "=" << v << "]";
  return out.str();
}

void expect_decodes_to(const std::string& file, const Event& expected) {
  const std::string bytes = read_golden(file);
  auto decoded = decode_event(bytes);
  ASSERT_TRUE(decoded) << file << " no longer decodes";
  EXPECT_EQ(describe(*decoded), describe(expected)) << file;
  EXPECT_TRUE(*decoded == expected) << file;
  auto key = peek_session_key(bytes);
  ASSERT_TRUE(key) << file;
  EXPECT_EQ(key->project_id, expected.project_id) << file;
  EXPECT_EQ(key->session_id, expected.session_id) << file;
}

// Every golden set ever written, "v<version>_" or "v<version>_<field count>fields_"; never
// remove one. The last is what today's encoder writes.
constexpr const char* kGoldenSets[] = {"v1_", "v2_42fields_"};

TEST(GoldenRecords, EverySetDecodes) {
  for (const char* set : kGoldenSets) {
    for (const auto& g : golden::golden_events()) {
      expect_decodes_to(std::string(set) + g.name + ".bin", g.event);
    }
  }
}

// Fails when the encoder's output changes. If that is intended (a field was appended, see
// docs/records.md), add a set named after the new field count to kGoldenSets and run this
// test once with BKLIT_WRITE_GOLDEN_RECORDS=1, which writes the files the set lacks (it never
// overwrites one), then commit them.
TEST(GoldenRecords, TheEncoderWritesTheNewestSet) {
  const std::string set = std::end(kGoldenSets)[-1];
  const bool write = std::getenv("BKLIT_WRITE_GOLDEN_RECORDS") != nullptr;
  for (const auto& g : golden::golden_events()) {
    const std::string file = set + g.name + ".bin";
    const std::string bytes = encode_event(g.event);
    if (write && !std::filesystem::exists(golden_path(file))) {
      std::ofstream(golden_path(file), std::ios::binary) << bytes;
    }
    EXPECT_TRUE(read_golden(file) == bytes)
        << "encode_event no longer writes " << file << "; see docs/records.md";
  }
}

}  // namespace
}  // namespace bklit::core
