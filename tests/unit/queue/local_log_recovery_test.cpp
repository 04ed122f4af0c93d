#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../../../src/queue/local_log/record_format.hpp"
#include "bklit/queue/local_log.hpp"
#include "local_log_test_util.hpp"

namespace bklit::queue::testing {
namespace {

namespace fs = std::filesystem;
using local_log::frame_bytes;

std::vector<std::string> sample_payloads() {
  return {"first record", std::string(300, 'm'), "third", std::string(40, 'z') + "last"};
}

// Writes the sample into a fresh log (one segment) and returns that segment's path.
fs::path write_sample(const LocalLogOptions& options) {
  auto log = open_or_fail(options);
  EXPECT_TRUE(log);
  for (const auto& payload : sample_payloads()) {
    EXPECT_EQ(append_sync(*log, {payload}), AppendStatus::kDurable);
  }
  return fs::path(options.dir) / "00000000000000000001.log";
}

// Opens the damaged log and checks it holds exactly the first `expected` sample records,
// then that it still accepts appends with the next seq and keeps them across a reopen.
void expect_recovers_prefix(const LocalLogOptions& options, std::size_t expected,
                            const std::string& what) {
  SCOPED_TRACE(what);
  const auto sample = sample_payloads();
  {
    auto log = open_or_fail(options);
    ASSERT_TRUE(log);
    auto records = poll_all(*log);
    ASSERT_EQ(records.size(), expected);
    for (std::size_t i = 0; i < expected; ++i) {
      EXPECT_EQ(records[i].seq, i + 1);
      EXPECT_EQ(records[i].payload, sample[i]);
    }
    ASSERT_EQ(append_sync(*log, {"after recovery"}), AppendStatus::kDurable);
  }
  auto log = open_or_fail(options);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  ASSERT_EQ(records.size(), expected + 1);
  EXPECT_EQ(records.back().seq, expected + 1);
  EXPECT_EQ(records.back().payload, "after recovery");
}

class LocalLogRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = test_options(tmp_.log_dir());
    segment_ = write_sample(options_);
    original_ = read_file(segment_);
    last_start_ = original_.size() - frame_bytes(sample_payloads().back().size());
  }

  TempDir tmp_;
  LocalLogOptions options_;
  fs::path segment_;
  std::string original_;
  std::size_t last_start_ = 0;
};

TEST_F(LocalLogRecovery, TruncationAtEveryByteOfTheLastRecordDropsOnlyThatRecord) {
  for (std::size_t cut = last_start_; cut < original_.size(); ++cut) {
    write_file(segment_, original_.substr(0, cut));
    expect_recovers_prefix(options_, 3, "cut at " + std::to_string(cut));
    EXPECT_EQ(fs::file_size(segment_), last_start_ + frame_bytes(14));
  }
  write_file(segment_, original_);
  expect_recovers_prefix(options_, 4, "intact");
}

TEST_F(LocalLogRecovery, FlippedByteAnywhereInTheLastRecordDropsOnlyThatRecord) {
  for (std::size_t at = last_start_; at < original_.size(); ++at) {
    std::string damaged = original_;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5A);
    write_file(segment_, damaged);
    expect_recovers_prefix(options_, 3, "flip at " + std::to_string(at));
  }
}

TEST_F(LocalLogRecovery, ZeroFilledTailIsCutAndCompleteRecordsKept) {
  write_file(segment_, original_ + std::string(4096, '\0'));
  expect_recovers_prefix(options_, 4, "zeros after the last record");

  for (std::size_t from : {last_start_, last_start_ + 3, last_start_ + 16, original_.size() - 1}) {
    std::string damaged = original_;
    std::fill(damaged.begin() + static_cast<std::ptrdiff_t>(from), damaged.end(), '\0');
    write_file(segment_, damaged + std::string(1000, '\0'));
    expect_recovers_prefix(options_, 3, "zeros from " + std::to_string(from));
  }
}

