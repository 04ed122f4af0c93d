// Records damaged on disk after they were synced (docs/records.md, "Damaged records in the
// local log"): the damaged bytes become one dead letter listing the lost seqs, every intact
// record around them is delivered exactly once and in order, and a restart neither delivers
// anything twice nor lists a dead letter twice. Damage is made both while the log is closed
// (found by the open-time scan, then by the reader) and while it is open (found by the
// reader only).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "../../../src/queue/local_log/record_format.hpp"
#include "bklit/queue/local_log.hpp"
#include "local_log_test_util.hpp"

namespace bklit::queue::testing {
namespace {

namespace fs = std::filesystem;
using local_log::frame_bytes;
using local_log::kFrameHeaderBytes;

constexpr std::size_t kRecords = 20;

std::string payload_of(std::uint64_t seq) {
  return "record-" + std::to_string(seq) + "-" + std::string(30 + (seq * 7) % 50, 'x');
}

// Writes bytes over the file's content at `offset`, without truncating it.
void overwrite(const fs::path& file, std::uint64_t offset, const std::string& bytes) {
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(io.good());
  io.seekp(static_cast<std::streamoff>(offset));
  io.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(io.good());
}

void flip(const fs::path& file, std::uint64_t offset) {
  std::string bytes = read_file(file);
  ASSERT_LT(offset, bytes.size());
  overwrite(file, offset, std::string(1, static_cast<char>(bytes[offset] ^ 0x5A)));
}

std::vector<std::uint64_t> seqs_except(const std::set<std::uint64_t>& lost,
                                       std::uint64_t last = kRecords) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t seq = 1; seq <= last; ++seq) {
    if (!lost.contains(seq)) out.push_back(seq);
  }
  return out;
}

// Polls everything (in small batches, so reads continue across calls) and checks each
// record's payload.
std::vector<std::uint64_t> delivered(EventQueue& log) {
  std::vector<std::uint64_t> seqs;
  for (;;) {
    auto batch = log.poll(3, std::chrono::milliseconds(0));
    if (batch.empty()) return seqs;
    for (const auto& record : batch) {
      EXPECT_EQ(record.payload, payload_of(record.seq)) << "seq " << record.seq;
      seqs.push_back(record.seq);
    }
  }
}

class LocalLogDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = test_options(tmp_.log_dir());
    options_.max_memory_tail_bytes = 0;  // every poll reads the segment files
    // Where each record's frame starts in the one segment (offsets_[seq]), and where the
    // last one ends (offsets_[kRecords + 1]).
    offsets_.assign(1, 0);
    std::uint64_t at = 0;
    for (std::uint64_t seq = 1; seq <= kRecords + 1; ++seq) {
      offsets_.push_back(at);
      at += frame_bytes(payload_of(seq).size());
    }
  }

  // Appends records 1..kRecords.
  static void write_backlog(EventQueue& log) {
    for (std::uint64_t seq = 1; seq <= kRecords; ++seq) {
      ASSERT_EQ(append_sync(log, {payload_of(seq)}), AppendStatus::kDurable);
    }
  }

  fs::path segment() const { return fs::path(options_.dir) / "00000000000000000001.log"; }

  // Writes the backlog with a closed log, damages it, and checks a first open: the intact
  // records arrive, the damage is one dead letter that lists `lost` and says `reason`.
  template <typename Damage>
  void expect_recovers_around(Damage&& damage, const std::set<std::uint64_t>& lost,
                              const std::string& reason) {
    {
      auto log = open_or_fail(options_);
      ASSERT_TRUE(log);
      write_backlog(*log);
    }
    damage();
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    EXPECT_EQ(delivered(*log), seqs_except(lost));
    expect_one_dead_letter(*log, lost, reason);
    EXPECT_EQ(log->damaged_records(), lost.size());
  }

  void expect_one_dead_letter(EventQueue& log, const std::set<std::uint64_t>& lost,
                              const std::string& reason) {
    auto letters = log.dead_letters(10);
    ASSERT_EQ(letters.size(), 1U);
    const DeadLetter& letter = letters[0];
    EXPECT_EQ(letter.shard, 0U);
    EXPECT_EQ(letter.seq, *lost.begin());
    std::string seqs;
    for (std::uint64_t seq : lost) seqs += (seqs.empty() ? "" : ", ") + std::to_string(seq);
    EXPECT_NE(letter.reason.find("(seq): " + seqs + ";"), std::string::npos) << letter.reason;
    EXPECT_NE(letter.reason.find(reason), std::string::npos) << letter.reason;
    EXPECT_NE(letter.reason.find("00000000000000000001.log"), std::string::npos) << letter.reason;
    EXPECT_EQ(letter.size, letter.payload.size());
    EXPECT_GT(letter.size, 0U);
  }

  // After the consumer acked everything: a restart delivers nothing and lists the dead
  // letter once; appends continue after the highest seq.
  void expect_restart_is_quiet(const std::set<std::uint64_t>& lost, const std::string& reason) {
    {
      auto log = open_or_fail(options_);
      ASSERT_TRUE(log);
      EXPECT_TRUE(delivered(*log).empty());
      expect_one_dead_letter(*log, lost, reason);
      ASSERT_EQ(append_sync(*log, {payload_of(kRecords + 1)}), AppendStatus::kDurable);
      EXPECT_EQ(delivered(*log), std::vector<std::uint64_t>{kRecords + 1});
      log->ack(0, kRecords + 1);
    }
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    EXPECT_TRUE(delivered(*log).empty());
    expect_one_dead_letter(*log, lost, reason);
  }

  TempDir tmp_;
  LocalLogOptions options_;
  std::vector<std::uint64_t> offsets_;
};

