#include "bklit/core/hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bklit::core {
namespace {

// The published FNV-1a 64 test vectors: a changed constant would move every record to another
// queue shard and rename every dedup token, so the values are pinned.
TEST(Fnv1a, PublishedVectors) {
  EXPECT_EQ(fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ULL);
}

TEST(Fnv1a, ContinuesOverPieces) {
  EXPECT_EQ(fnv1a(fnv1a("foo"), "bar"), fnv1a("foobar"));
  const std::string with_nul("p\0s", 3);
  EXPECT_EQ(fnv1a(fnv1a(fnv1a("p"), std::string_view("\0", 1)), "s"), fnv1a(with_nul));
}

TEST(Fnv1a, BytesAreUnsigned) {
  // 0xff taken as a signed char would XOR in 0xffffffffffffffff instead of 0xff.
  const std::uint64_t expected = (kFnv1aOffset ^ 0xffULL) * 1099511628211ULL;
  EXPECT_EQ(fnv1a("\xff"), expected);
}

}  // namespace
}  // namespace bklit::core