TEST_F(LocalLogRecovery, DamageInTheMiddleOfTheLastSegmentLosesOnlyTheDamagedRecord) {
  // Policy (see local_log.hpp): intact records after the damage are kept and delivered; the
  // damaged one becomes a dead letter (local_log_damage_test.cpp covers that side).
  std::string damaged = original_;
  damaged[frame_bytes(12) + 100] ^= 0x01;  // inside the 300-byte second record
  write_file(segment_, damaged);
  const auto sample = sample_payloads();
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  EXPECT_EQ(seqs_of(records), (std::vector<std::uint64_t>{1, 3, 4}));
  EXPECT_EQ(payloads_of(records), (std::vector<std::string>{sample[0], sample[2], sample[3]}));
  ASSERT_EQ(log->dead_letters(10).size(), 1U);
  EXPECT_EQ(log->dead_letters(10)[0].seq, 2U);
  ASSERT_EQ(append_sync(*log, {"after recovery"}), AppendStatus::kDurable);
  EXPECT_EQ(seqs_of(poll_all(*log)), std::vector<std::uint64_t>{5});
}

TEST_F(LocalLogRecovery, DamagedAckFileRefusesToOpen) {
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    ASSERT_EQ(poll_all(*log).size(), 4U);
    log->ack(0, 2);
  }
  const fs::path ack = fs::path(options_.dir) / "ack";
  std::string bytes = read_file(ack);
  ASSERT_EQ(bytes.size(), 16U);
  bytes[0] ^= 0x01;
  write_file(ack, bytes);
  auto log = open_local_log(options_);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, "queue_corrupt");
}

class LocalLogOlderSegments : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = test_options(tmp_.log_dir());
    options_.segment_bytes = 512;
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(append_sync(*log, {std::string(100, static_cast<char>('a' + i))}),
                AppendStatus::kDurable);
    }
    log.reset();
    files_ = segment_files(options_.dir);
    ASSERT_GE(files_.size(), 3U);
  }

  TempDir tmp_;
  LocalLogOptions options_;
  std::vector<fs::path> files_;
};

TEST_F(LocalLogOlderSegments, DamagedRecordInAnOlderSegmentOpensAndLosesOnlyThatRecord) {
  std::string bytes = read_file(files_[1]);
  bytes[bytes.size() / 2] ^= 0x10;
  write_file(files_[1], bytes);
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  EXPECT_EQ(records.size(), 19U);
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_NE(letters[0].reason.find(files_[1].filename().string()), std::string::npos)
      << letters[0].reason;
}

TEST_F(LocalLogOlderSegments, TruncatedOlderSegmentLosesItsPartialRecord) {
  std::string bytes = read_file(files_[0]);
  write_file(files_[0], bytes.substr(0, bytes.size() - 1));
  const std::uint64_t lost = std::stoull(files_[1].filename().string().substr(0, 20)) - 1;
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  auto records = poll_all(*log);
  ASSERT_EQ(records.size(), 19U);
  for (const auto& record : records) EXPECT_NE(record.seq, lost);
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].seq, lost);
}

TEST_F(LocalLogOlderSegments, MissingSegmentRefusesToOpen) {
  fs::remove(files_[1]);
  auto log = open_local_log(options_);
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, "queue_corrupt");

  fs::remove(files_[0]);  // now records 1.. are missing before the first segment
  auto again = open_local_log(options_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "queue_corrupt");
}

TEST_F(LocalLogOlderSegments, AckedSegmentLeftOverFromACrashIsRemovedAtOpen) {
  const std::string first = read_file(files_[0]);
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    auto records = poll_all(*log);
    ASSERT_EQ(records.size(), 20U);
    log->ack(0, 10);
  }
  ASSERT_FALSE(fs::exists(files_[0]));
  write_file(files_[0], first);  // as if the unlink never reached the disk
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  EXPECT_FALSE(fs::exists(files_[0]));
  auto records = poll_all(*log);
  ASSERT_EQ(records.size(), 10U);
  EXPECT_EQ(records.front().seq, 11U);
}

}  // namespace
}  // namespace bklit::queue::testing