TEST_F(LocalLogDamage, FlippedPayloadByteLosesOnlyThatRecord) {
  expect_recovers_around([&] { flip(segment(), offsets_[7] + kFrameHeaderBytes + 5); }, {7},
                         "CRC mismatch");
}

TEST_F(LocalLogDamage, FlippedHeaderBytesLoseOnlyThatRecord) {
  // The seq field, which the CRC covers.
  expect_recovers_around([&] { flip(segment(), offsets_[4] + 9); }, {4}, "CRC mismatch");
}

TEST_F(LocalLogDamage, GarbageLengthIsSteppedOverByScanningForTheNextFrame) {
  expect_recovers_around(
      [&] { overwrite(segment(), offsets_[9] + 4, std::string("\x00\x00\x00\x7f", 4)); }, {9},
      "length field 2130706432 over the 16777216-byte limit");
}

TEST_F(LocalLogDamage, AGarbageRunOverTwoFramesLosesBoth) {
  expect_recovers_around(
      [&] {
        const std::uint64_t from = offsets_[5] + 3;
        overwrite(segment(), from, std::string(offsets_[6] + 20 - from, '\xAB'));
      },
      {5, 6}, "bytes " + std::to_string(offsets_[5]) + "-" + std::to_string(offsets_[7]));
}

TEST_F(LocalLogDamage, ARestartAfterTheAckDeliversNothingTwiceAndListsTheDeadLetterOnce) {
  expect_recovers_around([&] { flip(segment(), offsets_[7] + kFrameHeaderBytes + 5); }, {7},
                         "CRC mismatch");
  {
    // The consumer of the first open acked everything.
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    EXPECT_EQ(delivered(*log), seqs_except({7}));
    log->ack(0, kRecords);
  }
  expect_restart_is_quiet({7}, "CRC mismatch");
}

TEST_F(LocalLogDamage, ARestartBeforeTheAckRedeliversOnlyTheUnackedAndListsTheDamageOnce) {
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    write_backlog(*log);
  }
  flip(segment(), offsets_[12] + kFrameHeaderBytes + 1);
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    auto first = log->poll(10, std::chrono::milliseconds(0));
    ASSERT_EQ(seqs_of(first), seqs_except({}, 10));
    log->ack(0, 10);
    EXPECT_EQ(delivered(*log), (std::vector<std::uint64_t>{11, 13, 14, 15, 16, 17, 18, 19, 20}));
    // Stops before acking past the damage (a crash): the damage is set aside again next time.
  }
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    EXPECT_EQ(delivered(*log), (std::vector<std::uint64_t>{11, 13, 14, 15, 16, 17, 18, 19, 20}));
    expect_one_dead_letter(*log, {12}, "CRC mismatch");
    log->ack(0, kRecords);
  }
  expect_restart_is_quiet({12}, "CRC mismatch");
}

