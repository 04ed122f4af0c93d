// The Redis Streams queue's pure parts: seq <-> stream id, and the shard of a record. Every
// process of a deployment must compute the same shard, so the hash is pinned here.
#include <gtest/gtest.h>

#include <set>

#include "../../../src/queue/redis_streams/stream_keys.hpp"
#include "bklit/core/event.hpp"

namespace bklit::queue::redis_streams {
namespace {

std::string payload(const std::string& project, const std::string& session) {
  core::Event e;
  e.event_id = std::string(32, 'b');
  e.project_id = project;
  e.session_id = session;
  return core::encode_event(e);
}

TEST(StreamIds, MapToSeqAndBack) {
  auto seq = seq_of_stream_id("1700000000123-7");
  ASSERT_TRUE(seq.has_value());
  EXPECT_EQ(*seq, (std::uint64_t{1700000000123} << 20) | 7);
  EXPECT_EQ(stream_id_of_seq(*seq), "1700000000123-7");
  EXPECT_EQ(stream_id_of_seq(*seq_of_stream_id("0-0")), "0-0");
  EXPECT_EQ(stream_id_of_seq(*seq_of_stream_id("5-1048575")), "5-1048575");
}

TEST(StreamIds, SeqFollowsStreamOrder) {
  const char* ids[] = {"1-0", "1-1", "1-1048575", "2-0", "1700000000000-3", "1700000000001-0"};
  std::uint64_t last = 0;
  bool first = true;
  for (const char* id : ids) {
    auto seq = seq_of_stream_id(id);
    ASSERT_TRUE(seq.has_value()) << id;
    if (!first) {
      EXPECT_GT(*seq, last) << id;
    }
    last = *seq;
    first = false;
  }
}

TEST(StreamIds, RejectsWhatCannotBeMapped) {
  for (const char* id : {"", "12", "-1", "1-", "a-1", "1-1048576", "1-99999999999",
                         "17592186044416-0", "1-2-3", "1- 2"}) {
    EXPECT_FALSE(seq_of_stream_id(id).has_value()) << id;
  }
}

TEST(StreamIds, NextIdIsJustPast) {
  EXPECT_EQ(next_stream_id("5-9"), "5-10");
  EXPECT_EQ(next_stream_id("0-0"), "0-1");
  EXPECT_EQ(next_stream_id("5-18446744073709551615"), "6-0");
  EXPECT_FALSE(next_stream_id("x").has_value());
}

TEST(ShardOf, IsFnv1aOfProjectAndSessionModuloShards) {
  // FNV-1a 64 of "proj\0s1" = 9706602158742074582 (computed independently).
  EXPECT_EQ(shard_of(payload("proj", "s1"), 16), 9706602158742074582ULL % 16);
  EXPECT_EQ(shard_of(payload("proj", "s1"), 7), 9706602158742074582ULL % 7);
  EXPECT_EQ(shard_of(payload("proj", "session-42"), 16), 2299043414408082167ULL % 16);
}

TEST(ShardOf, SameSessionSameShardAndSpread) {
  std::set<std::uint32_t> shards;
  for (int i = 0; i < 200; ++i) {
    auto s = shard_of(payload("p", "sess" + std::to_string(i)), 16);
    EXPECT_LT(s, 16U);
    EXPECT_EQ(s, shard_of(payload("p", "sess" + std::to_string(i)), 16));
    shards.insert(s);
  }
  EXPECT_EQ(shards.size(), 16U);
  // The project is part of the key.
  int differ = 0;
  for (int i = 0; i < 50; ++i) {
    differ += shard_of(payload("a", std::to_string(i)), 16) !=
              shard_of(payload("b", std::to_string(i)), 16);
  }
  EXPECT_GT(differ, 20);
}

TEST(ShardOf, RecordsThatDoNotParseGoToShardZero) {
  EXPECT_EQ(shard_of("", 16), 0U);
  EXPECT_EQ(shard_of(std::string("\xff\x00garbage", 9), 16), 0U);
  EXPECT_EQ(shard_of(payload("proj", "s1"), 1), 0U);
}

}  // namespace
}  // namespace bklit::queue::redis_streams
