#include "../../../src/queue/local_log/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace bklit::queue::local_log {
namespace {

TEST(Crc32c, MatchesPublishedCheckValues) {
  // RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283U);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAU);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43U);
  EXPECT_EQ(crc32c(""), 0U);
}

TEST(Crc32c, PortableAndHardwareAgreeAndExtendIncrementally) {
  std::mt19937 rng(7);
  for (std::size_t len : {0U, 1U, 7U, 8U, 9U, 63U, 64U, 65U, 1000U, 4097U}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const std::uint32_t whole = crc32c_extend_portable(0, data.data(), data.size());
    EXPECT_EQ(crc32c_extend_hardware(0, data.data(), data.size()), whole) << len;
    EXPECT_EQ(crc32c(data), whole) << len;
    const std::size_t cut = len / 3;
    const std::uint32_t first = crc32c_extend(0, data.data(), cut);
    EXPECT_EQ(crc32c_extend(first, data.data() + cut, len - cut), whole) << len;
  }
}

}  // namespace
}  // namespace bklit::queue::local_log