TEST_F(LocalLogDamage, DamageWhileOpenIsFoundByTheReader) {
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  write_backlog(*log);
  // After the records were synced (and left memory), before the reader reads them.
  flip(segment(), offsets_[5] + kFrameHeaderBytes + 2);
  overwrite(segment(), offsets_[15], std::string(offsets_[17] - offsets_[15], '\0'));
  EXPECT_EQ(delivered(*log), seqs_except({5, 15, 16}));
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 2U);
  EXPECT_EQ(letters[0].seq, 5U);
  EXPECT_EQ(letters[1].seq, 15U);
  EXPECT_NE(letters[1].reason.find("(seq): 15, 16;"), std::string::npos) << letters[1].reason;
  EXPECT_EQ(letters[1].payload, std::string(offsets_[17] - offsets_[15], '\0'));
  EXPECT_EQ(log->damaged_records(), 3U);
  log->ack(0, kRecords);
  log.reset();

  auto again = open_or_fail(options_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(delivered(*again).empty());
  EXPECT_EQ(again->dead_letters(10).size(), 2U);
}

// A record whose payload holds a well-formed frame with the next seq: when the record is
// damaged, its length field still leads to the real next record, which wins over the
// look-alike inside it.
TEST_F(LocalLogDamage, AFrameInsideADamagedPayloadIsNotTakenForTheNextRecord) {
  std::string fake;
  local_log::append_frame(fake, 4, payload_of(4));
  {
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
      ASSERT_EQ(append_sync(*log, {seq == 3 ? "pre" + fake : payload_of(seq)}),
                AppendStatus::kDurable);
    }
  }
  const std::uint64_t third = 2 * kFrameHeaderBytes + payload_of(1).size() + payload_of(2).size();
  flip(segment(), third + 1);  // the CRC field
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  std::vector<QueueRecord> records = poll_all(*log);
  ASSERT_EQ(seqs_of(records), (std::vector<std::uint64_t>{1, 2, 4, 5}));
  EXPECT_EQ(records[2].payload, payload_of(4));
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].payload.size(), frame_bytes(3 + fake.size()));
}

class LocalLogDamagedOlderSegments : public ::testing::Test {
 protected:
  void SetUp() override {
    options_ = test_options(tmp_.log_dir());
    options_.segment_bytes = 512;
    options_.max_memory_tail_bytes = 0;
    auto log = open_or_fail(options_);
    ASSERT_TRUE(log);
    for (std::uint64_t seq = 1; seq <= kRecords; ++seq) {
      ASSERT_EQ(append_sync(*log, {payload_of(seq)}), AppendStatus::kDurable);
    }
    log.reset();
    files_ = segment_files(options_.dir);
    ASSERT_GE(files_.size(), 4U);
  }

  std::uint64_t first_of(std::size_t i) const {
    return std::stoull(files_[i].filename().string().substr(0, 20));
  }

  TempDir tmp_;
  LocalLogOptions options_;
  std::vector<fs::path> files_;
};

TEST_F(LocalLogDamagedOlderSegments, DamageRunningToTheEndOfAnOlderSegmentLosesItsLastRecords) {
  // The last frame of segment 1 claims a length past the end of the file: no intact record
  // follows in that segment, and the next segment's name says where its records end.
  const std::uint64_t next_first = first_of(2);
  std::string bytes = read_file(files_[1]);
  const std::uint64_t last_frame = bytes.size() - frame_bytes(payload_of(next_first - 1).size());
  overwrite(files_[1], last_frame + 4, std::string("\x00\x10\x00\x00", 4));
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  EXPECT_EQ(delivered(*log), seqs_except({next_first - 1}));
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].seq, next_first - 1);
  EXPECT_NE(letters[0].reason.find("runs past the end of the segment"), std::string::npos)
      << letters[0].reason;
}

TEST_F(LocalLogDamagedOlderSegments, AZeroedOlderSegmentLosesExactlyItsRecords) {
  const std::string bytes = read_file(files_[1]);
  overwrite(files_[1], 0, std::string(bytes.size(), '\0'));
  std::set<std::uint64_t> lost;
  for (std::uint64_t seq = first_of(1); seq < first_of(2); ++seq) lost.insert(seq);
  auto log = open_or_fail(options_);
  ASSERT_TRUE(log);
  EXPECT_EQ(delivered(*log), seqs_except(lost));
  auto letters = log->dead_letters(10);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].seq, first_of(1));
  EXPECT_EQ(letters[0].size, bytes.size());
  EXPECT_EQ(log->damaged_records(), lost.size());
}

}  // namespace
}  // namespace bklit::queue::testing
