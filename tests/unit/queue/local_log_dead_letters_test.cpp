#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "local_log_test_util.hpp"

namespace bklit::queue::testing {
namespace {

DeadLetter letter(std::uint64_t seq, std::string reason, std::string payload) {
  DeadLetter l;
  l.seq = seq;
  l.reason = std::move(reason);
  l.payload = std::move(payload);
  return l;
}

TEST(LocalLogDeadLetters, NoneBeforeTheFirstAndAMissingQueueIsAnError) {
  TempDir dir;
  {
    auto log = open_or_fail(test_options(dir.log_dir()));
    ASSERT_TRUE(log);
    EXPECT_TRUE(log->dead_letters(10).empty());
  }
  auto none = read_local_log_dead_letters(dir.log_dir(), 10);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none->empty());
  auto missing = read_local_log_dead_letters((dir.path() / "nope").string(), 10);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "queue_dir");
}

// A crash in the middle of writing a dead letter leaves a partial frame at the end of the
// file: it is not listed, and the next dead letter is stored (and listed) after the intact
// ones instead of behind the damage.
TEST(LocalLogDeadLetters, ATornTailIsDroppedAndTheNextOneStillListed) {
  TempDir dir;
  {
    auto log = open_or_fail(test_options(dir.log_dir()));
    ASSERT_TRUE(log);
    log->dead_letter({letter(1, "first", "aaa")});
  }
  const auto file = std::filesystem::path(dir.log_dir()) / "dead-letters";
  ASSERT_TRUE(std::filesystem::exists(file));
  {
    std::ofstream out(file, std::ios::binary | std::ios::app);
    out << std::string("\x12\x34\x56\x78\x40\x00\x00\x00partial", 15);
  }
  auto listed = read_local_log_dead_letters(dir.log_dir(), 10);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1U);

  auto log = open_or_fail(test_options(dir.log_dir()));
  ASSERT_TRUE(log);
  log->dead_letter({letter(2, "second", std::string(100'000, 'b'))});
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 2U);
  EXPECT_EQ(letters[0].reason, "first");
  EXPECT_EQ(letters[0].payload, "aaa");
  EXPECT_EQ(letters[1].reason, "second");
  EXPECT_EQ(letters[1].size, 100'000U);
  EXPECT_EQ(letters[1].payload.size(), 100'000U);
}

TEST(LocalLogDeadLetters, TheFileIsNotMistakenForASegment) {
  TempDir dir;
  {
    auto log = open_or_fail(test_options(dir.log_dir()));
    ASSERT_TRUE(log);
    ASSERT_EQ(append_sync(*log, {"one", "two"}), AppendStatus::kDurable);
    auto records = log->poll(10, std::chrono::milliseconds(1000));
    ASSERT_EQ(records.size(), 2U);
    log->dead_letter({letter(records[0].seq, "bad", records[0].payload)});
    log->ack(0, records[0].seq);
  }
  auto log = open_or_fail(test_options(dir.log_dir()));
  ASSERT_TRUE(log);
  auto records = log->poll(10, std::chrono::milliseconds(1000));
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].payload, "two");
  EXPECT_EQ(log->dead_letters(10).size(), 1U);
}

}  // namespace
}  // namespace bklit::queue::testing
